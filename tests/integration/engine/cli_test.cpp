// ferry run / status / dead-letters / conflicts with the real binary on a small jsonl flow: a
// rejected record is listed, the operator fixes the sink's schema and retries it.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

struct Output {
  int exitCode = -1;
  std::string text;  // stdout and stderr
};

// Runs `ferry <args>`; commands that load plugins get the build's plugin directory.
Output ferry(const std::string& args) {
  const bool loadsPlugins = args.starts_with("run ") || args.starts_with("dead-letters --");
  const std::string cmd = std::string(FERRY_BINARY) + " " + args +
                          (loadsPlugins ? std::string(" --plugin-dir ") + FERRY_PLUGIN_DIR : "") +
                          " 2>&1";
  Output out;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.text.append(buf, n);
  const int status = ::pclose(pipe);
  out.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ferry-cli-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "connections");
    std::ofstream(dir_ / "Contact.jsonl")
        << R"({"id":"c1","email":"a@x.test","lastName":"Short"})"
        << "\n"
        << R"({"id":"c2","email":"b@x.test","lastName":"Tiny"})"
        << "\n"
        << R"({"id":"c3","email":"c@x.test","lastName":"MuchTooLong"})"
        << "\n";
    std::ofstream(dir_ / "Person.jsonl").close();
    writeConnection("src", "Contact", 50);
    writeConnection("dst", "Person", 5);
    std::ofstream(dir_ / "flow.yaml") << R"(flow: cli-copy
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
    state_ = "--state sqlite://" + (dir_ / "state.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void writeConnection(const std::string& name, const std::string& entity, int maxLength) {
    std::ofstream(dir_ / "connections" / (name + ".yaml"))
        << "connection: " << name << "\nplugin: jsonl\nsettings:\n  directory: " << dir_.string()
        << "\n  entities:\n    " << entity << ":\n      id: id\n      fields:\n"
        << "        email: email\n        lastName: { type: string, maxLength: " << maxLength
        << " }\n";
  }

  fs::path dir_;
  std::string state_;
};

TEST_F(CliTest, RunListRetryAndStatus) {
  const std::string flow = (dir_ / "flow.yaml").string();
  const Output run = ferry("run " + flow + " --once " + state_);
  ASSERT_EQ(run.exitCode, 0) << run.text;
  EXPECT_NE(run.text.find("cli-copy: succeeded"), std::string::npos) << run.text;
  EXPECT_NE(run.text.find("created 2"), std::string::npos) << run.text;
  EXPECT_NE(run.text.find("rejected 1"), std::string::npos) << run.text;

  const Output letters = ferry("dead-letters " + state_);
  ASSERT_EQ(letters.exitCode, 0) << letters.text;
  EXPECT_NE(letters.text.find("c3"), std::string::npos) << letters.text;
  EXPECT_NE(letters.text.find("lastName"), std::string::npos) << letters.text;

  const Output status = ferry("status " + state_);
  ASSERT_EQ(status.exitCode, 0) << status.text;
  EXPECT_NE(status.text.find("cli-copy"), std::string::npos) << status.text;
  EXPECT_NE(status.text.find("succeeded"), std::string::npos) << status.text;

  // Still too long: the retry fails and says so.
  const Output failing = ferry("dead-letters --all " + state_);
  EXPECT_EQ(failing.exitCode, 1) << failing.text;
  EXPECT_NE(failing.text.find("1 still failing"), std::string::npos) << failing.text;

  writeConnection("dst", "Person", 50);  // the operator widens the field
  const Output retried = ferry("dead-letters --all " + state_);
  ASSERT_EQ(retried.exitCode, 0) << retried.text;
  EXPECT_NE(retried.text.find("1 resolved"), std::string::npos) << retried.text;
  EXPECT_NE(ferry("dead-letters " + state_).text.find("no pending dead letters"),
            std::string::npos);
  EXPECT_NE(ferry("conflicts " + state_).text.find("no open conflicts"), std::string::npos);

  std::ifstream people(dir_ / "Person.jsonl");
  int lines = 0;
  for (std::string line; std::getline(people, line);) ++lines;
  EXPECT_EQ(lines, 3);

  const Output bad = ferry("dead-letters --retry abc " + state_);
  EXPECT_EQ(bad.exitCode, 2) << bad.text;
}

}  // namespace
