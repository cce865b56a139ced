// kill -9 during `ferry run` (jsonl -> jsonl, thousands of records), at several points, then a
// final run: every source record arrives exactly once, none twice.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "ferry/sdk/value.hpp"
#include "ferry/testing/postgres.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kRecords = 20'000;

class CrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ferry-crash-" + std::to_string(::getpid()) + "-" + GetParam());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "in");
    fs::create_directories(dir_ / "out");
    fs::create_directories(dir_ / "connections");
    std::ofstream in(dir_ / "in" / "Contact.jsonl");
    for (int i = 0; i < kRecords; ++i) {
      in << R"({"id":"c)" << i << R"(","email":"P)" << i << R"(@Example.test","firstName":"F)" << i
         << R"(","lastName":"L"})"
         << "\n";
    }
    std::ofstream(dir_ / "out" / "Person.jsonl").close();
    writeConnection("src", "in", "Contact");
    writeConnection("dst", "out", "Person");
    std::ofstream(dir_ / "flow.yaml") << R"(flow: crash-copy
source: { connection: src, entity: Contact }
sink: { connection: dst, entity: Person }
direction: one-way
schedule: { every: 1m }
match:
  - { source: email, sink: email }
map:
  firstName: firstName
  lastName: lastName
  email: { to: email, transform: [trim, lower] }
)";
  }

  void TearDown() override { fs::remove_all(dir_); }

  void writeConnection(const std::string& name, const std::string& folder,
                       const std::string& entity) {
    std::ofstream(dir_ / "connections" / (name + ".yaml"))
        << "connection: " << name
        << "\nplugin: jsonl\nsettings:\n  directory: " << (dir_ / folder).string()
        << "\n  maxBatch: 500\n  entities:\n    " << entity
        << ":\n      id: id\n      fields:\n        email: email\n        firstName: string\n"
        << "        lastName: string\n";
  }

  // Starts `ferry run --once`; returns the child's pid.
  pid_t startRun(const std::string& stateUrl) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      const std::string flow = (dir_ / "flow.yaml").string();
      const std::string log = (dir_ / "run.log").string();
      std::freopen(log.c_str(), "a", stdout);
      std::freopen(log.c_str(), "a", stderr);
      ::execl(FERRY_BINARY, FERRY_BINARY, "run", flow.c_str(), "--once", "--state",
              stateUrl.c_str(), "--plugin-dir", FERRY_PLUGIN_DIR, static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    return pid;
  }

  std::size_t sinkLines() const {
    std::ifstream out(dir_ / "out" / "Person.jsonl");
    std::size_t n = 0;
    for (std::string line; std::getline(out, line);) ++n;
    return n;
  }

  std::string runLog() const {
    std::ifstream log(dir_ / "run.log");
    return std::string(std::istreambuf_iterator<char>(log), {});
  }

  std::string stateUrl() {
    if (GetParam() == "sqlite") return "sqlite://" + (dir_ / "state.db").string();
    return ::ferry::testing::freshPostgresDatabase();
  }

  fs::path dir_;
};

TEST_P(CrashTest, KilledRunsResumeWithoutLossOrDuplicates) {
  const std::string url = stateUrl();
  if (url.empty())
    GTEST_SKIP() << "PostgreSQL unavailable: " << ::ferry::testing::postgresUnavailableReason();
  // Kill points: after some, many and most of the sink lines were written.
  int kills = 0;
  for (std::size_t threshold : {1'500u, 7'000u, 14'000u}) {
    const pid_t pid = startRun(url);
    ASSERT_GT(pid, 0);
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    int status = 0;
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        break;
      }
      if (sinkLines() >= threshold) break;
      std::this_thread::sleep_for(2ms);
    }
    if (!exited) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ++kills;
    } else {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << runLog();
    }
  }
  EXPECT_GE(kills, 2) << "runs finished before they could be killed";
  const pid_t last = startRun(url);
  int status = 0;
  ::waitpid(last, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << runLog();

  // The sink's latest line per id is the record; every email exactly once, all of them there.
  std::map<std::string, std::string> emailById;
  std::ifstream out(dir_ / "out" / "Person.jsonl");
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
