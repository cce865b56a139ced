// The production sdk::Clock (tests use sdk::testing::ManualClock).
#pragma once

#include <chrono>
#include <cstdint>

#include "ferry/sdk/host.hpp"

namespace ferry::host {

// Wall-clock time (Unix epoch milliseconds, UTC) and real sleeping.
class SystemClock final : public sdk::Clock {
 public:
  std::int64_t nowMs() override;
  void sleepFor(std::chrono::milliseconds d) override;
};

// The process's SystemClock, for components that were not handed a clock.
SystemClock& systemClock();

}  // namespace ferry::host
