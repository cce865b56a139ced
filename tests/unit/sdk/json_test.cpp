#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ferry/sdk/value.hpp"

namespace ferry::sdk {
namespace {

TEST(JsonTest, WritesCompactSortedJson) {
  Object o{{"z", 1},
           {"a", List{true, nullptr, 2.5, "s"}},
           {"d", Date{2024, 3, 5}},
           {"t", DateTime{1709647629000}}};
  EXPECT_EQ(Value(o).toJson(),
            R"({"a":[true,null,2.5,"s"],"d":"2024-03-05","t":"2024-03-05T14:07:09.000Z","z":1})");
}

TEST(JsonTest, AnObjectWritesItselfAsItsValueWould) {
  Object o{{"b", Object{{"x", "q\"uote"}}}, {"a", List{1, "two"}}, {"c", nullptr}};
  EXPECT_EQ(o.toJson(), Value(o).toJson());
  EXPECT_EQ(o.toJson(), R"({"a":[1,"two"],"b":{"x":"q\"uote"},"c":null})");
  EXPECT_EQ(Object{}.toJson(), "{}");
}

TEST(JsonTest, EscapesStringsAndKeepsUtf8) {
  EXPECT_EQ(Value("a\"b\\c\n\t\x01").toJson(), R"("a\"b\\c\n\t\u0001")");
  EXPECT_EQ(Value("Zoë").toJson(), "\"Zoë\"");
}

TEST(JsonTest, DecimalsStayDecimalsAndNonFiniteBecomesNull) {
  EXPECT_EQ(Value(2.0).toJson(), "2.0");
  EXPECT_EQ(Value(0.1).toJson(), "0.1");
  EXPECT_EQ(Value(1e300).toJson(), "1e+300");
  EXPECT_EQ(Value(std::numeric_limits<double>::infinity()).toJson(), "null");
  EXPECT_EQ(Value(std::nan("")).toJson(), "null");
  EXPECT_TRUE(Value::fromJson("2.0")->isDecimal());
  EXPECT_TRUE(Value::fromJson("2")->isInteger());
}

TEST(JsonTest, ParsesEveryKind) {
  std::string error;
  const auto v = Value::fromJson(
      R"({"s":"x\u00e9","i":-42,"big":9223372036854775807,"d":1.5,"b":false,"n":null,)"
      R"("l":[1,[2]],"o":{"k":"v"}})",
      &error);
  ASSERT_TRUE(v) << error;
  const Object& o = v->asObject();
  EXPECT_EQ(*o.find("s"), Value("xé"));
  EXPECT_EQ(o.find("i")->asInteger(), -42);
  EXPECT_EQ(o.find("big")->asInteger(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(*o.find("d"), Value(1.5));
  EXPECT_EQ(*o.find("b"), Value(false));
  EXPECT_TRUE(o.find("n")->isNull());
  EXPECT_EQ(*o.find("l"), Value(List{1, List{2}}));
  EXPECT_EQ(*o.find("o"), Value(Object{{"k", "v"}}));
}

TEST(JsonTest, RoundTripsThroughText) {
  const Value original(Object{{"a", List{1, 2.25, "three", Object{{"x", nullptr}}}}, {"b", true}});
  const auto back = Value::fromJson(original.toJson());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, original);
  EXPECT_EQ(back->toJson(), original.toJson());
}

TEST(JsonTest, ReportsSyntaxErrors) {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "tru", "{\"a\" 1}", "'x'"}) {
    std::string error;
    EXPECT_FALSE(Value::fromJson(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(JsonTest, DuplicateKeysKeepTheLastValue) {
  const auto v = Value::fromJson(R"({"a":1,"a":2})");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v->asObject().find("a"), Value(2));
}

}  // namespace
}  // namespace ferry::sdk
