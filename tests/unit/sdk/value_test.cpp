#include <gtest/gtest.h>

#include "ferry/sdk/value.hpp"

namespace ferry::sdk {
namespace {

TEST(DateTest, DaysRoundTripAcrossEraBoundaries) {
  EXPECT_EQ(Date({1970, 1, 1}).toDays(), 0);
  EXPECT_EQ(Date({2000, 3, 1}).toDays(), 11017);
  EXPECT_EQ(Date({1969, 12, 31}).toDays(), -1);
  for (std::int64_t d = -800'000; d <= 800'000; d += 997) {
    EXPECT_EQ(Date::fromDays(d).toDays(), d) << d;
  }
  EXPECT_EQ(Date::fromDays(19787), (Date{2024, 3, 5}));
}

TEST(DateTest, ParsesStrictIsoAndRejectsImpossibleDates) {
  EXPECT_EQ(Date::parseIso("2024-02-29"), (Date{2024, 2, 29}));
  EXPECT_FALSE(Date::parseIso("2023-02-29"));
  EXPECT_FALSE(Date::parseIso("1900-02-29"));
  EXPECT_TRUE(Date::parseIso("2000-02-29"));
  EXPECT_FALSE(Date::parseIso("2024-13-01"));
  EXPECT_FALSE(Date::parseIso("2024-04-31"));
  EXPECT_FALSE(Date::parseIso("2024-3-5"));
  EXPECT_FALSE(Date::parseIso("2024-03-05T00:00:00Z"));
  EXPECT_FALSE(Date::parseIso(""));
  EXPECT_FALSE(Date::parseIso("+024-03-05"));
  EXPECT_EQ(Date({2024, 3, 5}).toIso(), "2024-03-05");
  EXPECT_EQ(Date({7, 1, 9}).toIso(), "0007-01-09");
}

TEST(DateTimeTest, ParsesSalesforcePeopleAndZuluForms) {
  const std::int64_t expected = 1709647629000;  // 2024-03-05T14:07:09Z
  EXPECT_EQ(DateTime::parseIso("2024-03-05T14:07:09.000+0000")->epochMs, expected);
  EXPECT_EQ(DateTime::parseIso("2024-03-05T14:07:09")->epochMs, expected);
  EXPECT_EQ(DateTime::parseIso("2024-03-05T14:07:09Z")->epochMs, expected);
  EXPECT_EQ(DateTime::parseIso("2024-03-05T14:07:09.123Z")->epochMs, expected + 123);
  EXPECT_EQ(DateTime::parseIso("2024-03-05T14:07:09.1Z")->epochMs, expected + 100);
  EXPECT_EQ(DateTime::parseIso("2024-03-05T14:07:09.123456Z")->epochMs, expected + 123);
  EXPECT_EQ(DateTime::parseIso("2024-03-05T16:07:09+02:00")->epochMs, expected);
  EXPECT_EQ(DateTime::parseIso("2024-03-05T09:37:09-0430")->epochMs, expected);
  EXPECT_EQ(DateTime::parseIso("2024-03-05T15:07:09+01")->epochMs, expected);
  EXPECT_EQ(DateTime::parseIso("2024-03-05 14:07:09")->epochMs, expected);
  EXPECT_EQ(DateTime::parseIso("2024-03-05T14:07")->epochMs, expected - 9000);
}

TEST(DateTimeTest, RejectsMalformedText) {
  for (const char* bad :
       {"", "2024-03-05", "2024-03-05T", "2024-03-05T24:00:00Z", "2024-03-05T14:60:00Z",
        "2024-03-05T14:07:09.Z", "2024-03-05T14:07:09+2", "2024-03-05T14:07:09 UTC",
        "2024-02-30T00:00:00Z", "2024-03-05T14:07:09Zjunk", "yesterday"}) {
    EXPECT_FALSE(DateTime::parseIso(bad)) << bad;
  }
}

TEST(DateTimeTest, FormatsUtcWithMillisecondsIncludingBeforeEpoch) {
  EXPECT_EQ(DateTime{1709647629123}.toIso(), "2024-03-05T14:07:09.123Z");
  EXPECT_EQ(DateTime{0}.toIso(), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(DateTime{-1}.toIso(), "1969-12-31T23:59:59.999Z");
  const auto t = DateTime::parseIso("1955-11-05T06:00:00.250Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->toIso(), "1955-11-05T06:00:00.250Z");
}

TEST(ObjectTest, KeepsKeysSortedAndReplacesOnSet) {
  Object o{{"b", 2}, {"a", 1}, {"b", 3}};
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o.begin()->first, "a");
  EXPECT_EQ(*o.find("b"), Value(3));
  o.set("c", "x");
  o["a"] = true;
  EXPECT_EQ(*o.find("a"), Value(true));
  EXPECT_TRUE(o["missing"].isNull());
  EXPECT_EQ(o.size(), 4u);
  EXPECT_TRUE(o.erase("missing"));
  EXPECT_FALSE(o.erase("missing"));
  EXPECT_FALSE(o.contains("missing"));
  std::string keys;
  for (const auto& [k, v] : o) keys += k;
  EXPECT_EQ(keys, "abc");
}

TEST(ValueTest, EqualityIsStructuralAndNumericAcrossIntegerAndDecimal) {
  EXPECT_EQ(Value(2), Value(2.0));
  EXPECT_EQ(Value(2.0), Value(2));
  EXPECT_NE(Value(2), Value(2.5));
  EXPECT_NE(Value(std::int64_t{9007199254740993}), Value(9007199254740992.0));
  EXPECT_NE(Value("2"), Value(2));
  EXPECT_NE(Value(), Value(false));
  EXPECT_EQ(Value(), Value(nullptr));
  EXPECT_EQ(Value(Date{2024, 3, 5}), Value(Date{2024, 3, 5}));
  EXPECT_NE(Value(Date{2024, 3, 5}), Value("2024-03-05"));
  EXPECT_EQ(Value(List{1, "a"}), Value(List{1.0, "a"}));
  EXPECT_NE(Value(List{1, "a"}), Value(List{1}));
  EXPECT_EQ(Value(Object{{"n", 1}}), Value(Object{{"n", 1.0}}));
  EXPECT_NE(Value(Object{{"n", 1}}), Value(Object{{"m", 1}}));
  EXPECT_DOUBLE_EQ(Value(3).asNumber(), 3.0);
  EXPECT_STREQ(toString(Value(Date{}).kind()), "date");
  EXPECT_STREQ(toString(ValueKind::kDateTime), "datetime");
}

TEST(ValueTest, PreviewQuotesAndCutsLongText) {
  EXPECT_EQ(Value("abc").preview(), "\"abc\"");
  EXPECT_EQ(Value().preview(), "null");
  EXPECT_EQ(Value(12).preview(), "12");
  const std::string longText(200, 'x');
  const std::string p = Value(longText).preview(20);
  EXPECT_LE(p.size(), 20u);
  EXPECT_EQ(p.substr(p.size() - 4), "...\"");
  EXPECT_EQ(p.front(), '"');
  // Multi-byte characters are never split.
  const std::string p2 = Value(std::string(30, 'a') + "\xC3\xA9\xC3\xA9\xC3\xA9").preview(32);
  EXPECT_TRUE(Value::fromJson(Value(p2).toJson()));
  const std::string listPreview = Value(List(100, Value(1))).preview(15);
  EXPECT_EQ(listPreview.size(), 15u);
  EXPECT_EQ(listPreview.substr(12), "...");
}

TEST(PathTest, FindsAndSetsNestedFields) {
  Object r{{"email", "a@b.c"}};
  setPath(r, "customAttributes.Tier", "Gold");
  setPath(r, "customAttributes.Score", 7);
  ASSERT_NE(findPath(r, "customAttributes.Tier"), nullptr);
  EXPECT_EQ(*findPath(r, "customAttributes.Tier"), Value("Gold"));
  ASSERT_NE(findPath(r, "customAttributes"), nullptr);
  EXPECT_TRUE(findPath(r, "customAttributes")->isObject());
  EXPECT_EQ(findPath(r, "customAttributes.Missing"), nullptr);
  EXPECT_EQ(findPath(r, "email.domain"), nullptr);  // scalar in the way
  EXPECT_EQ(findPath(r, "nothing"), nullptr);
  // A scalar on the way is replaced by an object.
  setPath(r, "email.domain", "b.c");
  EXPECT_EQ(*findPath(r, "email.domain"), Value("b.c"));
  setPath(r, "plain", 1);
  EXPECT_EQ(*r.find("plain"), Value(1));
}

}  // namespace
}  // namespace ferry::sdk
