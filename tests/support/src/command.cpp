#include "ferry/testing/command.hpp"

#include <cstdio>

#include "ferry/testing/child_process.hpp"

namespace ferry::testing {

CommandOutput runCommand(const std::string& commandLine) {
  CommandOutput out;
  FILE* pipe = ::popen(commandLine.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.text.append(buf, n);
  const int status = ::pclose(pipe);
  out.exitCode = status == -1 ? -1 : exitCode(status);
  return out;
}

}  // namespace ferry::testing
