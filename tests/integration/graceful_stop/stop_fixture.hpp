// Shared by the graceful-stop tests: a jsonl -> jsonl flow of thousands of records in a temporary
// directory, the state store of the test's parameter (SQLite or PostgreSQL through tests/support),
// and helpers to start `ferry run` and check the sink (child_process.hpp stops it).
#pragma once

#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ferry/sdk/value.hpp"
#include "ferry/testing/child_process.hpp"
#include "ferry/testing/files.hpp"
#include "ferry/testing/http_client.hpp"
#include "ferry/testing/json_access.hpp"
#include "ferry/testing/jsonl_copy_load.hpp"
#include "ferry/testing/postgres.hpp"
#include "ferry/testing/serve_config.hpp"
#include "ferry/testing/serve_process.hpp"
#include "ferry/testing/wait_for.hpp"

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

class GracefulStopTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    writeJsonlCopyLoad(
        dir_.path(), "flows/stop-copy.yaml",
        {.flow = "stop-copy", .schedule = "10m", .records = kRecords, .maxBatch = kBatch});
  }

  // SQLite file or a fresh PostgreSQL database; empty when PostgreSQL is unavailable.
  std::string stateUrl() {
    if (GetParam() == "sqlite") return "sqlite://" + dir_.file("state.db");
    return freshPostgresDatabase();
  }

  SinkContents sink() const {
    SinkContents out;
    std::ifstream file(jsonlCopySink(dir_.path()));
    for (std::string line; std::getline(file, line);) {
      ++out.lines;
      auto value = sdk::Value::fromJson(line);
      if (!value || !value->isObject()) continue;
      if (const auto* id = value->asObject().find("id")) out.ids.insert(id->asString());
      if (const auto* email = value->asObject().find("email")) out.emails.insert(email->asString());
    }
    return out;
  }

  std::size_t sinkLines() const { return countLines(jsonlCopySink(dir_.path())); }

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

  // Waits until the sink holds at least `lines` lines while `run` (when given) still runs.
  bool waitForSink(ChildProcess* run, std::size_t lines) const {
    bool ended = false;
    const bool reached = eventually(
        [&] {
          if (sinkLines() >= lines) return true;
          ended = run != nullptr && !run->running();
          return ended;
        },
        60s, 2ms);
    return reached && !ended;
  }

  // Starts `ferry run` (--once, or flows on their schedules) and sends it SIGTERM a little over
  // two batches in, while the third is being read, mapped or written: how it stopped, and what it
  // printed.
  void interruptMidLoad(const std::string& url, bool once, Stopped* stopped,
                        std::string* output) const {
    const std::string log = dir_.file("first.log");
    ChildProcess run = startRun(url, once, log);
    ASSERT_TRUE(run.started()) << run.startError();
    ASSERT_TRUE(waitForSink(&run, 2 * kBatch + 1)) << readFile(log);
    *stopped = run.terminate(60s);
    *output = readFile(log);
  }

  // The run after a stop (`written` records in the sink): `ferry run --once` exits 0 within two
  // minutes having created exactly the records still missing, and every record is in the sink
  // once. Its summary goes to *summary when asked for.
  void resumeToCompletion(const std::string& url, std::size_t written,
                          RunSummaryLine* summary = nullptr) const {
    const std::string log = dir_.file("second.log");
    ChildProcess again = startRun(url, true, log);
    ASSERT_TRUE(again.started()) << again.startError();
    EXPECT_EQ(again.wait(120s), 0) << readFile(log);
    const auto second = parseSummary(readFile(log), "stop-copy");
    ASSERT_TRUE(second.has_value()) << readFile(log);
    EXPECT_EQ(second->created, static_cast<long long>(kRecords - written)) << readFile(log);
    expectExactlyOnce();
    if (summary != nullptr) *summary = *second;
  }

  // `ferry run <flow> [--once] --state URL` with stdout and stderr in `log`.
  ChildProcess startRun(const std::string& url, bool once, const std::string& log) const {
    std::vector<std::string> args{"run", dir_.file("flows/stop-copy.yaml")};
    if (once) args.emplace_back("--once");
    args.insert(args.end(), {"--state", url, "--plugin-dir", FERRY_PLUGIN_DIR});
    ChildOptions options;
    options.logFile = log;
    return ChildProcess(FERRY_BINARY, args, options);
  }

  TempDir dir_;
};
}  // namespace ferry::testing
