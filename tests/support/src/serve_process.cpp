#include "ferry/testing/serve_process.hpp"

namespace ferry::testing {

namespace {

ChildOptions serveOptions(const std::vector<std::string>& env) {
  ChildOptions options;
  options.env = env;
  options.pipeStdout = true;
  return options;
}

}  // namespace

ServeProcess::ServeProcess(const std::string& binary, const std::string& config,
                           const std::vector<std::string>& env)
    : child_(binary, {"serve", "--config", config}, serveOptions(env)) {
  if (!child_.started()) return;
  // "ferry serve listening on http://127.0.0.1:PORT" is the first line.
  const std::string line = child_.readLine(std::chrono::seconds(60));
  const auto at = line.find("http");
  if (at != std::string::npos) base_ = line.substr(at);
}

int ServeProcess::terminate(std::chrono::milliseconds timeout) {
  if (!child_.started()) return -1;
  return child_.terminate(timeout).exit;
}

}  // namespace ferry::testing
