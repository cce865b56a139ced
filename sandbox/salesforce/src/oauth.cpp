// OAuth 2.0 endpoints of the emulated org (reference §2): authorize, token (authorization_code,
// refresh_token, client_credentials, password, JWT bearer), revoke, and the identity URL.
#include <sstream>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/JWT/JWTException.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/json_writer.hpp"
#include "service_impl.hpp"

namespace ferry::sandbox::salesforce {
namespace {

constexpr int64_t kCodeLifetimeMs = 15 * 60 * 1000;
const char* kJwtGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

Response oauthError(int status, const std::string& error, const std::string& description) {
  JsonWriter json;
  json.beginObject()
      .key("error")
      .value(error)
      .key("error_description")
      .value(description)
      .endObject();
  Response response = jsonResponse(status, json.take());
  response.headers.emplace_back("Cache-Control",
                                "no-cache,must-revalidate,max-age=0,no-store,private");
  return response;
}

std::string base64(const unsigned char* data, size_t size, bool url) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, url ? Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING : 0);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  encoder.close();
  return out.str();
}

std::string hmacSha256Base64(const std::string& key, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return base64(digest, length, false);
}

std::string pkceChallenge(const std::string& verifier) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  return base64(digest, sizeof digest, true);
}

const std::string* formValue(const std::vector<std::pair<std::string, std::string>>& form,
                             const std::string& name) {
  for (const auto& [key, value] : form)
    if (key == name) return &value;
  return nullptr;
}

bool hasScope(const std::string& scope, const std::string& wanted) {
  std::istringstream words(scope);
  std::string word;
  while (words >> word)
    if (word == wanted) return true;
  return false;
}

