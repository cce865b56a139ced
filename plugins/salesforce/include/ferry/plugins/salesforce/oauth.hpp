// OAuth 2.0 wire formats for Salesforce: token-endpoint request bodies for every grant, the
// authorize URL of the web-server flow, the token response and the RS256 JWT bearer assertion.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/sdk/result.hpp"

namespace ferry::plugins::salesforce {

inline constexpr const char* kOAuthScopes = "api refresh_token offline_access";
inline constexpr const char* kJwtGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";

struct TokenResponse {
  std::string accessToken;
  std::string refreshToken;  // empty unless granted (web-server flow, rotation)
  std::string instanceUrl;   // base of every data call; may change between refreshes
  std::string identityUrl;
  std::int64_t issuedAtMs = 0;
  std::string issuedAt;   // as sent (epoch milliseconds), part of the signed text
  std::string signature;  // Base64 HMAC-SHA256(id + issued_at) keyed by the client secret
  std::string scope;
};

// Parses a 200 token response; instance_url must be an absolute http(s) URL.
sdk::Result<TokenResponse> parseTokenResponse(std::string_view body);

// Checks `signature` against HMAC-SHA256(identityUrl + issuedAt) keyed by the client secret
// (constant-time compare). False when the signature is missing or does not match.
bool signatureValid(const TokenResponse& token, std::string_view clientSecret);

// Maps a failed token call to an error: invalid_grant / invalid_client and friends are
// kUnauthenticated (re-authorisation needed), 5xx kUnavailable (retriable). The message carries
// Salesforce's error code and description, never a secret.
sdk::Error tokenError(int status, std::string_view body);

// Authorize URL of the web-server flow (scopes kOAuthScopes). `codeChallenge` is optional
// (PKCE S256); the documented Connected App set-up leaves PKCE off.
std::string authorizeUrl(std::string_view loginUrl, std::string_view clientId,
                         std::string_view redirectUri, std::string_view state,
                         std::string_view codeChallenge = {});

// Form bodies for POST {login}/services/oauth2/token.
std::string authorizationCodeBody(std::string_view code, std::string_view clientId,
                                  std::string_view clientSecret, std::string_view redirectUri,
                                  std::string_view codeVerifier = {});
std::string refreshTokenBody(std::string_view refreshToken, std::string_view clientId,
                             std::string_view clientSecret);
std::string clientCredentialsBody(std::string_view clientId, std::string_view clientSecret);
std::string passwordBody(std::string_view username, std::string_view password,
                         std::string_view clientId, std::string_view clientSecret);
std::string jwtBearerBody(std::string_view assertion);

// Signed RS256 assertion: iss = clientId, sub = username, aud = audience,
// exp = now + lifetime (Salesforce accepts a few minutes at most). The key is a PEM RSA private
// key; a bad key is kInvalidArgument without quoting it.
sdk::Result<std::string> jwtAssertion(std::string_view clientId, std::string_view username,
                                      std::string_view audience, std::string_view privateKeyPem,
                                      std::int64_t nowMs, std::int64_t lifetimeSeconds = 180);

}  // namespace ferry::plugins::salesforce
