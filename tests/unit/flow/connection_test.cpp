#include <gtest/gtest.h>

#include "ferry/host/flow/validator.hpp"
#include "support.hpp"

namespace ferry::host {
namespace {

EnvLookup envOf(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(FlowEnv, SubstitutesReferencesAndDefaults) {
  Diagnostics diags;
  const auto env = envOf({{"HOST", "example.com"}, {"EMPTY", ""}});
  EXPECT_EQ(substituteEnv("https://${HOST}/x", env, {}, diags), "https://example.com/x");
  EXPECT_EQ(substituteEnv("${PORT:-8080}", env, {}, diags), "8080");
  EXPECT_EQ(substituteEnv("${HOST:-other}", env, {}, diags), "example.com");
  EXPECT_EQ(substituteEnv("[${EMPTY}]", env, {}, diags), "[]");
  EXPECT_EQ(substituteEnv("cost: $$5 and $${HOST}", env, {}, diags), "cost: $$5 and ${HOST}");
  EXPECT_TRUE(diags.empty()) << diags.format();
}

TEST(FlowEnv, AnUnsetVariableIsAnErrorNamingIt) {
  Diagnostics diags;
  EXPECT_FALSE(substituteEnv("${SF_URL}/services", envOf({}), {"c.yaml", 3, 14}, diags));
  ASSERT_EQ(diags.all().size(), 1u);
  EXPECT_EQ(diags.all()[0].format(),
            "c.yaml:3:14: error: environment variable SF_URL is not set (referenced as ${SF_URL}; "
            "set it or write ${SF_URL:-default})");
  Diagnostics malformed;
  EXPECT_FALSE(substituteEnv("${1BAD}", envOf({}), {}, malformed));
  EXPECT_FALSE(substituteEnv("${OPEN", envOf({}), {}, malformed));
  EXPECT_EQ(malformed.errorCount(), 2u);
}

constexpr const char* kSalesforce = R"(connection: crm
plugin: salesforce
credentials: crm-prod
settings:
  login_url: ${SF_LOGIN:-https://test.salesforce.com}
  page_size: ${PAGE_SIZE}
  overlap: 2m
  client_secret: { secret: consumer_secret }
  private_key: ${SF_PRIVATE_KEY}
)";

TEST(FlowConnection, ResolvesSettingsDefaultsAndSecretReferences) {
  Diagnostics diags;
  const auto c = loadConnection(kSalesforce, "crm.yaml", testing::fixtureSchemas(),
                                envOf({{"PAGE_SIZE", "500"}}), diags);
  ASSERT_TRUE(c.has_value()) << diags.format();
  EXPECT_EQ(c->name, "crm");
  EXPECT_EQ(c->plugin, "salesforce");
  EXPECT_EQ(c->credentials, "crm-prod");
  EXPECT_EQ(*c->settings.find("login_url"), sdk::Value("https://test.salesforce.com"));
  EXPECT_EQ(*c->settings.find("page_size"), sdk::Value(500));
  EXPECT_EQ(*c->settings.find("overlap"), sdk::Value(120'000));  // normalised to milliseconds
  EXPECT_EQ(*c->settings.find("client_secret"), sdk::Value("consumer_secret"));
  EXPECT_EQ(*c->settings.find("private_key"), sdk::Value("env.SF_PRIVATE_KEY"));
  EXPECT_EQ(*c->settings.find("api_version"), sdk::Value("60.0"));  // default filled in
}

TEST(FlowConnection, RefusesInlineSecretsAndReportsEverything) {
  Diagnostics diags;
  const auto c = loadConnection(R"(connection: crm
plugin: salesforce
settings:
  client_secret: s3cr3t-value
  login_url: ${SF_LOGIN}
  page_sise: 10
  auth_method: jwt
)",
                                "crm.yaml", testing::fixtureSchemas(), envOf({}), diags);
  EXPECT_FALSE(c.has_value());
  const std::string text = diags.format();
  EXPECT_NE(text.find("crm.yaml:4:18: error: setting \"client_secret\" is a secret"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("s3cr3t-value"), std::string::npos) << "a secret must never be echoed";
  EXPECT_NE(text.find("crm.yaml:5:14: error: environment variable SF_LOGIN is not set"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("crm.yaml:6:3: error: plugin \"salesforce\": unknown setting 'page_sise' "
                      "(did you mean 'page_size'?)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("crm.yaml:7:16: error: plugin \"salesforce\": setting 'auth_method' must be "
                      "one of"),
            std::string::npos)
      << text;
  EXPECT_EQ(diags.errorCount(), 4u) << text;
}

TEST(FlowConnection, StructuredSettingsAreNotMistakenForSecrets) {
  Diagnostics diags;
  const auto c = loadConnection(R"(connection: ib
plugin: people
settings:
  base_url: https://abc12.api.infobip.com
  api_key: { secret: key }
  rate_limits: { persons: 4, match: 10 }
)",
                                "ib.yaml", testing::fixtureSchemas(), envOf({}), diags);
  ASSERT_TRUE(c.has_value()) << diags.format();
  EXPECT_EQ(*c->settings.find("api_key"), sdk::Value("key"));
  EXPECT_EQ(*c->settings.find("rate_limits"),
            sdk::Value(sdk::Object{{"match", 10}, {"persons", 4}}));
  Diagnostics wrong;
  EXPECT_FALSE(
      loadConnection("connection: ib\nplugin: people\nsettings:\n  api_key: { vault: key }\n",
                     "ib.yaml", testing::fixtureSchemas(), envOf({}), wrong));
  EXPECT_NE(wrong.format().find("ib.yaml:4:12: error: setting \"api_key\" is a secret"),
            std::string::npos)
      << wrong.format();
}

TEST(FlowConnection, UnknownPluginAndMissingKeys) {
  Diagnostics diags;
  EXPECT_FALSE(loadConnection("connection: x\nplugin: salesforse\n", "x.yaml",
                              testing::fixtureSchemas(), envOf({}), diags));
  EXPECT_NE(diags.format().find("x.yaml:2:9: error: unknown plugin \"salesforse\" (did you mean "
                                "\"salesforce\"?)"),
            std::string::npos)
      << diags.format();
  Diagnostics missing;
  EXPECT_FALSE(loadConnection("plugin: people\nsetings: {}\n", "y.yaml", testing::fixtureSchemas(),
                              envOf({}), missing));
  EXPECT_NE(missing.format().find("needs the key \"connection\""), std::string::npos);
  EXPECT_NE(missing.format().find("unknown key \"setings\" in the connection (did you mean "
                                  "\"settings\"?)"),
            std::string::npos)
      << missing.format();
}

}  // namespace
}  // namespace ferry::host
