// Token bucket for per-endpoint rate limits (People: 5 requests/s for most endpoints, ...).
// The clock is injectable so tests can drain and refill a bucket without sleeping.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace ferry::sandbox {

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

SteadyClock systemSteadyClock();

class TokenBucket {
 public:
  // ratePerSecond tokens are added continuously up to capacity; starts full.
  TokenBucket(double ratePerSecond, double capacity, SteadyClock clock = systemSteadyClock());

  // Takes one token when available.
  bool tryAcquire();
  // Seconds until the next token is available (0 when one is available now).
  double secondsUntilAvailable();
  void refill();  // back to full capacity

 private:
  void advance();  // caller holds mutex_

  std::mutex mutex_;
  double rate_;
  double capacity_;
  double tokens_;
  SteadyClock clock_;
  std::chrono::steady_clock::time_point last_;
};

// One bucket per named endpoint, created on first use with the given rate.
class RateLimiter {
 public:
  explicit RateLimiter(SteadyClock clock = systemSteadyClock()) : clock_(std::move(clock)) {}

  void setEnabled(bool enabled);
  bool enabled() const;
  // False when the endpoint's bucket is empty (caller answers 429). Always true when disabled.
  bool allow(const std::string& endpoint, double ratePerSecond, double capacity);
  void reset();

 private:
  mutable std::mutex mutex_;
  bool enabled_ = true;
  SteadyClock clock_;
  std::map<std::string, std::unique_ptr<TokenBucket>> buckets_;
};

}  // namespace ferry::sandbox
