// The host's sdk::HttpClient, on Poco Net/NetSSL. One instance per connection: it owns that
// connection's keep-alive pool, rate-limit buckets and counters.
//
// Transport: HTTP/1.1 keep-alive with a small pool of sessions per origin (scheme, host, port).
// A pooled session the server has closed is detected before reuse and replaced transparently.
// HTTPS verifies the server against the system CAs (/etc/ssl/certs) and its host name. Every
// request asks for gzip and the body is inflated before the caller sees it.
//
// Retries follow the request's RetryPolicy: 429 is retried (the server did not process the
// request); 5xx and network failures only when the request is idempotent. Waits use full-jitter
// exponential backoff, or the server's Retry-After on 429/503 (a Retry-After longer than
// maxDelay is not waited for: the response is returned so the caller can defer the work).
// A 429 also pauses the request's bucket, so the connection's other callers slow down too.
//
// Secrets: header values and bodies are never logged or put into error texts; URLs appear
// without their query string.
//
// Thread-safe: any number of threads may call send() at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "ferry/host/common/metrics.hpp"
#include "ferry/sdk/host.hpp"
#include "ferry/sdk/http.hpp"

namespace ferry::host {

struct HttpClientOptions {
  std::string connection = "default";  // label on counters, metrics and log lines
  std::chrono::milliseconds connectTimeout{10'000};
  // Pooled connections idle longer than this are closed instead of reused.
  std::chrono::milliseconds idleTimeout{30'000};
  std::size_t maxIdlePerOrigin = 4;
  // Largest (decoded) response body accepted; larger ones fail with kMalformedResponse.
  std::size_t maxResponseBytes = 256u << 20;
  // Trusted CAs: a directory of hashed certificates or a PEM bundle file.
  std::string caLocation = "/etc/ssl/certs";
  std::string userAgent = "ferry/0.1";
  // Waits for rate limits and backoff go through this clock (tests pass a ManualClock so waits
  // are instant and measurable). Null = the system clock. Must outlive the client.
  sdk::Clock* clock = nullptr;
  // Seed for backoff jitter; 0 = seeded from std::random_device.
  std::uint64_t jitterSeed = 0;
  // Where per-connection figures are also published (ferry_http_* metrics). May be null.
  MetricsRegistry* metrics = nullptr;
  // Null = getLogger("ferry.http").
  std::shared_ptr<spdlog::logger> logger;
};

// Latency of single attempts (time to the last body byte), in milliseconds.
struct LatencyHistogram {
  std::vector<double> boundsMs;       // upper bounds
  std::vector<std::uint64_t> counts;  // per bound, plus one overflow bucket (not cumulative)
  double sumMs = 0;
  std::uint64_t count = 0;
};

// A consistent snapshot of one client's counters.
struct HttpStats {
  std::uint64_t requests = 0;           // send() calls
  std::uint64_t attempts = 0;           // exchanges tried, first tries and retries
  std::uint64_t retries = 0;            // attempts after the first
  std::uint64_t throttled = 0;          // 429 answers
  std::uint64_t networkErrors = 0;      // attempts that got no HTTP response
  std::uint64_t connectionsOpened = 0;  // new TCP (TLS) connections
  std::uint64_t connectionsReused = 0;  // attempts that reused a pooled connection
  std::uint64_t staleConnections = 0;   // pooled connections found closed by the server
  std::uint64_t bytesOut = 0;           // request bodies
  std::uint64_t bytesIn = 0;            // response bodies as received (before inflating)
  std::int64_t rateLimitWaitMs = 0;     // time callers spent waiting for bucket tokens
  std::int64_t backoffWaitMs = 0;       // time spent waiting between attempts
  // bucket ("default" when the request named none) -> status (0 = no response) -> attempts
  std::map<std::string, std::map<int, std::uint64_t>> calls;
  LatencyHistogram latency;

  // Attempts that ended with this status, over all buckets.
  std::uint64_t callsWithStatus(int status) const;
  // Attempts in this bucket, over all statuses.
  std::uint64_t callsInBucket(const std::string& bucket) const;
};

class PocoHttpClient final : public sdk::HttpClient {
 public:
  explicit PocoHttpClient(HttpClientOptions options = {});
  ~PocoHttpClient() override;
  PocoHttpClient(const PocoHttpClient&) = delete;
  PocoHttpClient& operator=(const PocoHttpClient&) = delete;

  sdk::Result<sdk::HttpResponse> send(const sdk::HttpRequest& request) override;
  // A rate that is not a positive finite number is refused (logged) and leaves the bucket as it
  // was; a burst below 1 is raised to 1.
  void defineBucket(const sdk::RateBucket& bucket) override;
  // Pausing an undeclared bucket is a no-op.
  void penalize(const std::string& bucket, std::chrono::milliseconds pause) override;

  HttpStats stats() const;
  const HttpClientOptions& options() const noexcept;
  // Closes all pooled idle connections (they are reopened on demand).
  void closeIdleConnections();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::host
