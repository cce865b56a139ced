// The real `ferry serve --config FILE` as a child process: started with extra environment
// variables, ready once it printed the address it listens on (the config asks for port 0, so the
// port is only known then), stopped with SIGTERM, killed if the test ends first.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "ferry/testing/child_process.hpp"

namespace ferry::testing {

class ServeProcess {
 public:
  // Waits up to a minute for the first line of stdout, which names the address.
  ServeProcess(const std::string& binary, const std::string& config,
               const std::vector<std::string>& env);

  bool ready() const { return !base_.empty(); }
  const std::string& base() const { return base_; }  // "http://127.0.0.1:PORT"

  // SIGTERM and wait: the exit status, or -1 when it did not stop within `timeout` (it is then
  // killed).
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  ChildProcess child_;
  std::string base_;
};

}  // namespace ferry::testing
