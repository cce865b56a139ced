// Client-side rate limiting and retry timing: the pure arithmetic behind HttpClient, kept apart
// so it can be tested without a network.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "ferry/sdk/http.hpp"

namespace ferry::host {

// A token bucket that hands out reservations: reserve() takes a token immediately and says how
// long the caller must wait before using it. Because the balance may go negative, concurrent
// callers queue in arrival order and together never exceed the configured rate. Not
// thread-safe on its own (HttpClient guards it).
class TokenBucket {
 public:
  // rate > 0 tokens per second; burst >= 1 tokens; the bucket starts full.
  TokenBucket(double ratePerSecond, double burst, std::int64_t nowMs);

  // Takes one token; returns the wait before it may be used (zero when one was available).
  std::chrono::milliseconds reserve(std::int64_t nowMs);
  // No token is granted before untilMs; afterwards the bucket refills from empty. A shorter
  // pause than one already in force changes nothing.
  void pauseUntil(std::int64_t untilMs);
  // New rate and burst; keeps the current balance (capped at the new burst).
  void reconfigure(double ratePerSecond, double burst, std::int64_t nowMs);

  double rate() const noexcept { return rate_; }
  double burst() const noexcept { return burst_; }

 private:
  void refill(std::int64_t nowMs);

  double rate_;
  double burst_;
  double tokens_;
  // Refill clock; may lie in the future while a pause is in force.
  std::int64_t lastMs_;
};

// Delay before the next attempt after `failedAttempts` failures (1 after the first), using
// "full jitter": uniform in [0, min(maxDelay, baseDelay * 2^(failedAttempts-1))]. unit01 is a
// random number in [0, 1).
std::chrono::milliseconds backoffDelay(const sdk::RetryPolicy& policy, int failedAttempts,
                                       double unit01);

// A Retry-After header: delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT",
// also RFC 850 and asctime forms). Dates in the past give zero. nullopt when unparseable.
std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value,
                                                         std::int64_t nowMs);

}  // namespace ferry::host
