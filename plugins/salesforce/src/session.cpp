// Session: OAuth flows, bearer calls with one refresh-and-replay, API usage accounting.
#include "ferry/plugins/salesforce/session.hpp"

#include <algorithm>

#include "ferry/plugins/salesforce/oauth.hpp"

namespace ferry::plugins::salesforce {

namespace {

using sdk::ErrorCode;

constexpr const char* kUsageStateKey = "salesforce/api_usage";

bool isSuccess(int status) { return status >= 200 && status < 300; }

}  // namespace

Session::Session(const sdk::HostContext& context, Settings settings)
    : context_(context), settings_(std::move(settings)) {}

void Session::open() {
  if (context_.http != nullptr) {
    context_.http->defineBucket(sdk::RateBucket{kApiBucket,
                                                static_cast<double>(settings_.requestsPerSecond),
                                                static_cast<double>(settings_.requestsPerSecond)});
    context_.http->defineBucket(sdk::RateBucket{kAuthBucket, 2.0, 5.0});
  }
  (void)loadTokens();
  if (context_.state != nullptr) {
    auto stored = context_.state->get(kUsageStateKey);
    if (stored && stored->has_value()) {
      if (const auto json = sdk::Value::fromJson(**stored); json && json->isObject()) {
        const auto& o = json->asObject();
        const auto* used = o.find("used");
        const auto* max = o.find("max");
        const auto* at = o.find("at");
        if (used != nullptr && used->isInteger() && max != nullptr && max->isInteger() &&
            at != nullptr && at->isInteger() && max->asInteger() > 0) {
          usage_ = ApiUsage{used->asInteger(), max->asInteger()};
          usageAtMs_ = at->asInteger();
          usagePersistedAtMs_ = usageAtMs_;
        }
      }
    }
  }
}

sdk::Status Session::loadTokens() {
  if (context_.secrets == nullptr) return {};
  auto token = context_.secrets->get(kAccessTokenSecret);
  auto instance = context_.secrets->get(kInstanceUrlSecret);
  if (token && instance && !token->empty() && !instance->empty()) {
    accessToken_ = *token;
    instanceUrl_ = *instance;
  }
  return {};
}

sdk::Result<std::string> Session::secret(const std::string& name, const char* purpose) {
  if (context_.secrets == nullptr) {
    return sdk::Error::make(ErrorCode::kInternal, "no secret store in the host context");
  }
  auto value = context_.secrets->get(name);
  if (!value || value->empty()) {
    return sdk::Error::make(ErrorCode::kUnauthenticated,
                            "secret '" + name + "' (" + purpose + ") is not set for " +
                                toString(settings_.authMethod) + " authentication");
  }
  return std::move(value).value();
}

void Session::setHealth(sdk::ConnectionHealth health, const std::string& reason) {
  if (health_ == health) return;
  health_ = health;
  context_.setHealth(health, reason);
}

sdk::Status Session::storeTokens(const TokenResponse& token) {
  if (context_.secrets != nullptr) {
    auto a = context_.secrets->put(kAccessTokenSecret, token.accessToken);
    if (!a) return a;
    auto i = context_.secrets->put(kInstanceUrlSecret, token.instanceUrl);
    if (!i) return i;
    if (!token.refreshToken.empty()) {
      auto r = context_.secrets->put(kRefreshTokenSecret, token.refreshToken);
      if (!r) return r;
    }
  }
  if (!instanceUrl_.empty() && instanceUrl_ != token.instanceUrl && context_.logger != nullptr) {
    context_.logger->info("Salesforce instance URL changed to " + token.instanceUrl);
  }
  accessToken_ = token.accessToken;
  instanceUrl_ = token.instanceUrl;
  if (context_.metrics != nullptr) context_.metrics->add("salesforce_token_grants", "", 1);
  return {};
}

sdk::Status Session::requestToken(const std::string& body, bool idempotent) {
  sdk::HttpRequest request;
  request.method = "POST";
  request.url = settings_.loginUrl + "/services/oauth2/token";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  request.body = body;
  request.sensitiveBody = true;
  request.bucket = kAuthBucket;
  request.retry.idempotent = idempotent;
  auto response = context_.http->send(request);
  if (!response) {
    auto error = response.takeError();
    error.message = "token request to " + settings_.loginUrl + " failed: " + error.message;
    return error;
  }
  if (response->status != 200) {
    auto error = tokenError(response->status, response->body);
    if (error.code == ErrorCode::kUnauthenticated) {
      setHealth(sdk::ConnectionHealth::kNeedsReauthorization, error.message);
    }
    return error;
  }
  auto token = parseTokenResponse(response->body);
  if (!token) return token.takeError();
  // The signature proves the identity URL came from the org that knows our client secret. Not
  // every flow sends one (JWT bearer does not); when it is sent it must verify.
  if (!token->signature.empty()) {
    auto clientSecret = context_.secrets->get(settings_.clientSecretSecret);
    if (clientSecret && !clientSecret->empty() && !signatureValid(*token, *clientSecret)) {
      const std::string reason =
          "token response signature does not verify with the configured client secret (wrong "
          "secret or tampered response)";
      setHealth(sdk::ConnectionHealth::kNeedsReauthorization, reason);
      return sdk::Error::make(ErrorCode::kUnauthenticated, reason);
    }
  }
  auto stored = storeTokens(*token);
  if (!stored) return stored;
  setHealth(sdk::ConnectionHealth::kOk, "authenticated");
  return {};
}

sdk::Status Session::authenticate() {
  if (context_.http == nullptr) {
    return sdk::Error::make(ErrorCode::kInternal, "no HTTP client in the host context");
  }
  const auto fail = [&](sdk::Error error) -> sdk::Status {
    if (error.code == ErrorCode::kUnauthenticated) {
      setHealth(sdk::ConnectionHealth::kNeedsReauthorization, error.message);
    }
    return error;
  };
  auto clientId = secret(settings_.clientIdSecret, "Connected App consumer key");
  if (!clientId) return fail(clientId.takeError());
  switch (settings_.authMethod) {
    case AuthMethod::kWebServer:
    case AuthMethod::kRefreshToken: {
      auto refresh = context_.secrets->get(kRefreshTokenSecret);
      if (!refresh || refresh->empty()) {
        return fail(sdk::Error::make(
            ErrorCode::kUnauthenticated,
            settings_.authMethod == AuthMethod::kWebServer
                ? "not authorised yet: complete the OAuth web-server flow (authorize/callback)"
                : "secret 'refresh_token' is not set for refresh_token authentication"));
      }
      // The secret is optional for refresh: only some Connected Apps require it.
      auto clientSecret = context_.secrets->get(settings_.clientSecretSecret);
      return requestToken(
          refreshTokenBody(*refresh, *clientId, clientSecret ? *clientSecret : std::string()),
          true);
    }
    case AuthMethod::kClientCredentials: {
      auto clientSecret = secret(settings_.clientSecretSecret, "Connected App consumer secret");
      if (!clientSecret) return fail(clientSecret.takeError());
      return requestToken(clientCredentialsBody(*clientId, *clientSecret), true);
    }
    case AuthMethod::kJwtBearer: {
      auto username = secret(settings_.usernameSecret, "integration user's username");
      if (!username) return fail(username.takeError());
      auto key = secret(settings_.privateKeySecret, "PEM private key");
      if (!key) return fail(key.takeError());
      const std::string audience = settings_.jwtAudience.empty()
                                       ? jwtAudienceFor(settings_.loginUrl)
                                       : settings_.jwtAudience;
      auto assertion = jwtAssertion(*clientId, *username, audience, *key,
                                    context_.clock != nullptr ? context_.clock->nowMs() : 0);
      if (!assertion) {
        auto error = assertion.takeError();
        error.code = ErrorCode::kUnauthenticated;
        return fail(std::move(error));
      }
      return requestToken(jwtBearerBody(*assertion), true);
    }
    case AuthMethod::kPassword: {
      auto clientSecret = secret(settings_.clientSecretSecret, "Connected App consumer secret");
      if (!clientSecret) return fail(clientSecret.takeError());
      auto username = secret(settings_.usernameSecret, "username");
      if (!username) return fail(username.takeError());
      auto password = secret(settings_.passwordSecret, "password + security token");
      if (!password) return fail(password.takeError());
      return requestToken(passwordBody(*username, *password, *clientId, *clientSecret), true);
    }
  }
  return sdk::Error::make(ErrorCode::kInternal, "unknown auth method");
}

sdk::Result<std::string> Session::authorizeUrl(const std::string& redirectUri,
                                               const std::string& state,
                                               const std::string& codeChallenge) {
  auto clientId = secret(settings_.clientIdSecret, "Connected App consumer key");
  if (!clientId) return clientId.takeError();
  return salesforce::authorizeUrl(settings_.loginUrl, *clientId, redirectUri, state, codeChallenge);
}

sdk::Status Session::exchangeCode(const std::string& code, const std::string& redirectUri,
                                  const std::string& codeVerifier) {
  if (code.empty() || redirectUri.empty()) {
    return sdk::Error::make(ErrorCode::kInvalidArgument,
                            "authorization code and redirect_uri are required");
  }
  if (context_.http == nullptr) {
    return sdk::Error::make(ErrorCode::kInternal, "no HTTP client in the host context");
  }
  auto clientId = secret(settings_.clientIdSecret, "Connected App consumer key");
  if (!clientId) return clientId.takeError();
  auto clientSecret = secret(settings_.clientSecretSecret, "Connected App consumer secret");
  if (!clientSecret) return clientSecret.takeError();
  // A code is single-use: never replay the exchange at the transport level.
  return requestToken(
      authorizationCodeBody(code, *clientId, *clientSecret, redirectUri, codeVerifier), false);
}

void Session::observe(const sdk::HttpResponse& response) {
  const std::int64_t now = context_.clock != nullptr ? context_.clock->nowMs() : 0;
  if (const auto* date = response.header("Date")) {
    if (auto t = parseHttpDate(*date)) lastServerTimeMs_ = *t;
  }
  if (context_.metrics != nullptr) {
    context_.metrics->add("salesforce_api_calls", std::to_string(response.status), 1);
  }
  const auto* info = response.header("Sforce-Limit-Info");
  const auto usage = info != nullptr ? parseLimitInfo(*info) : std::nullopt;
  const bool success = response.status >= 200 && response.status < 300;
  if (!usage) {
    if (success && health_ == sdk::ConnectionHealth::kDegraded) {
      setHealth(sdk::ConnectionHealth::kOk, "Salesforce answers normally again");
    }
    return;
  }
  usage_ = usage;
  usageAtMs_ = now;
  const bool withinBudget =
      static_cast<double>(usage->used) < settings_.apiBudgetPercent / 100.0 * usage->max;
  if (success && withinBudget &&
      (health_ == sdk::ConnectionHealth::kDegraded ||
       health_ == sdk::ConnectionHealth::kBudgetExhausted)) {
    setHealth(sdk::ConnectionHealth::kOk, "API budget available again");
  }
  if (context_.metrics != nullptr) {
    context_.metrics->set("salesforce_api_usage", "used", static_cast<double>(usage->used));
    context_.metrics->set("salesforce_api_usage", "max", static_cast<double>(usage->max));
    context_.metrics->set("salesforce_api_usage_ratio", "", usage->ratio());
  }
  // Shared with the connection's other instances, at most once a minute.
  if (now - usagePersistedAtMs_ >= 60'000) persistUsage();
}

void Session::persistUsage() {
  if (context_.state == nullptr || !usage_) return;
  const sdk::Object o{{"used", usage_->used}, {"max", usage_->max}, {"at", usageAtMs_}};
  if (context_.state->put(kUsageStateKey, sdk::Value(o).toJson())) {
    usagePersistedAtMs_ = usageAtMs_;
  }
}

sdk::Status Session::checkBudget() {
  if (!usage_) return {};
  const double share = settings_.apiBudgetPercent / 100.0;
  const auto limit = static_cast<std::int64_t>(share * static_cast<double>(usage_->max));
  if (usage_->used < limit) {
    if (health_ == sdk::ConnectionHealth::kBudgetExhausted) {
      setHealth(sdk::ConnectionHealth::kOk, "API budget available again");
    }
    return {};
  }
  const std::int64_t now = context_.clock != nullptr ? context_.clock->nowMs() : 0;
  const std::string reason = "API budget spent: the org has used " + std::to_string(usage_->used) +
                             " of " + std::to_string(usage_->max) +
                             " daily calls, the limit for ferry is " +
                             std::to_string(settings_.apiBudgetPercent) + "%";
  if (health_ != sdk::ConnectionHealth::kBudgetExhausted) persistUsage();
  setHealth(sdk::ConnectionHealth::kBudgetExhausted, reason);
  // Usage is a rolling 24 h window: let one call through now and then to see it go down.
  if (now - usageAtMs_ >= kBudgetProbeInterval.count()) return {};
  return sdk::Error::make(ErrorCode::kBudgetExhausted, reason, true);
}

sdk::Result<sdk::HttpResponse> Session::sendOnce(const ApiCall& call) {
  sdk::HttpRequest request;
  request.method = call.method;
  request.url = instanceUrl_ + call.path;
  request.headers = call.headers;
  request.headers.emplace_back("Authorization", "Bearer " + accessToken_);
  if (sdk::findHeader(call.headers, "Accept") == nullptr) {
    request.headers.emplace_back("Accept", "application/json");
  }
  if (!call.body.empty()) request.headers.emplace_back("Content-Type", call.contentType);
  request.body = call.body;
  request.timeout = call.timeout;
  request.bucket = kApiBucket;
  request.retry.idempotent = call.idempotent;
  auto response = context_.http->send(request);
  if (!response) {
    auto error = response.takeError();
    error.message = call.what + ": " + error.message;
    return error;
  }
  observe(*response);
  return response;
}

sdk::Result<sdk::HttpResponse> Session::send(const ApiCall& call) {
  if (context_.http == nullptr) {
    return sdk::Error::make(ErrorCode::kInternal, "no HTTP client in the host context");
  }
  if (accessToken_.empty()) {
    auto auth = authenticate();
    if (!auth) return auth.takeError();
  }
  auto response = sendOnce(call);
  if (!response || response->status != 401) return response;

  // Expired or revoked session. Another instance of this connection may have refreshed
  // already: try its token first, so parallel workers do not each mint one.
  const std::string rejected = accessToken_;
  if (context_.secrets != nullptr) {
    auto stored = context_.secrets->get(kAccessTokenSecret);
    auto instance = context_.secrets->get(kInstanceUrlSecret);
    if (stored && instance && !stored->empty() && *stored != rejected) {
      accessToken_ = *stored;
      instanceUrl_ = *instance;
      response = sendOnce(call);
      if (!response || response->status != 401) return response;
    }
  }
  if (context_.logger != nullptr) {
    context_.logger->info("Salesforce session expired; obtaining a new access token");
  }
  auto auth = authenticate();
  if (!auth) {
    auto error = auth.takeError();
    if (error.code == ErrorCode::kUnauthenticated) {
      error.message =
          call.what + ": session expired and re-authentication failed: " + error.message;
    }
    return error;
  }
  response = sendOnce(call);
  if (response && response->status == 401) {
    const std::string reason =
        call.what + ": Salesforce refused a freshly issued token (INVALID_SESSION_ID)";
    setHealth(sdk::ConnectionHealth::kNeedsReauthorization, reason);
    return sdk::Error::make(ErrorCode::kUnauthenticated, reason, false, "INVALID_SESSION_ID");
  }
  return response;
}

sdk::Result<sdk::HttpResponse> Session::sendOk(const ApiCall& call) {
  auto response = send(call);
  if (!response) return response;
  if (!isSuccess(response->status)) {
    auto error = errorFromResponse(response->status, response->body, call.what);
    if (error.code == ErrorCode::kRateLimited && context_.http != nullptr) {
      // REQUEST_LIMIT_EXCEEDED: the org's allowance or its long-running-call cap; slow down.
      context_.http->penalize(kApiBucket, std::chrono::seconds(60));
      setHealth(sdk::ConnectionHealth::kDegraded, error.message);
    }
    return error;
  }
  return response;
}

}  // namespace ferry::plugins::salesforce
