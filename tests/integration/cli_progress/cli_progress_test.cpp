// `ferry run --once` on a People initial load: the People source estimates what is left, so the
// progress log lines (one per batch with --progress-every 0s) carry an ETA and the estimate.
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ferry/sandbox/people/service.hpp"
#include "ferry/sandbox/server.hpp"
#include "ferry/testing/command.hpp"
#include "ferry/testing/files.hpp"

namespace {

using ferry::testing::CommandOutput;
using ::testing::HasSubstr;

// Runs a command line with stderr merged into the captured stdout.
CommandOutput run(const std::string& command) {
  return ferry::testing::runCommand(command + " 2>&1");
}

class CliProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "connections");
    server_.addService(ferry::sandbox::people::makePeopleService());
    server_.start();
  }
  void TearDown() override { server_.stop(); }

  void seed(int customers) {
    ferry::sandbox::Request request;
    request.method = "POST";
    request.path = "/__sandbox/people/seed";
    request.body = R"({"count":)" + std::to_string(customers) + R"(,"seed":11})";
    const auto answer = server_.service("people")->admin(request, "seed");
    ASSERT_EQ(answer.status, 200) << answer.body;
  }

  // A People -> JSON lines flow and its connections. Pages of 100 and batches of 100: with 450
  // customers, five batches, the source estimating 350, 250, ... left.
  void writeFlow() {
    std::ofstream(dir_.path() / "connections" / "people.yaml")
        << "connection: people\nplugin: people\nsettings:\n  base_url: " << server_.baseUrl()
        << "\n  api_key: ${PEOPLE_API_KEY}\n  page_size: 100\n  reconcile_interval: 0s\n";
    std::ofstream(dir_.path() / "connections" / "files.yaml")
        << "connection: files\nplugin: jsonl\nsettings:\n  directory: " << dir_.path().string()
        << "\n  entities:\n    Customer:\n      id: id\n      fields:\n        id: string\n"
        << "        peopleId: string\n        firstName: string\n        lastName: string\n";
    std::ofstream(dir_.path() / "flow.yaml") << R"(flow: customers-out
source: { connection: people, entity: Customer }
sink: { connection: files, entity: Customer }
direction: one-way
schedule: { every: 1m }
batch_size: 100
map:
  id: peopleId
  firstName: firstName
  lastName: lastName
)";
  }

  // `ferry run` on the flow with the API key in the environment, progress logged every batch.
  std::string ferryRun(const std::string& options) const {
    return "env PEOPLE_API_KEY=sandbox-people-key " + std::string(FERRY_BINARY) + " run " +
           dir_.file("flow.yaml") + " --progress-every 0s --state sqlite://" +
           dir_.file("state.db") + " --plugin-dir " + FERRY_PLUGIN_DIR + options;
  }

  ferry::testing::TempDir dir_{"ferry-cli-progress"};
  ferry::sandbox::SandboxServer server_;
};

TEST_F(CliProgressTest, InitialLoadLogsProgressWithAnEta) {
  seed(450);
  writeFlow();
  const CommandOutput out = run(ferryRun(" --once"));
  ASSERT_EQ(out.exitCode, 0) << out.text;
  EXPECT_THAT(out.text, HasSubstr("customers-out: succeeded"));
  EXPECT_THAT(out.text, HasSubstr("created 450"));
  // After the first batch: 100 records done, an ETA, and the source's estimate of the rest.
  EXPECT_THAT(out.text, ::testing::ContainsRegex("progress: 100 records, [0-9.]+/s, ETA "
                                                 "[0-9]+[smhd][0-9smhd ]* \\(~350 left\\)"));
  EXPECT_THAT(out.text, HasSubstr("(~250 left)"));
  EXPECT_THAT(out.text, HasSubstr("progress: 450 records"));
  EXPECT_THAT(out.text, HasSubstr("ETA 0s (~0 left)"));  // the last batch: nothing left
}

TEST_F(CliProgressTest, ScheduledRunsLogTheirProgressToo) {
  seed(450);
  writeFlow();
  // Without --once the flow runs on its schedule until interrupted: SIGINT after 3 s.
  const CommandOutput out = run("timeout --preserve-status -s INT 3 " + ferryRun(""));
  EXPECT_EQ(out.exitCode, 0) << out.text;
  EXPECT_THAT(out.text, HasSubstr("customers-out: succeeded"));
  // The scheduler's snapshots are polled (a batch may pass unseen), and each one seen is logged
  // once: at least one line with the estimate, at most one per batch.
  EXPECT_THAT(out.text, ::testing::ContainsRegex("progress: [0-9]+ records, [0-9.]+/s, ETA [^(]+"
                                                 "\\(~[0-9]+ left\\)"));
  std::size_t lines = 0;
  for (auto at = out.text.find("progress: "); at != std::string::npos;
       at = out.text.find("progress: ", at + 1)) {
    ++lines;
  }
  EXPECT_LE(lines, 5u) << out.text;
}

TEST_F(CliProgressTest, MalformedIntervalIsAUsageError) {
  const CommandOutput out = run(std::string(FERRY_BINARY) + " run " + dir_.file("flow.yaml") +
                                " --once --progress-every soon");
  EXPECT_EQ(out.exitCode, 2) << out.text;
  EXPECT_THAT(out.text, HasSubstr("--progress-every expects a duration"));
}

}  // namespace
