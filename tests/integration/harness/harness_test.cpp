// The test harness in tests/support, checked on its own with /bin/sh as the child: exit codes and
// signals as a shell reports them, bounded waits, SIGTERM with a SIGKILL fallback, environment
// overrides, log files and pipes, shell commands, temporary directories, JSON access and the
// serve configuration. The integration tests rely on these answers being right, not only on
// ferry's.
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "ferry/testing/child_process.hpp"
#include "ferry/testing/command.hpp"
#include "ferry/testing/files.hpp"
#include "ferry/testing/http_client.hpp"
#include "ferry/testing/json_access.hpp"
#include "ferry/testing/serve_config.hpp"
#include "ferry/testing/wait_for.hpp"

namespace ferry::testing {
namespace {

using namespace std::chrono_literals;

ChildProcess shell(const std::string& script, const ChildOptions& options = {}) {
  return ChildProcess("/bin/sh", {"-c", script}, options);
}

TEST(ChildProcessTest, ReportsExitCodesAndSignalsAsAShellDoes) {
  ChildProcess three = shell("exit 3");
  ASSERT_TRUE(three.started()) << three.startError();
  EXPECT_EQ(three.wait(), 3);
  EXPECT_FALSE(three.running());
  EXPECT_EQ(three.wait(), 3);  // kept once reaped

  ChildProcess signalled = shell("kill -TERM $$");
  EXPECT_EQ(signalled.wait(10s), 128 + SIGTERM);
}

TEST(ChildProcessTest, BoundedWaitLeavesItRunningAndTerminateStopsIt) {
  ChildProcess sleeper = shell("exec sleep 30");
  EXPECT_EQ(sleeper.wait(50ms), -1);
  EXPECT_TRUE(sleeper.running());
  const Stopped stopped = sleeper.terminate(10s);
  EXPECT_EQ(stopped.exit, 128 + SIGTERM);
  EXPECT_LT(stopped.took, 10s);
  EXPECT_FALSE(sleeper.running());
}

TEST(ChildProcessTest, AChildIgnoringSigtermIsKilledAfterTheTimeout) {
  // An ignored signal stays ignored across exec, so sleep itself ignores SIGTERM; "ready" says
  // the trap is in place.
  ChildOptions options;
  options.pipeStdout = true;
  ChildProcess stubborn = shell("trap '' TERM; echo ready; exec sleep 30", options);
  ASSERT_EQ(stubborn.readLine(10s), "ready");
  const Stopped stopped = stubborn.terminate(300ms);
  EXPECT_EQ(stopped.exit, -1);
  EXPECT_GE(stopped.took, 300ms);
  EXPECT_FALSE(stubborn.running());
  EXPECT_EQ(stubborn.wait(), 128 + SIGKILL);
}

TEST(ChildProcessTest, EnvironmentOverridesAndLogFile) {
  ::setenv("FERRY_HARNESS_TEST", "parent", 1);
  TempDir dir;
  ChildOptions options;
  options.env = {"FERRY_HARNESS_TEST=child", "FERRY_HARNESS_EXTRA=x"};
  options.logFile = dir.file("run.log");
  ChildProcess run =
      shell(R"(echo "$FERRY_HARNESS_TEST $FERRY_HARNESS_EXTRA"; echo oops >&2)", options);
  ASSERT_EQ(run.wait(10s), 0);
  EXPECT_EQ(readFile(dir.file("run.log")), "child x\noops\n");

  // Truncated by default, appended to on request.
  ChildProcess again = shell("echo second", options);
  ASSERT_EQ(again.wait(10s), 0);
  EXPECT_EQ(readFile(dir.file("run.log")), "second\n");
  options.appendLog = true;
  ChildProcess third = shell("echo third", options);
  ASSERT_EQ(third.wait(10s), 0);
  EXPECT_EQ(readFile(dir.file("run.log")), "second\nthird\n");
  ::unsetenv("FERRY_HARNESS_TEST");
}

TEST(ChildProcessTest, ReadsStdoutLineByLine) {
  ChildOptions options;
  options.pipeStdout = true;
  ChildProcess talker = shell("echo first; echo second", options);
  EXPECT_EQ(talker.readLine(10s), "first");
  EXPECT_EQ(talker.readLine(10s), "second");
  EXPECT_EQ(talker.readLine(10s), "");  // closed
  EXPECT_EQ(talker.wait(10s), 0);
}

TEST(ChildProcessTest, AMissingBinaryIsAStartErrorNotACrash) {
  ChildProcess missing("/nonexistent/ferry-harness", {"run"});
  EXPECT_FALSE(missing.started());
  EXPECT_NE(missing.startError().find("/nonexistent/ferry-harness"), std::string::npos)
      << missing.startError();
  EXPECT_FALSE(missing.running());
  EXPECT_EQ(missing.wait(10ms), -1);
  EXPECT_EQ(missing.terminate(10ms).exit, -1);
}

TEST(ChildProcessTest, MovingHandsTheProcessOver) {
  ChildProcess first = shell("exit 7");
  ChildProcess second = std::move(first);
  EXPECT_FALSE(first.started());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(second.wait(10s), 7);
}

TEST(RunCommandTest, CapturesStdoutAndTheExitCode) {
  const CommandOutput out = runCommand("echo hello; echo hidden >&2; exit 4");
  EXPECT_EQ(out.exitCode, 4);
  EXPECT_EQ(out.text, "hello\n");
  EXPECT_EQ(runCommand("kill -INT $$").exitCode, 128 + SIGINT);
}

TEST(EventuallyTest, PollsUntilTheConditionHoldsOrTheTimeoutPasses) {
  int calls = 0;
  EXPECT_TRUE(eventually([&] { return ++calls == 3; }, 5s, 1ms));
  EXPECT_EQ(calls, 3);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(eventually([] { return false; }, 50ms, 5ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
}

TEST(TempDirTest, PrivateFolderAndFilesRemovedAfterwards) {
  std::filesystem::path path;
  {
    TempDir dir("ferry-harness");
    path = dir.path();
    EXPECT_NE(path.filename().string().find("ferry-harness-"), std::string::npos);
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0700U);
    dir.writePrivate("nested/tokens", "secret\n");
    ASSERT_EQ(::stat(dir.file("nested/tokens").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600U);
    dir.write("lines.txt", "a\nb\n");
    dir.write("lines.txt", "c", true);
    EXPECT_EQ(readFile(dir.file("lines.txt")), "a\nb\nc");
    EXPECT_EQ(countLines(dir.file("lines.txt")), 3U);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(readFile(path / "lines.txt"), "");
  EXPECT_EQ(countLines(path / "lines.txt"), 0U);
}

TEST(JsonAccessTest, WalksPathsAndToleratesWhatIsMissing) {
  const sdk::Value v = json(R"({"a":{"b":"x","n":1}})");
  EXPECT_EQ(text(at(v, {"a", "b"})), "x");
  EXPECT_EQ(text(at(v, {"a", "n"})), "");  // not a string
  EXPECT_EQ(at(v, {"a", "missing"}), nullptr);
  EXPECT_EQ(at(v, {"a", "b", "deeper"}), nullptr);  // "x" is no object
  EXPECT_TRUE(json("{not json").isNull());
  HttpAnswer answer;
  answer.body = R"({"id":"003"})";
  EXPECT_EQ(text(at(json(answer), {"id"})), "003");
}

TEST(ServeConfigTest, WritesOnlyTheSettingsATestSets) {
  TempDir dir;
  ServeConfig config = ServeConfig::inFolder(dir, "/plugins");
  const std::string root = dir.path().string();
  EXPECT_EQ(config.yaml(),
            "listen: { address: 127.0.0.1, port: 0 }\n"
            "state: sqlite://" +
                root +
                "/state.db\n"
                "plugin_dirs: [/plugins]\n"
                "flow_dir: " +
                root +
                "/flows\n"
                "log: { file: " +
                root +
                "/ferry.log }\n"
                "token_file: " +
                root +
                "/tokens\n"
                "scheduler: { threads: 2 }\n");
  config.logFormat = "json";
  config.logLevel = "debug";
  config.maxBodyBytes = 4096;
  config.schedulerThreads = 1;
  config.node = "n1";
  const std::string yaml = config.yaml();
  EXPECT_NE(yaml.find("log: { format: json, level: debug, file: " + root + "/ferry.log }\n"),
            std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find("limits: { max_body_bytes: 4096 }\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("scheduler: { threads: 1, node: n1 }\n"), std::string::npos) << yaml;
}

TEST(HttpCallTest, NoServerIsStatusMinusOneWithTheReason) {
  // Port 1 on loopback: nothing listens there in a test environment.
  const HttpAnswer a = httpCall("http://127.0.0.1:1", "GET", "/healthz");
  EXPECT_EQ(a.status, -1);
  EXPECT_FALSE(a.body.empty());
}

}  // namespace
}  // namespace ferry::testing