// HTTP Basic client credentials, accepted by the token endpoint besides form fields.
bool basicCredentials(const Request& request, std::string& id, std::string& secret) {
  const std::string* header = request.header("Authorization");
  if (!header || !startsWith(*header, "Basic ")) return false;
  std::istringstream in(header->substr(6));
  Poco::Base64Decoder decoder(in);
  std::string decoded((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  id = percentDecode(decoded.substr(0, colon), true);
  secret = percentDecode(decoded.substr(colon + 1), true);
  return true;
}

}  // namespace

std::string SalesforceService::randomToken(size_t length) {
  static const char* kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._";
  std::string out;
  out.reserve(length);
  for (size_t i = 0; i < length; ++i) out += kAlphabet[random_.below(64)];
  return out;
}

std::string SalesforceService::instanceUrl(const Request& request) const {
  if (!options_.instanceUrl.empty()) return options_.instanceUrl;
  const std::string* host = request.header("Host");
  return "http://" + (host && !host->empty() ? *host : std::string("127.0.0.1"));
}

std::optional<Response> SalesforceService::authenticate(const Request& request) {
  auto unauthorized = [] {
    Response response = restError(401, "INVALID_SESSION_ID", "Session expired or invalid");
    response.headers.emplace_back("WWW-Authenticate", "Token");
    return response;
  };
  const std::string* header = request.header("Authorization");
  if (!header) return unauthorized();
  std::string token;
  if (startsWith(*header, "Bearer "))
    token = header->substr(7);
  else if (startsWith(*header, "OAuth "))
    token = header->substr(6);
  else
    return unauthorized();
  auto it = accessTokens_.find(token);
  if (it == accessTokens_.end()) return unauthorized();
  if (now() - it->second.issuedMs >= options_.tokenTtlSeconds * 1000) {
    accessTokens_.erase(it);
    return unauthorized();
  }
  return std::nullopt;
}

Response SalesforceService::oauth(const Request& request, const std::vector<std::string>& parts) {
  if (parts.size() != 3) return oauthError(404, "not_found", "no such OAuth endpoint");
  if (parts[2] == "authorize") {
    if (request.method != "GET" && request.method != "POST")
      return oauthError(405, "invalid_request", "use GET");
    return authorize(request);
  }
  if (parts[2] == "token") {
    if (request.method != "POST") return oauthError(405, "invalid_request", "must use HTTP POST");
    return token(request);
  }
  if (parts[2] == "revoke") {
    if (request.method != "POST" && request.method != "GET")
      return oauthError(405, "invalid_request", "use POST");
    return revoke(request);
  }
  if (parts[2] == "userinfo") return identity(request, {"id", org_->orgId(), org_->userId()});
  return oauthError(404, "not_found", "no such OAuth endpoint");
}

Response SalesforceService::authorize(const Request& request) {
  std::vector<std::pair<std::string, std::string>> params = request.query;
  if (request.method == "POST") {
    auto form = parseForm(request.body);
    params.insert(params.end(), form.begin(), form.end());
  }
  auto get = [&](const std::string& name) -> std::string {
    const std::string* value = formValue(params, name);
    return value ? *value : "";
  };
  if (get("client_id") != options_.clientId)
    return oauthError(400, "invalid_client_id", "client identifier invalid");
  std::string redirect = get("redirect_uri");
  if (redirect.empty() || (!options_.callbackUrl.empty() && redirect != options_.callbackUrl))
    return oauthError(400, "redirect_uri_mismatch", "redirect_uri must match configuration");
  std::string state = get("state");
  std::string location = redirect + (redirect.find('?') == std::string::npos ? "?" : "&");
  if (get("response_type") != "code") {
    location += "error=unsupported_response_type&error_description=" +
                percentEncode("response type not supported");
  } else {
    std::string method = get("code_challenge_method");
    if (!method.empty() && method != "S256")
      return oauthError(400, "invalid_request", "code_challenge_method must be S256");
    std::string code = "aPrx" + randomToken(60);
    std::string scope = get("scope").empty() ? "api refresh_token" : get("scope");
    codes_[code] =
        AuthCode{redirect, scope, get("code_challenge"), method, now() + kCodeLifetimeMs};
    location += "code=" + percentEncode(code);
  }
  if (!state.empty()) location += "&state=" + percentEncode(state);
  Response response;
  response.status = 302;
  response.contentType = "text/html;charset=UTF-8";
  response.headers.emplace_back("Location", location);
  response.body =
      "<html><body>Redirecting to <a href=\"" + location + "\">the callback</a></body></html>";
  return response;
}

Response SalesforceService::tokenResponse(const Request& request, const std::string& scope,
                                          bool withRefresh, const std::string& existingRefresh) {
  std::string orgId15 = org_->orgId().substr(0, 15);
  std::string access = orgId15 + "!" + randomToken(96);
  int64_t issued = now();
  std::string refresh = existingRefresh;
  if (withRefresh) {
    refresh = "5Aep861" + randomToken(80);
    refreshTokens_[refresh] = RefreshToken{scope};
  }
  accessTokens_[access] = AccessToken{issued, refresh};
  std::string base = instanceUrl(request);
  std::string id = base + "/id/" + org_->orgId() + "/" + org_->userId();
  std::string issuedAt = std::to_string(issued);
  JsonWriter json;
  json.beginObject().key("access_token").value(access);
  if (withRefresh) json.key("refresh_token").value(refresh);
  json.key("signature")
      .value(hmacSha256Base64(options_.clientSecret, id + issuedAt))
      .key("scope")
      .value(scope)
      .key("instance_url")
      .value(base)
      .key("id")
      .value(id)
      .key("token_type")
      .value("Bearer")
      .key("issued_at")
      .value(issuedAt)
      .endObject();
  Response response = jsonResponse(200, json.take());
  response.headers.emplace_back("Cache-Control",
                                "no-cache,must-revalidate,max-age=0,no-store,private");
  response.headers.emplace_back("Pragma", "no-cache");
  return response;
}

Response SalesforceService::token(const Request& request) {
  const std::string* type = request.header("Content-Type");
  if (!type || toLower(*type).find("application/x-www-form-urlencoded") == std::string::npos)
    return oauthError(400, "invalid_request",
                      "the token request must be application/x-www-form-urlencoded");
  auto form = parseForm(request.body);
  auto get = [&](const std::string& name) -> std::string {
    const std::string* value = formValue(form, name);
    return value ? *value : "";
  };
  std::string clientId = get("client_id");
  std::string clientSecret = get("client_secret");
  bool secretGiven = formValue(form, "client_secret") != nullptr;
  std::string basicId, basicSecret;
  if (basicCredentials(request, basicId, basicSecret)) {
    clientId = basicId;
    clientSecret = basicSecret;
    secretGiven = true;
  }
  std::string grant = get("grant_type");
  if (grant.empty()) return oauthError(400, "invalid_request", "grant type not specified");

  if (grant == "authorization_code") {
    auto it = codes_.find(get("code"));
    if (it == codes_.end() || it->second.expiresMs < now())
      return oauthError(400, "invalid_grant", "invalid authorization code");
    if (clientId != options_.clientId)
      return oauthError(400, "invalid_client_id", "client identifier invalid");
    AuthCode code = it->second;
    codes_.erase(it);  // single use
    if (get("redirect_uri") != code.redirectUri)
      return oauthError(400, "redirect_uri_mismatch", "redirect_uri must match configuration");
    std::string verifier = get("code_verifier");
    if (!code.challenge.empty()) {
      if (verifier.empty()) return oauthError(400, "invalid_grant", "invalid code verifier");
      if (pkceChallenge(verifier) != code.challenge)
        return oauthError(400, "invalid_request", "invalid code verifier");
    }
    if ((secretGiven || code.challenge.empty()) && clientSecret != options_.clientSecret)
      return oauthError(400, "invalid_client", "invalid client credentials");
    bool refresh = hasScope(code.scope, "refresh_token") || hasScope(code.scope, "offline_access");
    return tokenResponse(request, code.scope, refresh, "");
  }
  if (grant == "refresh_token") {
    auto it = refreshTokens_.find(get("refresh_token"));
    if (it == refreshTokens_.end())
      return oauthError(400, "invalid_grant", "expired access/refresh token");
    if (clientId != options_.clientId)
      return oauthError(400, "invalid_client_id", "client identifier invalid");
    if (secretGiven && clientSecret != options_.clientSecret)
      return oauthError(400, "invalid_client", "invalid client credentials");
    std::string refreshToken = it->first;
    return tokenResponse(request, it->second.scope, false, refreshToken);
  }
  if (grant == "client_credentials") {
    if (clientId != options_.clientId || clientSecret != options_.clientSecret)
      return oauthError(400, "invalid_client", "invalid client credentials");
    return tokenResponse(request, "api", false, "");
  }
  if (grant == "password") {
    if (clientId != options_.clientId)
      return oauthError(400, "invalid_client_id", "client identifier invalid");
    if (clientSecret != options_.clientSecret)
      return oauthError(400, "invalid_client", "invalid client credentials");
    if (get("username") != options_.username ||
        get("password") != options_.password + options_.securityToken)
      return oauthError(400, "invalid_grant", "authentication failure");
    return tokenResponse(request, "api", false, "");
  }
  if (grant == kJwtGrant) {
    if (options_.jwtCertificatePem.empty())
      return oauthError(400, "invalid_grant",
                        "no certificate is configured for JWT bearer (start with --jwt-cert)");
    Poco::JWT::Token jwt;
    try {
      Poco::SharedPtr<Poco::Crypto::RSAKey> key;
      std::istringstream pem(options_.jwtCertificatePem);
      if (options_.jwtCertificatePem.find("BEGIN CERTIFICATE") != std::string::npos) {
        Poco::Crypto::X509Certificate certificate(pem);
        key = new Poco::Crypto::RSAKey(certificate);
      } else {
        key = new Poco::Crypto::RSAKey(&pem);
      }
      Poco::JWT::Signer signer(key);
      signer.setAlgorithms({Poco::JWT::Signer::ALGO_RS256});
      jwt = signer.verify(get("assertion"));
    } catch (const Poco::JWT::SignatureVerificationException&) {
      return oauthError(400, "invalid_grant", "invalid assertion");
    } catch (const Poco::Exception&) {
      return oauthError(400, "invalid_grant", "invalid assertion");
    }
    if (jwt.getIssuer() != options_.clientId)
      return oauthError(400, "invalid_client_id", "client identifier invalid");
    if (jwt.getSubject() != options_.username)
      return oauthError(400, "invalid_grant", "user hasn't approved this consumer");
    std::string base = instanceUrl(request);
    bool audienceOk = false;
    for (const auto& audience : jwt.getAudience())
      audienceOk = audienceOk || audience == "https://login.salesforce.com" ||
                   audience == "https://test.salesforce.com" || audience == base;
    if (!audienceOk) return oauthError(400, "invalid_grant", "audience is invalid");
    if (!jwt.payload().has("exp"))
      return oauthError(400, "invalid_grant", "invalid assertion: exp is required");
    if (jwt.getExpiration().epochMicroseconds() / 1000 <= now())
      return oauthError(400, "invalid_grant", "invalid assertion: expired");
    return tokenResponse(request, "api", false, "");
  }
  return oauthError(400, "unsupported_grant_type", "grant type not supported");
}

Response SalesforceService::revoke(const Request& request) {
  std::string token;
  if (const std::string* fromQuery = request.param("token")) token = *fromQuery;
  auto form = parseForm(request.body);
  if (const std::string* fromForm = formValue(form, "token")) token = *fromForm;
  if (token.empty()) return oauthError(400, "unsupported_token_type", "token type not supported");
  if (accessTokens_.erase(token) > 0) return jsonResponse(200, "");
  if (refreshTokens_.erase(token) > 0) {
    // Revoking a refresh token also kills the access tokens minted from it.
    for (auto it = accessTokens_.begin(); it != accessTokens_.end();) {
      if (it->second.refreshToken == token)
        it = accessTokens_.erase(it);
      else
        ++it;
    }
    return jsonResponse(200, "");
  }
  return oauthError(400, "invalid_token", "invalid token");
}

Response SalesforceService::identity(const Request& request,
                                     const std::vector<std::string>& parts) {
  Request withToken = request;
  if (const std::string* token = request.param("oauth_token"))
    withToken.headers.emplace_back("Authorization", "Bearer " + *token);
  if (auto unauthorized = authenticate(withToken)) {
    // The identity service answers with a plain 403 text rather than the REST error array.
    Response response;
    response.status = 403;
    response.contentType = "text/plain;charset=UTF-8";
    response.body = "Bad_OAuth_Token";
    return response;
  }
  if (parts.size() != 3 || parts[1] != org_->orgId() || parts[2] != org_->userId())
    return restError(404, "NOT_FOUND", "The requested resource does not exist");
  std::string base = instanceUrl(request);
  JsonWriter json;
  json.beginObject()
      .key("id")
      .value(base + "/id/" + org_->orgId() + "/" + org_->userId())
      .key("asserted_user")
      .value(true)
      .key("user_id")
      .value(org_->userId())
      .key("organization_id")
      .value(org_->orgId())
      .key("username")
      .value(options_.username)
      .key("nick_name")
      .value("integration")
      .key("display_name")
      .value("Integration User")
      .key("email")
      .value(options_.username)
      .key("active")
      .value(true)
      .key("user_type")
      .value("STANDARD")
      .key("language")
      .value("en_US")
      .key("locale")
      .value("en_US")
      .key("utcOffset")
      .value(0)
      .key("urls")
      .beginObject()
      .key("rest")
      .value(base + "/services/data/v{version}/")
      .key("sobjects")
      .value(base + "/services/data/v{version}/sobjects/")
      .key("query")
      .value(base + "/services/data/v{version}/query/")
      .key("limits")
      .value(base + "/services/data/v{version}/limits/")
      .endObject()
      .endObject();
  return jsonResponse(200, json.take());
}

}  // namespace ferry::sandbox::salesforce
