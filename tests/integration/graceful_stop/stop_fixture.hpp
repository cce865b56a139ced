// Shared by the graceful-stop tests: a jsonl -> jsonl flow of thousands of records in a temporary
// directory, the state store of the test's parameter (SQLite or PostgreSQL through tests/support),
// and helpers to start `ferry run`, stop it with SIGTERM and check the sink.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "../server/serve_harness.hpp"
#include "ferry/sdk/value.hpp"
#include "ferry/testing/postgres.hpp"

namespace ferry::testing {

using namespace std::chrono_literals;

inline constexpr int kRecords = 20'000;
inline constexpr int kBatch = 500;
inline constexpr const char* kAdminToken = "stop-admin-token-0123456789abcdef";
inline constexpr const char* kMasterKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
// A stop must not wait for the rest of the load: one batch at most, with a margin for a loaded
// two-core machine.
inline constexpr auto kStopBound = 10s;

struct SinkContents {
  std::size_t lines = 0;
  std::set<std::string> ids;
  std::set<std::string> emails;
};

struct RunSummaryLine {
  std::string status;
  long long read = -1;
  long long created = -1;
};

// "<flow>: <status> in 1.23s: read N, created N, ..." as `ferry run` prints it.
inline std::optional<RunSummaryLine> parseSummary(const std::string& output,
                                                  const std::string& flow) {
  const std::regex line(flow + R"(: (\w+) in [0-9.]+s: read (\d+), created (\d+),)");
  std::smatch m;
  if (!std::regex_search(output, m, line)) return std::nullopt;
  return RunSummaryLine{m[1].str(), std::stoll(m[2].str()), std::stoll(m[3].str())};
}

// Waits for a child to end; the exit code, 128 + signal, or -1 when it outlived the timeout.
inline int waitExit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(5ms);
  }
  return -1;
}

struct Stopped {
  int exit = -1;  // as waitExit; the child is killed when it did not stop in time
  std::chrono::milliseconds took{0};
};

// SIGTERM, then waits up to `timeout` for the child to end.
inline Stopped terminateChild(pid_t pid, std::chrono::milliseconds timeout) {
  ::kill(pid, SIGTERM);
  const auto signalled = std::chrono::steady_clock::now();
  Stopped out;
  out.exit = waitExit(pid, timeout);
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - signalled);
  if (out.exit < 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  return out;
}

class GracefulStopTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ::chmod(dir_.path().c_str(), 0700);
    std::filesystem::create_directories(dir_.path() / "in");
    std::filesystem::create_directories(dir_.path() / "out");
    std::ofstream in(dir_.path() / "in" / "Contact.jsonl");
    for (int i = 0; i < kRecords; ++i) {
      in << R"({"id":"c)" << i << R"(","email":"P)" << i << R"(@Example.test","firstName":"F)" << i
         << R"(","lastName":"L"})"
         << "\n";
    }
    std::ofstream(dir_.path() / "out" / "Person.jsonl").close();
    writeConnection("src", "in", "Contact");
    writeConnection("dst", "out", "Person");
    dir_.write("flows/stop-copy.yaml", R"(flow: stop-copy
source: { connection: src, entity: Contact }
sink: { connection: dst, entity: Person }
direction: one-way
schedule: { every: 10m }
match:
  - { source: email, sink: email }
map:
  firstName: firstName
  lastName: lastName
  email: { to: email, transform: [trim, lower] }
)");
  }

  void writeConnection(const std::string& name, const std::string& folder,
                       const std::string& entity) {
    dir_.write("flows/connections/" + name + ".yaml",
               "connection: " + name +
                   "\nplugin: jsonl\nsettings:\n  directory: " + dir_.file(folder) +
                   "\n  maxBatch: " + std::to_string(kBatch) + "\n  entities:\n    " + entity +
                   ":\n      id: id\n      fields:\n        email: email\n"
                   "        firstName: string\n        lastName: string\n");
  }

  // SQLite file or a fresh PostgreSQL database; empty when PostgreSQL is unavailable.
  std::string stateUrl() {
    if (GetParam() == "sqlite") return "sqlite://" + dir_.file("state.db");
    return freshPostgresDatabase();
  }

  SinkContents sink() const {
    SinkContents out;
    std::ifstream file(dir_.path() / "out" / "Person.jsonl");
    for (std::string line; std::getline(file, line);) {
      ++out.lines;
      auto value = sdk::Value::fromJson(line);
      if (!value || !value->isObject()) continue;
      if (const auto* id = value->asObject().find("id")) out.ids.insert(id->asString());
      if (const auto* email = value->asObject().find("email")) out.emails.insert(email->asString());
    }
    return out;
  }

  std::size_t sinkLines() const {
    std::ifstream file(dir_.path() / "out" / "Person.jsonl");
    std::size_t n = 0;
    for (std::string line; std::getline(file, line);) ++n;
    return n;
  }

  // Every source record exactly once: one line each, no id or email twice.
  void expectExactlyOnce() const {
    const SinkContents s = sink();
    EXPECT_EQ(s.lines, static_cast<std::size_t>(kRecords)) << "a record was written twice";
    EXPECT_EQ(s.ids.size(), static_cast<std::size_t>(kRecords));
    EXPECT_EQ(s.emails.size(), static_cast<std::size_t>(kRecords));
    for (int i = 0; i < kRecords; i += 997) {
      EXPECT_EQ(s.emails.count("p" + std::to_string(i) + "@example.test"), 1U) << i;
    }
  }

  // Waits until the sink holds at least `lines` lines while `pid` still runs.
  bool waitForSink(pid_t pid, std::size_t lines) const {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (sinkLines() >= lines) return true;
      if (pid > 0 && ::kill(pid, 0) != 0) return false;
      std::this_thread::sleep_for(2ms);
    }
    return false;
  }

  // `ferry run <flow> [--once] --state URL` with stdout and stderr in `log`.
  pid_t startRun(const std::string& url, bool once, const std::string& log) const {
    const std::string flow = dir_.file("flows/stop-copy.yaml");
    // Buffered output would otherwise be written a second time by the child.
    std::cout.flush();
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      std::freopen(log.c_str(), "w", stdout);
      std::freopen(log.c_str(), "a", stderr);
      if (once) {
        ::execl(FERRY_BINARY, FERRY_BINARY, "run", flow.c_str(), "--once", "--state", url.c_str(),
                "--plugin-dir", FERRY_PLUGIN_DIR, static_cast<char*>(nullptr));
      } else {
        ::execl(FERRY_BINARY, FERRY_BINARY, "run", flow.c_str(), "--state", url.c_str(),
                "--plugin-dir", FERRY_PLUGIN_DIR, static_cast<char*>(nullptr));
      }
      std::_Exit(127);
    }
    return pid;
  }

  TempDir dir_;
};
}  // namespace ferry::testing
