#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ferry/host/plugins/settings.hpp"

namespace ferry::host {
namespace {

using sdk::SettingSchema;
using sdk::SettingType;
using sdk::Value;
using ::testing::HasSubstr;

SettingSchema setting(std::string name, SettingType type, bool required = false,
                      Value defaultValue = {}) {
  SettingSchema s;
  s.name = std::move(name);
  s.type = type;
  s.required = required;
  s.defaultValue = std::move(defaultValue);
  return s;
}

std::vector<SettingSchema> schema() {
  auto mode = setting("mode", SettingType::kEnum, false, "append");
  mode.enumValues = {"append", "replace"};
  return {setting("directory", SettingType::kString, true),
          setting("pageSize", SettingType::kInteger, false, 500),
          setting("pollEvery", SettingType::kDuration, false, "30s"),
          setting("verbose", SettingType::kBoolean),
          setting("baseUrl", SettingType::kUrl),
          setting("apiKey", SettingType::kSecretRef),
          mode};
}

std::vector<std::string> messages(const ValidatedSettings& v) {
  std::vector<std::string> out;
  for (const auto& i : v.issues) out.push_back(i.message);
  return out;
}

TEST(ValidateSettingsTest, FillsDefaultsAndNormalises) {
  const auto v = validateSettings(
      schema(),
      {{"directory", "/data"}, {"pageSize", 250.0}, {"pollEvery", "1m30s"}, {"verbose", nullptr}});
  ASSERT_TRUE(v.ok()) << ::testing::PrintToString(messages(v));
  EXPECT_EQ(*v.settings.find("directory"), Value("/data"));
  EXPECT_TRUE(v.settings.find("pageSize")->isInteger());
  EXPECT_EQ(v.settings.find("pageSize")->asInteger(), 250);
  EXPECT_EQ(v.settings.find("pollEvery")->asInteger(), 90'000);
  EXPECT_EQ(*v.settings.find("mode"), Value("append"));
  EXPECT_FALSE(v.settings.contains("verbose"));  // null = absent, no default
  EXPECT_FALSE(v.settings.contains("baseUrl"));

  const auto d = validateSettings(schema(), {{"directory", "/d"}});
  EXPECT_EQ(d.settings.find("pollEvery")->asInteger(), 30'000);
  EXPECT_EQ(d.settings.find("pageSize")->asInteger(), 500);
}

TEST(ValidateSettingsTest, ReportsEveryProblemAtOnce) {
  const auto v = validateSettings(schema(), {{"directroy", "/data"},
                                             {"pageSize", "ten"},
                                             {"pollEvery", "soon"},
                                             {"verbose", "yes"},
                                             {"baseUrl", "ftp://x"},
                                             {"mode", "apend"},
                                             {"colour", 1}});
  EXPECT_FALSE(v.ok());
  EXPECT_THAT(messages(v),
              ::testing::UnorderedElementsAre(
                  "unknown setting 'directroy' (did you mean 'directory'?)",
                  "unknown setting 'colour'", "missing required setting 'directory' (string)",
                  "setting 'pageSize' must be an integer, got \"ten\"",
                  HasSubstr("setting 'pollEvery' must be a duration"),
                  "setting 'verbose' must be true or false, got \"yes\"",
                  "setting 'baseUrl' must be an http:// or https:// URL, got \"ftp://x\"",
                  "setting 'mode' must be one of append, replace, got \"apend\" (did you mean "
                  "'append'?)"));
  for (const auto& issue : v.issues) EXPECT_FALSE(issue.key.empty());
}

TEST(ValidateSettingsTest, SecretReferencesAreNeverEchoed) {
  const auto v = validateSettings(schema(), {{"directory", "/d"}, {"apiKey", "sk live 12345"}});
  ASSERT_EQ(v.issues.size(), 1u);
  EXPECT_EQ(v.issues[0].key, "apiKey");
  EXPECT_THAT(v.issues[0].message, ::testing::Not(HasSubstr("12345")));
  EXPECT_TRUE(validateSettings(schema(), {{"directory", "/d"}, {"apiKey", "people.api_key"}}).ok());
}

TEST(ValidateSettingsTest, IntegerDurationsAreMilliseconds) {
  const auto v = validateSettings(schema(), {{"directory", "/d"}, {"pollEvery", 5}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.settings.find("pollEvery")->asInteger(), 5);
  EXPECT_FALSE(validateSettings(schema(), {{"directory", "/d"}, {"pollEvery", -5}}).ok());
}

// A stored connection is validated at load and again when its connector is made: the second
// pass must not change anything (a "5m" overlap must stay 300000 ms, not become 300000 s).
TEST(ValidateSettingsTest, ValidatingTwiceChangesNothing) {
  const auto once = validateSettings(schema(), {{"directory", "/d"}, {"pollEvery", "5m"}});
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(once.settings.find("pollEvery")->asInteger(), 300'000);
  const auto twice = validateSettings(schema(), once.settings);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice.settings, once.settings);
}

TEST(ParseDurationTest, UnitsAndConcatenation) {
  EXPECT_EQ(parseDuration("250ms")->count(), 250);
  EXPECT_EQ(parseDuration("30s")->count(), 30'000);
  EXPECT_EQ(parseDuration("5m")->count(), 300'000);
  EXPECT_EQ(parseDuration("1h30m")->count(), 5'400'000);
  EXPECT_EQ(parseDuration("1d")->count(), 86'400'000);
  EXPECT_EQ(parseDuration("0s")->count(), 0);
  for (const char* bad : {"", "30", "s", "1x", "1h 30m", "-5s", "1.5h", "99999999999999999999s"}) {
    EXPECT_FALSE(parseDuration(bad)) << bad;
  }
}

TEST(ClosestMatchTest, SuggestsOnlyPlausibleTypos) {
  const std::vector<std::string> keys{"directory", "entities", "mode"};
  EXPECT_EQ(closestMatch("directroy", keys), "directory");
  EXPECT_EQ(closestMatch("Directory", keys), "directory");
  EXPECT_EQ(closestMatch("entites", keys), "entities");
  EXPECT_EQ(closestMatch("mod", keys), "mode");
  EXPECT_EQ(closestMatch("xyz", keys), "");
  EXPECT_EQ(closestMatch("dir", keys), "");
  EXPECT_EQ(closestMatch("a", {"b"}), "");
}

}  // namespace
}  // namespace ferry::host
