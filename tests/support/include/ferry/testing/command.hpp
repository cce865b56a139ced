// A shell command run to completion with its stdout captured, for tests of the `ferry` CLI: the
// command line is what a person would type (redirections such as "2>&1" included).
#pragma once

#include <string>

namespace ferry::testing {

struct CommandOutput {
  int exitCode = -1;  // as exitCode() in child_process.hpp; -1 when the shell could not start
  std::string text;   // stdout (and whatever the command line redirects into it)
};

CommandOutput runCommand(const std::string& commandLine);

}  // namespace ferry::testing
