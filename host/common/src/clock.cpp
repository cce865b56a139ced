#include "ferry/host/common/clock.hpp"

#include <thread>

namespace ferry::host {

std::int64_t SystemClock::nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SystemClock::sleepFor(std::chrono::milliseconds d) {
  if (d.count() > 0) std::this_thread::sleep_for(d);
}

SystemClock& systemClock() {
  static SystemClock instance;
  return instance;
}

}  // namespace ferry::host
