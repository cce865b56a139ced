#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config.hpp"

namespace ferry::plugins::jsonl {
namespace {

using sdk::Object;
using sdk::Value;
using ::testing::HasSubstr;

Object settings(Object entities) {
  return Object{{"directory", "/data"}, {"entities", std::move(entities)}};
}

TEST(JsonlConfigTest, ParsesEntitiesWithShortAndLongFieldForms) {
  auto config = parseConfig(settings(Object{
      {"Contact",
       Object{
           {"id", "contactId"},
           {"modifiedAt", "updatedAt"},
           {"fields",
            Object{{"email", "email"},
                   {"lastName", Object{{"type", "string"}, {"required", true}, {"maxLength", 80}}},
                   {"tags", Object{{"type", "list"}, {"items", "string"}}},
                   {"tier", Object{{"type", "string"}, {"values", sdk::List{"Gold", "Silver"}}}},
                   {"updatedAt", "datetime"}}}}}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->entities.size(), 1u);
  const EntityConfig& e = config->entities[0];
  EXPECT_EQ(e.file, "/data/Contact.jsonl");
  EXPECT_EQ(e.schema.idField, "contactId");
  EXPECT_EQ(e.modifiedField, "updatedAt");
  EXPECT_TRUE(e.schema.supportsDelete);
  const auto* id = e.schema.field("contactId");
  ASSERT_NE(id, nullptr);  // implied
  EXPECT_FALSE(id->updateable);
  EXPECT_TRUE(id->externalId);
  const auto* lastName = e.schema.field("lastName");
  ASSERT_NE(lastName, nullptr);
  EXPECT_TRUE(lastName->requiredOnCreate);
  EXPECT_EQ(lastName->maxLength, 80);
  EXPECT_EQ(e.schema.field("email")->type, sdk::FieldType::kEmail);
  EXPECT_TRUE(e.schema.field("email")->identity);
  EXPECT_EQ(e.schema.field("tags")->itemType, sdk::FieldType::kString);
  EXPECT_EQ(e.schema.field("tier")->picklistValues.size(), 2u);
  EXPECT_EQ(config->maxBatch, 1000u);
  EXPECT_NE(config->entity("Contact"), nullptr);
  EXPECT_EQ(config->entity("Lead"), nullptr);
}

TEST(JsonlConfigTest, ReportsEveryProblemInOneError) {
  auto config = parseConfig(settings(Object{
      {"../etc", Object{{"fields", Object{}}}},
      {"Lead", Object{{"fields", Object{{"a", "text"},
                                        {"b", Object{{"typ", "string"}}},
                                        {"c", Object{{"type", "string"}, {"maxLength", -1}}}}},
                      {"modifiedAt", "a"},
                      {"colour", 1}}}}));
  ASSERT_FALSE(config.ok());
  const std::string& m = config.error().message;
  EXPECT_EQ(config.error().code, sdk::ErrorCode::kInvalidArgument);
  EXPECT_THAT(m, HasSubstr("entities.../etc: entity names may use"));
  EXPECT_THAT(m, HasSubstr("entities.Lead.fields.a: type must be one of"));
  EXPECT_THAT(m, HasSubstr("entities.Lead.fields.b: unknown key 'typ'"));
  EXPECT_THAT(m, HasSubstr("entities.Lead.fields.b: missing 'type'"));
  EXPECT_THAT(m, HasSubstr("entities.Lead.fields.c.maxLength must be a positive integer"));
  EXPECT_THAT(m, HasSubstr("entities.Lead.modifiedAt must name a declared datetime field"));
  EXPECT_THAT(m, HasSubstr("entities.Lead: unknown key 'colour'"));
}

TEST(JsonlConfigTest, RequiresDirectoryAndEntities) {
  auto config = parseConfig(Object{});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("directory must be a folder path"));
  EXPECT_THAT(config.error().message, HasSubstr("entities must declare at least one entity"));
}

TEST(JsonlConfigTest, SettingsSchemaMatchesWhatParseConfigReads) {
  const auto schema = settingsSchema();
  ASSERT_EQ(schema.size(), 4u);
  EXPECT_EQ(schema[0].name, "directory");
  EXPECT_TRUE(schema[0].required);
  EXPECT_EQ(schema[1].type, sdk::SettingType::kObject);
}

}  // namespace
}  // namespace ferry::plugins::jsonl
