// OAuth request bodies, the authorize URL, token responses and the RS256 JWT assertion.
#include "ferry/plugins/salesforce/oauth.hpp"

#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Exception.h>
#include <Poco/HMACEngine.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/SHA2Engine.h>
#include <Poco/SharedPtr.h>
#include <Poco/Timestamp.h>

#include "ferry/plugins/salesforce/api.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::plugins::salesforce {

namespace {

std::string textOf(const sdk::Object& o, std::string_view key) {
  const auto* v = o.find(key);
  return v != nullptr && v->isString() ? v->asString() : std::string();
}

// Poco's HMACEngine needs the block and digest sizes its SHA2Engine (1.11) does not declare.
class Sha256Engine final : public Poco::SHA2Engine {
 public:
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256Engine() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

bool isHttpUrl(std::string_view url) {
  return (url.rfind("https://", 0) == 0 && url.size() > 8) ||
         (url.rfind("http://", 0) == 0 && url.size() > 7);
}

}  // namespace

sdk::Result<TokenResponse> parseTokenResponse(std::string_view body) {
  const auto json = sdk::Value::fromJson(body);
  if (!json || !json->isObject()) {
    return sdk::Error::make(sdk::ErrorCode::kMalformedResponse,
                            "token response is not a JSON object");
  }
  const auto& o = json->asObject();
  TokenResponse t;
  t.accessToken = textOf(o, "access_token");
  t.refreshToken = textOf(o, "refresh_token");
  t.instanceUrl = textOf(o, "instance_url");
  while (!t.instanceUrl.empty() && t.instanceUrl.back() == '/') t.instanceUrl.pop_back();
  t.identityUrl = textOf(o, "id");
  t.scope = textOf(o, "scope");
  // issued_at is epoch milliseconds as a string.
  t.signature = textOf(o, "signature");
  t.issuedAt = textOf(o, "issued_at");
  const auto& issued = t.issuedAt;
  if (!issued.empty()) {
    try {
      t.issuedAtMs = std::stoll(issued);
    } catch (const std::exception&) {
      t.issuedAtMs = 0;
    }
  }
  if (t.accessToken.empty()) {
    return sdk::Error::make(sdk::ErrorCode::kMalformedResponse,
                            "token response has no access_token");
  }
  if (!isHttpUrl(t.instanceUrl)) {
    return sdk::Error::make(sdk::ErrorCode::kMalformedResponse,
                            "token response has no usable instance_url");
  }
  return t;
}

bool signatureValid(const TokenResponse& token, std::string_view clientSecret) {
  if (token.signature.empty() || clientSecret.empty()) return false;
  Poco::HMACEngine<Sha256Engine> hmac{std::string(clientSecret)};
  hmac.update(token.identityUrl + token.issuedAt);
  std::ostringstream encoded;
  {
    Poco::Base64Encoder encoder(encoded);
    encoder.rdbuf()->setLineLength(0);
    const auto& digest = hmac.digest();
    encoder.write(reinterpret_cast<const char*>(digest.data()),
                  static_cast<std::streamsize>(digest.size()));
    encoder.close();
  }
  const std::string expected = encoded.str();
  if (expected.size() != token.signature.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ token.signature[i]);
  }
  return diff == 0;
}

sdk::Error tokenError(int status, std::string_view body) {
  const auto errors = parseErrors(body);
  const auto& e = errors.front();
  std::string message = "token request refused: HTTP " + std::to_string(status);
  if (!e.code.empty()) message += " " + e.code;
  if (!e.message.empty()) message += " (" + e.message + ")";
  if (status >= 500 || status == 429) {
    return sdk::Error::make(sdk::ErrorCode::kUnavailable, message, true, e.code);
  }
  // invalid_grant (revoked/expired refresh token, unapproved user, bad code), invalid_client,
  // unsupported_grant_type...: nothing a retry fixes; an administrator must act.
  return sdk::Error::make(sdk::ErrorCode::kUnauthenticated, message, false, e.code);
}

