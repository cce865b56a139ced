// Fault knobs applied by the server in front of every emulated API call (never to /__sandbox/).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

namespace ferry::sandbox {

struct FaultKnobs {
  int latencyMs = 0;          // added before every call
  double errorShare = 0.0;    // share of calls answered with errorStatus, 0..1
  int errorStatus = 503;      // 500..599
  double dropShare = 0.0;     // share of calls whose connection is closed with no response
  bool storm429 = false;      // every call answered 429 until switched off
  int storm429Remaining = 0;  // or: the next N calls answered 429
  uint64_t seed = 1;          // makes the error/drop sequence reproducible
};

enum class FaultAction { kNone, kDrop, kTooManyRequests, kServerError };

struct FaultDecision {
  int latencyMs = 0;
  FaultAction action = FaultAction::kNone;
  int status = 0;  // for kServerError / kTooManyRequests
};

// Thread-safe holder of the knobs plus the seeded random sequence that decides each call.
class FaultInjector {
 public:
  FaultKnobs knobs() const;
  // Validates ranges; returns an error message (empty when accepted). On error nothing changes.
  std::string set(const FaultKnobs& knobs);
  void clear();
  FaultDecision decide();

 private:
  double nextUnit();  // uniform in [0, 1), caller holds mutex_

  mutable std::mutex mutex_;
  FaultKnobs knobs_;
  uint64_t state_ = 1;
};

}  // namespace ferry::sandbox
