// The read cursor and the settings (schema and catalogue JSON included).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ferry/plugins/people/catalogue.hpp"
#include "ferry/plugins/people/cursor.hpp"
#include "ferry/plugins/people/settings.hpp"

namespace ferry::plugins::people {
namespace {

TEST(PeopleCursor, RoundTripsAndRefusesGarbage) {
  ReadCursor c;
  c.watermarkMs = 1'700'000'000'000;
  c.remember("42", 1'700'000'000'000, 0xFEDCBA9876543210ULL);
  c.scanPage = 3;
  c.scanTopMs = 1'700'000'100'000;
  c.reconcileToken = "0123abcd0123abcd";
  c.reconcileGeneration = 4;
  c.reconciledAtMs = 1'700'000'200'000;
  auto back = ReadCursor::decode(c.encode());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->watermarkMs, c.watermarkMs);
  EXPECT_EQ(back->scanPage, 3);
  EXPECT_EQ(back->scanTopMs, c.scanTopMs);
  EXPECT_EQ(back->reconcileKey("Lead", back->reconcileGeneration),
            "reconcile/Lead/0123abcd0123abcd/4");
  EXPECT_EQ(back->reconciledAtMs, c.reconciledAtMs);
  EXPECT_TRUE(back->alreadySeen("42", 0xFEDCBA9876543210ULL));
  EXPECT_FALSE(back->alreadySeen("42", 1));  // same stamp, other content: a new version
  EXPECT_FALSE(back->alreadySeen("43", 0xFEDCBA9876543210ULL));

  EXPECT_TRUE(ReadCursor::decode(""));
  for (const char* bad :
       {"{", "[]", R"({"v":2,"w":1})", R"({"v":1})", R"({"v":1,"w":1,"seen":{"1":5}})",
        R"({"v":1,"w":1,"scanPage":0,"scanTop":1})"}) {
    auto r = ReadCursor::decode(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, sdk::ErrorCode::kInvalidArgument);
  }
}

TEST(PeopleCursor, PruneKeepsTheOverlapWindowAndABound) {
  ReadCursor c;
  c.watermarkMs = 100'000;
  c.remember("old", 10'000, 1);
  c.remember("in", 95'000, 2);
  c.prune(10'000);
  EXPECT_FALSE(c.seen.contains("old"));
  EXPECT_TRUE(c.seen.contains("in"));
  for (std::size_t i = 0; i < ReadCursor::kMaxSeen + 50; ++i)
    c.remember(std::to_string(i), 90'000 + static_cast<std::int64_t>(i), i);
  c.prune(1'000'000);
  EXPECT_EQ(c.seen.size(), ReadCursor::kMaxSeen);
  EXPECT_TRUE(c.seen.contains(std::to_string(ReadCursor::kMaxSeen + 49)));  // the newest stay
}

TEST(PeopleSettings, DefaultsAndOverrides) {
  auto s = parseSettings(sdk::Object{{"base_url", "https://xyz12.api.infobip.com/"},
                                     {"rate_limits", sdk::Object{{"upsert", 4}}},
                                     {"write_key", "email"},
                                     {"overlap", 60'000}});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->baseUrl, "https://xyz12.api.infobip.com");
  EXPECT_EQ(s->writeKey, WriteKey::kEmail);
  EXPECT_EQ(s->overlap.count(), 60'000);
  EXPECT_EQ(s->pageSize, 1000);
  bool sawUpsert = false;
  bool sawMatch = false;
  for (const auto& b : s->buckets) {
    if (b.name == "upsert") sawUpsert = b.ratePerSecond == 4 && b.burst == 1;
    if (b.name == "match") sawMatch = b.ratePerSecond == 15;
  }
  EXPECT_TRUE(sawUpsert);
  EXPECT_TRUE(sawMatch);
}

TEST(PeopleSettings, EveryProblemAtOnce) {
  auto s = parseSettings(sdk::Object{{"base_url", "ftp://x"},
                                     {"page_size", 5000},
                                     {"write_key", "name"},
                                     {"rate_limits", sdk::Object{{"uploads", 3}, {"match", -1}}}});
  ASSERT_FALSE(s);
  const auto& m = s.error().message;
  EXPECT_NE(m.find("base_url must be an http(s) URL"), std::string::npos) << m;
  EXPECT_NE(m.find("page_size must be an integer from 1 to 1000"), std::string::npos) << m;
  EXPECT_NE(m.find("write_key must be externalId, email or phone"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown bucket \"uploads\""), std::string::npos) << m;
  EXPECT_NE(m.find("rate_limits.match must be a positive number"), std::string::npos) << m;
  EXPECT_FALSE(parseSettings(sdk::Object{}));  // base_url is required
}

TEST(PeopleSettings, SchemaAndCatalogueLoad) {
  const auto schema = settingsSchema();
  ASSERT_FALSE(schema.empty());
  EXPECT_EQ(schema.front().name, "base_url");
  EXPECT_TRUE(schema.front().required);
  const auto entities = staticEntitySchemas();
  ASSERT_EQ(entities.size(), 3u);
  const auto& customer = entities[0];
  EXPECT_EQ(customer.name, "Customer");
  EXPECT_EQ(customer.idField, "id");
  const auto* email = customer.field("contactInformation.email");
  ASSERT_NE(email, nullptr);
  EXPECT_EQ(email->type, sdk::FieldType::kList);
  EXPECT_EQ(email->itemType, sdk::FieldType::kEmail);
  EXPECT_TRUE(email->identity);
  EXPECT_TRUE(customer.field("externalId")->externalId);
  EXPECT_EQ(customer.field("customAttributes")->type, sdk::FieldType::kObject);
  EXPECT_TRUE(entities[2].field("name")->requiredOnCreate);

  const auto live = liveEntitySchemas({{"Tier", "STRING"}, {"Contract End", "DATE"}}, false);
  ASSERT_NE(live[1].field("customAttributes.Contract End"), nullptr);
  EXPECT_EQ(live[1].field("customAttributes.Contract End")->type, sdk::FieldType::kDate);
  EXPECT_EQ(live[2].field("customAttributes.Tier"), nullptr);  // companies: no person attributes
  EXPECT_EQ(liveEntitySchemas({{"Tier", "STRING"}}, true)[0].field("customAttributes.Tier"),
            nullptr);
  EXPECT_EQ(attributeTypeOfValue(sdk::Value(true)), "BOOLEAN");
  EXPECT_EQ(attributeTypeOfValue(sdk::Value(sdk::Date{2024, 1, 1})), "DATE");
  EXPECT_FALSE(attributeTypeOfValue(sdk::Value()));
}

}  // namespace
}  // namespace ferry::plugins::people

namespace ferry::plugins::people {
namespace {

// Every setting of schema/settings.json is documented in the README's settings table.
TEST(PeopleSettings, ReadmeDocumentsEverySetting) {
  std::ifstream in(FERRY_PEOPLE_README);
  ASSERT_TRUE(in) << FERRY_PEOPLE_README;
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const auto table = readme.find("## Settings");
  ASSERT_NE(table, std::string::npos);
  const std::string section = readme.substr(table, readme.find("\n## ", table + 1) - table);
  for (const auto& s : settingsSchema()) {
    EXPECT_NE(section.find("`" + s.name + "`"), std::string::npos) << s.name;
  }
  for (const auto& [name, rate] : publishedRates()) {
    EXPECT_NE(readme.find("`" + name + "`"), std::string::npos) << "bucket " << name;
  }
}

}  // namespace
}  // namespace ferry::plugins::people
