// Settings: defaults from the embedded schema, validation with every error at once.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ferry/plugins/salesforce/settings.hpp"

namespace ferry::plugins::salesforce {
namespace {

TEST(Settings, SchemaParsesWithDefaults) {
  const auto& schema = settingsSchema();
  ASSERT_FALSE(schema.empty());
  for (const auto& s : schema) {
    EXPECT_FALSE(s.description.empty()) << s.name;
    EXPECT_FALSE(s.defaultValue.isNull()) << s.name;
    if (s.type == sdk::SettingType::kEnum) {
      ASSERT_TRUE(s.defaultValue.isString());
      EXPECT_NE(std::find(s.enumValues.begin(), s.enumValues.end(), s.defaultValue.asString()),
                s.enumValues.end())
          << s.name;
    }
  }
}

TEST(Settings, ReadmeDocumentsEverySetting) {
  std::ifstream in(FERRY_SF_README);
  ASSERT_TRUE(in) << FERRY_SF_README;
  std::ostringstream text;
  text << in.rdbuf();
  for (const auto& s : settingsSchema()) {
    EXPECT_NE(text.str().find("| `" + s.name + "` |"), std::string::npos)
        << s.name << " is missing from the README's settings table";
  }
}

TEST(Settings, DefaultsAreDocumentedValues) {
  auto s = parseSettings({});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->loginUrl, "https://login.salesforce.com");
  EXPECT_EQ(s->dataPath(), "/services/data/v60.0");
  EXPECT_EQ(s->authMethod, AuthMethod::kWebServer);
  EXPECT_EQ(s->pageSize, 2000);
  EXPECT_EQ(s->overlap, std::chrono::minutes(5));
  EXPECT_EQ(s->writeBatch, 200);
  EXPECT_EQ(s->apiBudgetPercent, 80);
  EXPECT_EQ(s->duplicateRuleHeaderValue(), "");
}

TEST(Settings, ParsesGivenValues) {
  auto s = parseSettings({{"login_url", "http://127.0.0.1:4567/"},
                          {"api_version", "v61.0"},
                          {"auth_method", "jwt_bearer"},
                          {"overlap", "90s"},
                          {"describe_ttl", 1000},
                          {"duplicate_rule_header", "allow_save"},
                          {"extra_entities", " Opportunity, Invoice__c ,"}});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->loginUrl, "http://127.0.0.1:4567");
  EXPECT_EQ(s->apiVersion, "61.0");
  EXPECT_EQ(s->authMethod, AuthMethod::kJwtBearer);
  EXPECT_EQ(s->overlap, std::chrono::seconds(90));
  EXPECT_EQ(s->describeTtl, std::chrono::milliseconds(1000));
  EXPECT_EQ(s->duplicateRuleHeaderValue(), "allowSave=true");
  EXPECT_EQ(s->extraEntities, (std::vector<std::string>{"Opportunity", "Invoice__c"}));
}

TEST(Settings, ReportsEveryError) {
  auto s = parseSettings({{"login_url", "ftp://x"},
                          {"auth_method", "magic"},
                          {"page_size", 5000},
                          {"overlap", "5 minutes"},
                          {"api_version", "sixty"},
                          {"colour", "blue"}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, sdk::ErrorCode::kInvalidArgument);
  for (const char* key : {"login_url", "auth_method", "page_size", "overlap", "api_version",
                          "unknown setting 'colour'"}) {
    EXPECT_NE(s.error().message.find(key), std::string::npos) << key << ": " << s.error().message;
  }
}

TEST(Settings, Durations) {
  EXPECT_EQ(*parseDuration(sdk::Value("250ms")), std::chrono::milliseconds(250));
  EXPECT_EQ(*parseDuration(sdk::Value("2h")), std::chrono::hours(2));
  EXPECT_EQ(*parseDuration(sdk::Value("1h30m")), std::chrono::minutes(90));
  EXPECT_EQ(*parseDuration(sdk::Value(int64_t{1500})), std::chrono::milliseconds(1500));
  EXPECT_FALSE(parseDuration(sdk::Value("")));
  EXPECT_FALSE(parseDuration(sdk::Value("5x")));
  EXPECT_FALSE(parseDuration(sdk::Value("-1s")));
  EXPECT_FALSE(parseDuration(sdk::Value("5")));
  EXPECT_FALSE(parseDuration(sdk::Value(true)));
}

TEST(Settings, JwtAudience) {
  EXPECT_EQ(jwtAudienceFor("https://login.salesforce.com"), "https://login.salesforce.com");
  EXPECT_EQ(jwtAudienceFor("https://acme.my.salesforce.com"), "https://login.salesforce.com");
  EXPECT_EQ(jwtAudienceFor("https://test.salesforce.com"), "https://test.salesforce.com");
  EXPECT_EQ(jwtAudienceFor("https://acme--uat.sandbox.my.salesforce.com"),
            "https://test.salesforce.com");
  EXPECT_EQ(jwtAudienceFor("http://127.0.0.1:4567"), "http://127.0.0.1:4567");
}

}  // namespace
}  // namespace ferry::plugins::salesforce
