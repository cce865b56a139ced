#include "ferry/sandbox/faults.hpp"

#include "ferry/sandbox/fake_data.hpp"

namespace ferry::sandbox {

FaultKnobs FaultInjector::knobs() const {
  std::lock_guard lock(mutex_);
  return knobs_;
}

std::string FaultInjector::set(const FaultKnobs& knobs) {
  if (knobs.latencyMs < 0 || knobs.latencyMs > 600000) return "latencyMs must be 0..600000";
  if (!(knobs.errorShare >= 0.0 && knobs.errorShare <= 1.0)) return "errorShare must be 0..1";
  if (!(knobs.dropShare >= 0.0 && knobs.dropShare <= 1.0)) return "dropShare must be 0..1";
  if (knobs.errorStatus < 500 || knobs.errorStatus > 599) return "errorStatus must be 500..599";
  if (knobs.storm429Remaining < 0) return "storm429Requests must be >= 0";
  std::lock_guard lock(mutex_);
  bool reseed = knobs.seed != knobs_.seed;
  knobs_ = knobs;
  if (reseed) state_ = knobs.seed;
  return {};
}

void FaultInjector::clear() {
  std::lock_guard lock(mutex_);
  knobs_ = FaultKnobs{};
  state_ = knobs_.seed;
}

double FaultInjector::nextUnit() {
  SeededRandom random(state_);
  double unit = random.unit();
  state_ = random.next();
  return unit;
}

FaultDecision FaultInjector::decide() {
  std::lock_guard lock(mutex_);
  FaultDecision decision;
  decision.latencyMs = knobs_.latencyMs;
  if (knobs_.storm429 || knobs_.storm429Remaining > 0) {
    if (knobs_.storm429Remaining > 0) --knobs_.storm429Remaining;
    decision.action = FaultAction::kTooManyRequests;
    decision.status = 429;
    return decision;
  }
  // Draw both numbers on every call so one knob's setting does not shift the other's sequence.
  double drop = nextUnit();
  double error = nextUnit();
  if (drop < knobs_.dropShare) {
    decision.action = FaultAction::kDrop;
  } else if (error < knobs_.errorShare) {
    decision.action = FaultAction::kServerError;
    decision.status = knobs_.errorStatus;
  }
  return decision;
}

}  // namespace ferry::sandbox
