#include "ferry/testing/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

extern char** environ;

namespace ferry::testing {

namespace {

using Clock = std::chrono::steady_clock;

// How often a bounded wait looks at the child: fine enough to time a stop to a few milliseconds.
constexpr auto kPollInterval = std::chrono::milliseconds(5);

// This process's environment with `overrides` ("NAME=value") replacing or adding entries.
std::vector<std::string> childEnvironment(const std::vector<std::string>& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& o : overrides) replaced = replaced || o.substr(0, o.find('=')) == name;
    if (!replaced) out.push_back(entry);
  }
  out.insert(out.end(), overrides.begin(), overrides.end());
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

int exitCode(int waitStatus) {
  return WIFEXITED(waitStatus) ? WEXITSTATUS(waitStatus) : 128 + WTERMSIG(waitStatus);
}

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args,
                           const ChildOptions& options) {
  int out[2] = {-1, -1};
  if (options.pipeStdout && ::pipe2(out, O_CLOEXEC) != 0) {
    startError_ = std::string("cannot make a pipe: ") + std::strerror(errno);
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!options.logFile.empty()) {
    const int flags = O_WRONLY | O_CREAT | (options.appendLog ? O_APPEND : O_TRUNC);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, options.logFile.c_str(), flags, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  }
  if (options.pipeStdout) posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);

  std::vector<std::string> argStrings{binary};
  argStrings.insert(argStrings.end(), args.begin(), args.end());
  std::vector<std::string> envStrings = childEnvironment(options.env);
  std::vector<char*> argv = pointers(argStrings);
  std::vector<char*> envp = pointers(envStrings);
  const int error =
      ::posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (options.pipeStdout) {
    ::close(out[1]);
    stdout_ = out[0];
  }
  if (error != 0) {
    pid_ = -1;
    startError_ = "cannot start " + binary + ": " + std::strerror(error);
  }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      stdout_(std::exchange(other.stdout_, -1)),
      status_(other.status_),
      reaped_(other.reaped_),
      startError_(std::move(other.startError_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    stdout_ = std::exchange(other.stdout_, -1);
    status_ = other.status_;
    reaped_ = other.reaped_;
    startError_ = std::move(other.startError_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { release(); }

void ChildProcess::release() {
  if (pid_ > 0 && !reaped_) kill();
  if (stdout_ >= 0) ::close(stdout_);
  stdout_ = -1;
}

bool ChildProcess::reap(bool block) {
  if (reaped_) return true;
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t got = -1;
  do {
    got = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got != pid_) return false;
  reaped_ = true;
  status_ = exitCode(status);
  return true;
}

bool ChildProcess::running() { return started() && !reap(false); }

int ChildProcess::wait() { return reap(true) ? status_ : -1; }

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!reap(false)) {
    if (!started() || Clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(kPollInterval);
  }
  return status_;
}

Stopped ChildProcess::terminate(std::chrono::milliseconds timeout) {
  Stopped out;
  if (!started()) return out;
  if (!reaped_) ::kill(pid_, SIGTERM);
  const auto signalled = Clock::now();
  out.exit = wait(timeout);
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - signalled);
  if (out.exit < 0) kill();
  return out;
}

int ChildProcess::kill() {
  if (!started()) return -1;
  // A reaped pid may belong to another process by now: never signal it.
  if (!reaped_) ::kill(pid_, SIGKILL);
  return wait();
}

std::string ChildProcess::readLine(std::chrono::milliseconds timeout) {
  std::string line;
  const auto deadline = Clock::now() + timeout;
  while (stdout_ >= 0 && Clock::now() < deadline) {
    pollfd p{stdout_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char c = 0;
    if (::read(stdout_, &c, 1) != 1 || c == '\n') break;
    line += c;
  }
  return line;
}

}  // namespace ferry::testing
