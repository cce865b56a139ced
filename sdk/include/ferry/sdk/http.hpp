// The HTTP client the host lends to plugins. One place for transport concerns: keep-alive per
// origin, TLS with the system CAs, timeouts, gzip, retries with backoff and jitter, Retry-After,
// per-connection rate limiting and per-call counters. Connectors only build requests and parse
// responses.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/sdk/result.hpp"

namespace ferry::sdk {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; nullptr when absent.
const std::string* findHeader(const Headers& headers, std::string_view name) noexcept;

struct RetryPolicy {
  int maxAttempts = 4;  // total attempts including the first
  std::chrono::milliseconds baseDelay{200};
  std::chrono::milliseconds maxDelay{30'000};
  bool retryOn429 = true;
  bool retryOn5xx = true;      // only applied when the request is idempotent
  bool retryOnNetwork = true;  // connect/read failures; only when idempotent
  bool idempotent = true;      // GET/PUT/DELETE and keyed upserts are; plain POST creates are not
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: scheme://host[:port]/path?query
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{30'000};
  // Rate-limit bucket this call draws from (declared with HttpClient::defineBucket);
  // empty = no client-side limit. Also the label under which the call is counted.
  std::string bucket;
  RetryPolicy retry;
  // Header values that must never be logged or echoed in errors (Authorization always is).
  bool sensitiveBody = false;  // e.g. OAuth token requests carry secrets in the body
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;  // already decompressed
  int attempts = 1;  // how many tries it took
  const std::string* header(std::string_view name) const noexcept {
    return findHeader(headers, name);
  }
};

struct RateBucket {
  std::string name;
  double ratePerSecond = 5.0;
  double burst = 1.0;  // tokens the bucket holds when full
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends a request, applying the retry policy and the bucket's rate limit. Returns the final
  // response for any HTTP status (4xx/5xx included, after retries ran out); an Error only when
  // no response was obtained (network, TLS, timeout) with retriable set accordingly.
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
  // Declares (or redefines) a client-side token bucket for this connection.
  virtual void defineBucket(const RateBucket& bucket) = 0;
  // Slows a bucket after the remote signalled overload (429) for the given time.
  virtual void penalize(const std::string& bucket, std::chrono::milliseconds pause) = 0;
};

}  // namespace ferry::sdk
