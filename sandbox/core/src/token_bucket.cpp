#include "ferry/sandbox/token_bucket.hpp"

#include <algorithm>

namespace ferry::sandbox {

SteadyClock systemSteadyClock() {
  return [] { return std::chrono::steady_clock::now(); };
}

TokenBucket::TokenBucket(double ratePerSecond, double capacity, SteadyClock clock)
    : rate_(ratePerSecond),
      capacity_(capacity),
      tokens_(capacity),
      clock_(std::move(clock)),
      last_(clock_()) {}

void TokenBucket::advance() {
  auto now = clock_();
  if (now > last_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(capacity_, tokens_ + elapsed * rate_);
    last_ = now;
  }
}

bool TokenBucket::tryAcquire() {
  std::lock_guard lock(mutex_);
  advance();
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

double TokenBucket::secondsUntilAvailable() {
  std::lock_guard lock(mutex_);
  advance();
  if (tokens_ >= 1.0 || rate_ <= 0.0) return 0.0;
  return (1.0 - tokens_) / rate_;
}

void TokenBucket::refill() {
  std::lock_guard lock(mutex_);
  tokens_ = capacity_;
  last_ = clock_();
}

void RateLimiter::setEnabled(bool enabled) {
  std::lock_guard lock(mutex_);
  enabled_ = enabled;
}

bool RateLimiter::enabled() const {
  std::lock_guard lock(mutex_);
  return enabled_;
}

bool RateLimiter::allow(const std::string& endpoint, double ratePerSecond, double capacity) {
  TokenBucket* bucket = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!enabled_) return true;
    auto& slot = buckets_[endpoint];
    if (!slot) slot = std::make_unique<TokenBucket>(ratePerSecond, capacity, clock_);
    bucket = slot.get();
  }
  return bucket->tryAcquire();
}

void RateLimiter::reset() {
  std::lock_guard lock(mutex_);
  buckets_.clear();
}

}  // namespace ferry::sandbox
