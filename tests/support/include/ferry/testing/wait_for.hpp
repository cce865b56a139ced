// Polling with a deadline, for conditions a test cannot be told about (a file filling up, an HTTP
// status changing).
#pragma once

#include <chrono>
#include <thread>

namespace ferry::testing {

// Polls `condition` every `interval` until it holds or `timeout` passes; the condition is checked
// once more at the deadline, so a slow last poll is not lost.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(20),
                std::chrono::milliseconds interval = std::chrono::milliseconds(50)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(interval);
  }
  return condition();
}

}  // namespace ferry::testing