std::string authorizeUrl(std::string_view loginUrl, std::string_view clientId,
                         std::string_view redirectUri, std::string_view state,
                         std::string_view codeChallenge) {
  std::vector<std::pair<std::string, std::string>> q{{"response_type", "code"},
                                                     {"client_id", std::string(clientId)},
                                                     {"redirect_uri", std::string(redirectUri)},
                                                     {"scope", kOAuthScopes},
                                                     {"state", std::string(state)}};
  if (!codeChallenge.empty()) {
    q.emplace_back("code_challenge", std::string(codeChallenge));
    q.emplace_back("code_challenge_method", "S256");
  }
  return std::string(loginUrl) + "/services/oauth2/authorize?" + formEncode(q);
}

std::string authorizationCodeBody(std::string_view code, std::string_view clientId,
                                  std::string_view clientSecret, std::string_view redirectUri,
                                  std::string_view codeVerifier) {
  std::vector<std::pair<std::string, std::string>> f{{"grant_type", "authorization_code"},
                                                     {"code", std::string(code)},
                                                     {"client_id", std::string(clientId)},
                                                     {"client_secret", std::string(clientSecret)},
                                                     {"redirect_uri", std::string(redirectUri)}};
  if (!codeVerifier.empty()) f.emplace_back("code_verifier", std::string(codeVerifier));
  return formEncode(f);
}

std::string refreshTokenBody(std::string_view refreshToken, std::string_view clientId,
                             std::string_view clientSecret) {
  std::vector<std::pair<std::string, std::string>> f{{"grant_type", "refresh_token"},
                                                     {"refresh_token", std::string(refreshToken)},
                                                     {"client_id", std::string(clientId)}};
  // Connected Apps may not require the secret for refresh; send it when configured.
  if (!clientSecret.empty()) f.emplace_back("client_secret", std::string(clientSecret));
  return formEncode(f);
}

std::string clientCredentialsBody(std::string_view clientId, std::string_view clientSecret) {
  return formEncode({{"grant_type", "client_credentials"},
                     {"client_id", std::string(clientId)},
                     {"client_secret", std::string(clientSecret)}});
}

std::string passwordBody(std::string_view username, std::string_view password,
                         std::string_view clientId, std::string_view clientSecret) {
  return formEncode({{"grant_type", "password"},
                     {"client_id", std::string(clientId)},
                     {"client_secret", std::string(clientSecret)},
                     {"username", std::string(username)},
                     {"password", std::string(password)}});
}

std::string jwtBearerBody(std::string_view assertion) {
  return formEncode({{"grant_type", kJwtGrantType}, {"assertion", std::string(assertion)}});
}

sdk::Result<std::string> jwtAssertion(std::string_view clientId, std::string_view username,
                                      std::string_view audience, std::string_view privateKeyPem,
                                      std::int64_t nowMs, std::int64_t lifetimeSeconds) {
  if (clientId.empty() || username.empty() || audience.empty()) {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                            "JWT bearer flow needs client id, username and audience");
  }
  try {
    std::istringstream privateStream{std::string(privateKeyPem)};
    Poco::SharedPtr<Poco::Crypto::RSAKey> key(
        new Poco::Crypto::RSAKey(nullptr, &privateStream, ""));
    Poco::JWT::Token token;
    token.setIssuer(std::string(clientId));
    token.setSubject(std::string(username));
    token.setAudience(std::string(audience));
    token.setExpiration(Poco::Timestamp((nowMs / 1000 + lifetimeSeconds) * 1'000'000));
    Poco::JWT::Signer signer(key);
    return signer.sign(token, Poco::JWT::Signer::ALGO_RS256);
  } catch (const Poco::Exception& e) {
    // The message names the failure class only: key material must never be echoed.
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                            std::string("JWT signing failed: the private key is not a usable PEM "
                                        "RSA key (") +
                                e.className() + ")");
  } catch (const std::exception&) {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                            "JWT signing failed: the private key is not a usable PEM RSA key");
  }
}

}  // namespace ferry::plugins::salesforce
