// ferry run / status / dead-letters / conflicts with the real binary on a small jsonl flow: a
// rejected record is listed, the operator fixes the sink's schema and retries it.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "ferry/testing/command.hpp"
#include "ferry/testing/files.hpp"

namespace {

using ferry::testing::CommandOutput;

// Runs `ferry <args>` (stdout and stderr together); commands that load plugins get the build's
// plugin directory.
CommandOutput ferry(const std::string& args) {
  const bool loadsPlugins = args.starts_with("run ") || args.starts_with("dead-letters --");
  return ferry::testing::runCommand(
      std::string(FERRY_BINARY) + " " + args +
      (loadsPlugins ? std::string(" --plugin-dir ") + FERRY_PLUGIN_DIR : "") + " 2>&1");
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "connections");
    std::ofstream(dir_.path() / "Contact.jsonl")
        << R"({"id":"c1","email":"a@x.test","lastName":"Short"})"
        << "\n"
        << R"({"id":"c2","email":"b@x.test","lastName":"Tiny"})"
        << "\n"
        << R"({"id":"c3","email":"c@x.test","lastName":"MuchTooLong"})"
        << "\n";
    std::ofstream(dir_.path() / "Person.jsonl").close();
    writeConnection("src", "Contact", 50);
    writeConnection("dst", "Person", 5);
    std::ofstream(dir_.path() / "flow.yaml") << R"(flow: cli-copy
source: { connection: src, entity: Contact }
sink: { connection: dst, entity: Person }
direction: one-way
schedule: { every: 1m }
match:
  - { source: email, sink: email }
map:
  email: email
  lastName: lastName
)";
    state_ = "--state sqlite://" + dir_.file("state.db");
  }

  void writeConnection(const std::string& name, const std::string& entity, int maxLength) {
    std::ofstream(dir_.path() / "connections" / (name + ".yaml"))
        << "connection: " << name
        << "\nplugin: jsonl\nsettings:\n  directory: " << dir_.path().string()
        << "\n  entities:\n    " << entity << ":\n      id: id\n      fields:\n"
        << "        email: email\n        lastName: { type: string, maxLength: " << maxLength
        << " }\n";
  }

  ferry::testing::TempDir dir_{"ferry-cli"};
  std::string state_;
};

TEST_F(CliTest, RunListRetryAndStatus) {
  const std::string flow = dir_.file("flow.yaml");
  const CommandOutput run = ferry("run " + flow + " --once " + state_);
  ASSERT_EQ(run.exitCode, 0) << run.text;
  EXPECT_NE(run.text.find("cli-copy: succeeded"), std::string::npos) << run.text;
  EXPECT_NE(run.text.find("created 2"), std::string::npos) << run.text;
  EXPECT_NE(run.text.find("rejected 1"), std::string::npos) << run.text;

  const CommandOutput letters = ferry("dead-letters " + state_);
  ASSERT_EQ(letters.exitCode, 0) << letters.text;
  EXPECT_NE(letters.text.find("c3"), std::string::npos) << letters.text;
  EXPECT_NE(letters.text.find("lastName"), std::string::npos) << letters.text;

  const CommandOutput status = ferry("status " + state_);
  ASSERT_EQ(status.exitCode, 0) << status.text;
  EXPECT_NE(status.text.find("cli-copy"), std::string::npos) << status.text;
  EXPECT_NE(status.text.find("succeeded"), std::string::npos) << status.text;

  // Still too long: the retry fails and says so.
  const CommandOutput failing = ferry("dead-letters --all " + state_);
  EXPECT_EQ(failing.exitCode, 1) << failing.text;
  EXPECT_NE(failing.text.find("1 still failing"), std::string::npos) << failing.text;

  writeConnection("dst", "Person", 50);  // the operator widens the field
  const CommandOutput retried = ferry("dead-letters --all " + state_);
  ASSERT_EQ(retried.exitCode, 0) << retried.text;
  EXPECT_NE(retried.text.find("1 resolved"), std::string::npos) << retried.text;
  EXPECT_NE(ferry("dead-letters " + state_).text.find("no pending dead letters"),
            std::string::npos);
  EXPECT_NE(ferry("conflicts " + state_).text.find("no open conflicts"), std::string::npos);

  EXPECT_EQ(ferry::testing::countLines(dir_.path() / "Person.jsonl"), 3U);

  const CommandOutput bad = ferry("dead-letters --retry abc " + state_);
  EXPECT_EQ(bad.exitCode, 2) << bad.text;
}

}  // namespace
