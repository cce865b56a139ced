// kill -9 during `ferry run` (jsonl -> jsonl, thousands of records), at several points, then a
// final run: every source record arrives exactly once, none twice.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "ferry/sdk/value.hpp"
#include "ferry/testing/child_process.hpp"
#include "ferry/testing/files.hpp"
#include "ferry/testing/jsonl_copy_load.hpp"
#include "ferry/testing/postgres.hpp"
#include "ferry/testing/wait_for.hpp"

namespace {

using namespace std::chrono_literals;
using ferry::testing::ChildProcess;

constexpr int kRecords = 20'000;

class CrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ferry::testing::writeJsonlCopyLoad(
        dir_.path(), "flow.yaml",
        {.flow = "crash-copy", .schedule = "1m", .records = kRecords, .maxBatch = 500});
  }

  // Starts `ferry run --once`, its output appended to run.log.
  ChildProcess startRun(const std::string& stateUrl) const {
    ferry::testing::ChildOptions options;
    options.logFile = dir_.file("run.log");
    options.appendLog = true;
    return ChildProcess(FERRY_BINARY,
                        {"run", dir_.file("flow.yaml"), "--once", "--state", stateUrl,
                         "--plugin-dir", FERRY_PLUGIN_DIR},
                        options);
  }

  std::size_t sinkLines() const {
    return ferry::testing::countLines(ferry::testing::jsonlCopySink(dir_.path()));
  }

  std::string runLog() const { return ferry::testing::readFile(dir_.file("run.log")); }

  std::string stateUrl() {
    if (GetParam() == "sqlite") return "sqlite://" + dir_.file("state.db");
    return ::ferry::testing::freshPostgresDatabase();
  }

  ferry::testing::TempDir dir_{"ferry-crash"};
};

TEST_P(CrashTest, KilledRunsResumeWithoutLossOrDuplicates) {
  const std::string url = stateUrl();
  if (url.empty())
    GTEST_SKIP() << "PostgreSQL unavailable: " << ::ferry::testing::postgresUnavailableReason();
  // Kill points: after some, many and most of the sink lines were written.
  int kills = 0;
  for (std::size_t threshold : {1'500u, 7'000u, 14'000u}) {
    ChildProcess run = startRun(url);
    ASSERT_TRUE(run.started()) << run.startError();
    ferry::testing::eventually([&] { return !run.running() || sinkLines() >= threshold; }, 120s,
                               2ms);
    if (run.running()) {
      run.kill();
      ++kills;
    } else {
      ASSERT_EQ(run.wait(), 0) << runLog();
    }
  }
  EXPECT_GE(kills, 2) << "runs finished before they could be killed";
  ChildProcess last = startRun(url);
  ASSERT_EQ(last.wait(), 0) << last.startError() << runLog();

  // The sink's latest line per id is the record; every email exactly once, all of them there.
  std::map<std::string, std::string> emailById;
  std::ifstream out(ferry::testing::jsonlCopySink(dir_.path()));
  for (std::string line; std::getline(out, line);) {
    auto value = ferry::sdk::Value::fromJson(line);
    ASSERT_TRUE(value && value->isObject()) << line;
    const auto* id = value->asObject().find("id");
    const auto* email = value->asObject().find("email");
    ASSERT_TRUE(id != nullptr && email != nullptr) << line;
    emailById[id->asString()] = email->asString();
  }
  std::multiset<std::string> emails;
  for (const auto& [id, email] : emailById) emails.insert(email);
  EXPECT_EQ(emailById.size(), static_cast<std::size_t>(kRecords));
  for (int i = 0; i < kRecords; i += 997) {
    EXPECT_EQ(emails.count("p" + std::to_string(i) + "@example.test"), 1u) << i;
  }
  std::set<std::string> distinct(emails.begin(), emails.end());
  EXPECT_EQ(distinct.size(), emails.size()) << "a record was created twice";
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
