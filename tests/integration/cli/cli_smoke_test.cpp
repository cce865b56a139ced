// Runs the real `ferry` binary: the commands a person types, their output and exit codes.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ferry/sdk/value.hpp"
#include "ferry/sdk/version.hpp"
#include "ferry/testing/command.hpp"
#include "ferry/testing/files.hpp"

namespace {

using ::testing::HasSubstr;

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs `ferry <args>` with FERRY_PLUGIN_PATH unset, so only the build's plugins/ directory and
// the --plugin-dir options count.
Outcome ferry(const std::string& args) {
  const std::string errFile = ::testing::TempDir() + "ferry-cli-smoke.err";
  const ferry::testing::CommandOutput run =
      ferry::testing::runCommand("env -u FERRY_PLUGIN_PATH '" + std::string(FERRY_BINARY) + "' " +
                                 args + " 2>'" + errFile + "'");
  return {run.exitCode, run.text, ferry::testing::readFile(errFile)};
}

const std::string kFixtures = std::string("--plugin-dir '") + FERRY_FIXTURE_PLUGIN_DIR + "'";

TEST(CliSmokeTest, PluginsListsJsonl) {
  const Outcome r = ferry("plugins");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("NAME"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("(^|\n)jsonl +1\\.0\\.0 +"));
  EXPECT_EQ(r.err, "");
}

TEST(CliSmokeTest, BrokenPluginsAreOneLineEachAndStrictFails) {
  const Outcome lenient = ferry("plugins " + kFixtures);
  EXPECT_EQ(lenient.status, 0);
  EXPECT_THAT(lenient.out, HasSubstr("fixture-good"));
  EXPECT_THAT(lenient.out, HasSubstr("jsonl"));
  // Exactly one stderr line per broken fixture, each naming the file.
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < lenient.err.size();) {
    const auto end = lenient.err.find('\n', start);
    lines.push_back(lenient.err.substr(start, end - start));
    start = end == std::string::npos ? lenient.err.size() : end + 1;
  }
  ASSERT_EQ(lines.size(), 6u) << lenient.err;
  for (const char* file :
       {"ferry-wrong-abi.so", "ferry-missing-symbol.so", "ferry-bad-size.so",
        "ferry-throwing-descriptor.so", "ferry-same-name.so", "ferry-not-a-library.so"}) {
    EXPECT_THAT(lenient.err, HasSubstr(std::string(file) + ": ")) << file;
  }

  const Outcome strict = ferry("plugins --strict " + kFixtures);
  EXPECT_EQ(strict.status, 1);
  EXPECT_EQ(strict.err, lenient.err);
  EXPECT_EQ(ferry("plugins --strict").status, 0);  // nothing broken on the default path
}

TEST(CliSmokeTest, PluginsJsonIsParseable) {
  const Outcome r = ferry("plugins --json " + kFixtures);
  ASSERT_EQ(r.status, 0);
  const auto v = ferry::sdk::Value::fromJson(r.out);
  ASSERT_TRUE(v && v->isObject()) << r.out;
  EXPECT_EQ(v->asObject().find("errors")->asList().size(), 6u);
}

TEST(CliSmokeTest, DescribeShowsSettingsAndFields) {
  const Outcome text = ferry("describe fixture-good " + kFixtures);
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("fixture-good 1.2.3"));
  EXPECT_THAT(text.out, HasSubstr("endpoint  url"));
  EXPECT_THAT(text.out, HasSubstr("name   string  required, max 80"));

  const Outcome json = ferry("describe fixture-good Item --json " + kFixtures);
  ASSERT_EQ(json.status, 0);
  const auto v = ferry::sdk::Value::fromJson(json.out);
  ASSERT_TRUE(v) << json.out;
  const auto& entities = v->asObject().find("entities")->asList();
  ASSERT_EQ(entities.size(), 1u);
  EXPECT_EQ(entities[0].asObject().find("fields")->asList().size(), 3u);

  const Outcome missing = ferry("describe fixture-good Nope " + kFixtures);
  EXPECT_EQ(missing.status, 1);
  EXPECT_THAT(missing.err, HasSubstr("has no entity 'Nope'"));
  EXPECT_EQ(ferry("describe no-such-plugin").status, 1);
}

TEST(CliSmokeTest, JsonlSchemaFileMatchesTheDescriptor) {
  // plugins/jsonl/schema/settings.json documents the settings; it must not drift.
  const Outcome r = ferry("describe jsonl --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto described = ferry::sdk::Value::fromJson(r.out);
  ASSERT_TRUE(described);
  const std::string text = ferry::testing::readFile(FERRY_JSONL_SETTINGS_SCHEMA);
  std::string error;
  const auto documented = ferry::sdk::Value::fromJson(text, &error);
  ASSERT_TRUE(documented) << error;
  EXPECT_EQ(*described->asObject().find("settings"), *documented->asObject().find("settings"));
}

TEST(CliSmokeTest, VersionAndUsageErrors) {
  const Outcome v = ferry("version");
  EXPECT_EQ(v.status, 0);
  EXPECT_THAT(v.out, HasSubstr("plugin ABI " + std::to_string(ferry::sdk::kAbiVersion) + ")"));
  EXPECT_EQ(ferry("--version").out, v.out);
  EXPECT_EQ(ferry("").status, 2);
  EXPECT_EQ(ferry("plugins --bogus").status, 2);
  for (const char* command : {"plugins", "describe", "version"}) {
    const Outcome help = ferry(std::string(command) + " --help");
    EXPECT_EQ(help.status, 0) << command;
    EXPECT_THAT(help.out, HasSubstr("Usage: ferry " + std::string(command))) << command;
  }
}

}  // namespace
