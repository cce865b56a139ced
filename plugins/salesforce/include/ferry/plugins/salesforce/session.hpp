// An authenticated session with one org: obtains and stores tokens for the configured OAuth
// flow, sends data API calls with the bearer token (refreshing once and replaying once on
// INVALID_SESSION_ID), and tracks the org's API usage from Sforce-Limit-Info.
//
// Tokens and the latest instance_url live in the connection's SecretStore under the names
// kAccessTokenSecret, kInstanceUrlSecret and kRefreshTokenSecret, so every connector instance of
// a connection (and every node) shares them; a 401 first re-reads the store in case another
// instance already refreshed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "ferry/plugins/salesforce/api.hpp"
#include "ferry/plugins/salesforce/oauth.hpp"
#include "ferry/plugins/salesforce/settings.hpp"
#include "ferry/sdk/host.hpp"
#include "ferry/sdk/http.hpp"
#include "ferry/sdk/result.hpp"

namespace ferry::plugins::salesforce {

inline constexpr const char* kAccessTokenSecret = "access_token";
inline constexpr const char* kInstanceUrlSecret = "instance_url";
inline constexpr const char* kRefreshTokenSecret = "refresh_token";
inline constexpr const char* kApiBucket = "salesforce-api";
inline constexpr const char* kAuthBucket = "salesforce-auth";

struct ApiCall {
  std::string method = "GET";
  std::string path;  // below instance_url: "/services/data/v60.0/query?q=..."
  std::string body;
  std::string contentType = "application/json";
  sdk::Headers headers;
  bool idempotent = true;  // false for plain POST creates: no transport-level retry
  std::chrono::milliseconds timeout{120'000};
  std::string what;  // "query Contact": prefixes error messages
};

class Session {
 public:
  Session(const sdk::HostContext& context, Settings settings);

  // Declares rate buckets and loads stored tokens/usage. Never calls the remote.
  void open();

  // Sends a data call and returns the response whatever its status, except that a 401 is
  // handled here (refresh once, replay once; a failed refresh reports kNeedsReauthorization and
  // returns kUnauthenticated). Transport failures come back as the HttpClient's error.
  sdk::Result<sdk::HttpResponse> send(const ApiCall& call);
  // send() plus: any non-2xx status becomes an Error (errorFromResponse).
  sdk::Result<sdk::HttpResponse> sendOk(const ApiCall& call);

  // Obtains a fresh access token with the configured flow and stores it.
  sdk::Status authenticate();

  // Web-server flow, step 1 and 2 (the admin API drives the browser redirect and callback).
  sdk::Result<std::string> authorizeUrl(const std::string& redirectUri, const std::string& state,
                                        const std::string& codeChallenge = {});
  sdk::Status exchangeCode(const std::string& code, const std::string& redirectUri,
                           const std::string& codeVerifier = {});

  // kBudgetExhausted (retriable) when the org's usage has reached the configured share of its
  // daily allowance; after kBudgetProbeInterval one call is let through to re-measure.
  sdk::Status checkBudget();
  std::optional<ApiUsage> usage() const { return usage_; }

  // Server time (Date header) of the most recent response, when the server sent one.
  std::optional<std::int64_t> lastServerTimeMs() const { return lastServerTimeMs_; }
  const Settings& settings() const { return settings_; }
  const sdk::HostContext& context() const { return context_; }

  static constexpr std::chrono::milliseconds kBudgetProbeInterval{5 * 60 * 1000};

 private:
  sdk::Result<std::string> secret(const std::string& name, const char* purpose);
  sdk::Status storeTokens(const TokenResponse& token);
  sdk::Status requestToken(const std::string& body, bool idempotent);
  sdk::Result<sdk::HttpResponse> sendOnce(const ApiCall& call);
  void observe(const sdk::HttpResponse& response);
  void setHealth(sdk::ConnectionHealth health, const std::string& reason);
  void persistUsage();
  sdk::Status loadTokens();

  const sdk::HostContext& context_;
  Settings settings_;
  std::string accessToken_;
  std::string instanceUrl_;
  std::optional<ApiUsage> usage_;
  std::int64_t usageAtMs_ = 0;
  std::int64_t usagePersistedAtMs_ = 0;
  std::optional<std::int64_t> lastServerTimeMs_;
  std::optional<sdk::ConnectionHealth> health_;
};

}  // namespace ferry::plugins::salesforce
