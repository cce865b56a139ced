#include <gtest/gtest.h>

#include <stdexcept>

#include "ferry/sdk/plugin_support.hpp"

namespace ferry::sdk {
namespace {

TEST(PluginSupport, SettingTypeNamesRoundTrip) {
  for (const SettingType type :
       {SettingType::kString, SettingType::kInteger, SettingType::kBoolean, SettingType::kDuration,
        SettingType::kUrl, SettingType::kEnum, SettingType::kSecretRef, SettingType::kObject}) {
    EXPECT_EQ(settingTypeFromString(toString(type)), type) << toString(type);
  }
  EXPECT_FALSE(settingTypeFromString("String"));
  EXPECT_FALSE(settingTypeFromString(""));
}

TEST(PluginSupport, ReadsASettingsSchema) {
  const auto schema = settingsSchemaFromJson(R"([
    {"name": "base_url", "type": "url", "required": true, "description": "Where"},
    {"name": "mode", "type": "enum", "enum": ["a", "b"], "default": "a"},
    {"name": "token", "type": "secret_ref"}
  ])");
  ASSERT_TRUE(schema) << schema.error().message;
  ASSERT_EQ(schema->size(), 3u);
  const SettingSchema& url = (*schema)[0];
  EXPECT_EQ(url.name, "base_url");
  EXPECT_EQ(url.type, SettingType::kUrl);
  EXPECT_TRUE(url.required);
  EXPECT_EQ(url.description, "Where");
  EXPECT_TRUE(url.defaultValue.isNull());
  const SettingSchema& mode = (*schema)[1];
  EXPECT_EQ(mode.type, SettingType::kEnum);
  EXPECT_FALSE(mode.required);
  EXPECT_EQ(mode.enumValues, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(mode.defaultValue, Value("a"));
  EXPECT_EQ((*schema)[2].type, SettingType::kSecretRef);
}

TEST(PluginSupport, ReportsEverySchemaProblemAtOnce) {
  const auto schema = settingsSchemaFromJson(R"([
    {"name": "a", "type": "text"},
    {"type": "string", "requird": true},
    7,
    {"name": "b", "type": "enum", "enum": ["x", 1], "required": "yes"}
  ])");
  ASSERT_FALSE(schema);
  EXPECT_EQ(schema.error().code, ErrorCode::kInvalidArgument);
  const std::string& m = schema.error().message;
  EXPECT_NE(m.find("entry 0: unknown setting type 'text'"), std::string::npos) << m;
  EXPECT_NE(m.find("entry 1: unknown key 'requird'"), std::string::npos) << m;
  EXPECT_NE(m.find("entry 1: 'name' must be a string"), std::string::npos) << m;
  EXPECT_NE(m.find("entry 2 is not an object"), std::string::npos) << m;
  EXPECT_NE(m.find("entry 3: 'required' must be true or false"), std::string::npos) << m;
  EXPECT_NE(m.find("entry 3: 'enum' must be a list of strings"), std::string::npos) << m;

  EXPECT_FALSE(settingsSchemaFromJson("{\"name\": \"a\"}"));
  const auto broken = settingsSchemaFromJson("[{");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("not JSON"), std::string::npos);
}

TEST(PluginSupport, HttpUrls) {
  EXPECT_TRUE(isHttpUrl("https://x.api.infobip.com"));
  EXPECT_TRUE(isHttpUrl("http://127.0.0.1:8080/base"));
  EXPECT_FALSE(isHttpUrl("https://"));
  EXPECT_FALSE(isHttpUrl("ftp://host"));
  EXPECT_FALSE(isHttpUrl("https://host/?q=1"));
  EXPECT_FALSE(isHttpUrl("https://host/#top"));
  EXPECT_FALSE(isHttpUrl("https://ho st"));
  EXPECT_FALSE(isHttpUrl("host.example.com"));
}

TEST(PluginSupport, SettingsErrorListsEveryProblem) {
  const Error e = settingsError("demo settings: ", {"a is wrong", "b is missing"});
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message, "demo settings: a is wrong; b is missing");
  EXPECT_EQ(settingsError("", {"only"}).message, "only");
}

// Connectors whose create() succeeds, fails and throws, for the descriptor factory.
class NullConnector : public Connector {
 public:
  Status start() override { return {}; }
  void stop() noexcept override {}
  Result<std::vector<EntitySchema>> describe() override { return std::vector<EntitySchema>{}; }
  Source* source() override { return nullptr; }
  Sink* sink() override { return nullptr; }
};

class GoodConnector final : public NullConnector {
 public:
  static Result<std::unique_ptr<GoodConnector>> create(const HostContext&) {
    return std::make_unique<GoodConnector>();
  }
};

class RefusingConnector final : public NullConnector {
 public:
  static Result<std::unique_ptr<RefusingConnector>> create(const HostContext&) {
    return Error::make(ErrorCode::kInvalidArgument, "base_url is required");
  }
};

class ThrowingConnector final : public NullConnector {
 public:
  static Result<std::unique_ptr<ThrowingConnector>> create(const HostContext&) {
    throw std::runtime_error("boom");
  }
};

TEST(PluginSupport, ConnectorFactoryNeverThrows) {
  const HostContext context{};
  const auto good = createConnector<GoodConnector>(context);
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_NE(dynamic_cast<GoodConnector*>(good->get()), nullptr);

  const auto refused = createConnector<RefusingConnector>(context);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().message, "base_url is required");

  const auto thrown = createConnector<ThrowingConnector>(context);
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.error().code, ErrorCode::kInternal);
  EXPECT_EQ(thrown.error().message, "connector factory threw: boom");

  // Usable as a descriptor's factory pointer.
  Result<std::unique_ptr<Connector>> (*factory)(const HostContext&) =
      &createConnector<GoodConnector>;
  EXPECT_TRUE(factory(context));
}

}  // namespace
}  // namespace ferry::sdk
