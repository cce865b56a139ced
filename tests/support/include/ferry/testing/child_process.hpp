// A child process for tests: a program (usually the real `ferry` binary) started with arguments,
// extra environment variables and its output in a log file or a pipe; waited for with a bound,
// stopped by a signal, and killed when the object goes away, so a failed assertion leaves no
// process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace ferry::testing {

// The exit code of a waitpid() status, or 128 + the signal that ended the process, as a shell
// reports it.
int exitCode(int waitStatus);

struct ChildOptions {
  // "NAME=value" entries set on top of this process's environment (a NAME already there is
  // replaced).
  std::vector<std::string> env;
  // When set, stdout and stderr go to this file (one shared offset, so their lines never
  // overwrite each other); truncated first unless `appendLog`.
  std::string logFile;
  bool appendLog = false;
  // stdout goes to a pipe read by readLine() (stderr stays as is, or goes to logFile).
  bool pipeStdout = false;
};

// How a stop went: the exit status as exitCode(), -1 when the process outlived the timeout (it was
// then killed), and the time from the signal to the end.
struct Stopped {
  int exit = -1;
  std::chrono::milliseconds took{0};
};

class ChildProcess {
 public:
  // Starts `binary` (a path, not looked up in PATH) with `args` (without argv[0]). When it cannot
  // be started, started() is false and startError() says why.
  ChildProcess(const std::string& binary, const std::vector<std::string>& args,
               const ChildOptions& options = {});
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // SIGKILL and reap when still running

  bool started() const { return pid_ > 0; }
  const std::string& startError() const { return startError_; }

  // True while the process has not ended (an ended one is reaped and its status kept).
  bool running();
  // Blocks until the process ends; its exit status as exitCode().
  int wait();
  // The exit status, or -1 when the process still runs after `timeout` (it is left running).
  int wait(std::chrono::milliseconds timeout);
  // SIGTERM, then waits up to `timeout`; a process that outlives it is killed.
  Stopped terminate(std::chrono::milliseconds timeout);
  // SIGKILL and reap; the exit status (128 + 9 unless it had ended already).
  int kill();

  // With pipeStdout: the next line of stdout without its newline; what was read so far when the
  // pipe closes or `timeout` passes.
  std::string readLine(std::chrono::milliseconds timeout);

 private:
  bool reap(bool block);
  void release();

  pid_t pid_ = -1;
  int stdout_ = -1;
  int status_ = -1;  // exitCode() once reaped
  bool reaped_ = false;
  std::string startError_;
};

}  // namespace ferry::testing
