#include "ferry/host/engine/record_space.hpp"
#include "ferry/host/engine/conditions.hpp"

#include <gtest/gtest.h>

namespace ferry::host::engine {
namespace {

using sdk::Object;
using sdk::Value;

TEST(RecordSpace, ReadsFlatAndNestedPaths) {
  Object nested{{"customAttributes", Object{{"Tier", "gold"}}}};
  Object flat{{"customAttributes.Tier", "silver"}};
  EXPECT_EQ(*fieldAt(nested, "customAttributes.Tier"), Value("gold"));
  EXPECT_EQ(*fieldAt(flat, "customAttributes.Tier"), Value("silver"));
  EXPECT_EQ(fieldAt(nested, "customAttributes.Other"), nullptr);
  putField(flat, "customAttributes.Tier", "bronze");
  EXPECT_EQ(flat.size(), 1u);
  putField(nested, "customAttributes.Tier", "bronze");
  EXPECT_EQ(*sdk::findPath(nested, "customAttributes.Tier"), Value("bronze"));
}

TEST(RecordSpace, ProjectTreatsAbsentAsNull) {
  const auto v = project(Object{{"a", 1}}, {"a", "b"});
  EXPECT_EQ(v.size(), 2u);
  EXPECT_TRUE(v.find("b")->isNull());
  EXPECT_TRUE(changedFields(v, Object{{"a", 1}}, {"a", "b"}).empty());
  EXPECT_EQ(changedFields(v, Object{{"a", 2}}, {"a", "b"}), std::vector<std::string>{"a"});
}

TEST(RecordSpace, MergeCarriesOneSidedChangesAndSettlesConflicts) {
  const std::vector<std::string> paths{"a", "b", "c", "d"};
  const Object base{{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}};
  const Object reader{{"a", 2}, {"b", 1}, {"c", 3}, {"d", 5}};
  const Object other{{"a", 1}, {"b", 4}, {"c", 9}, {"d", 5}};
  // a: reader only; b: other only; c: both differently; d: both the same.
  const auto readerWins = mergeFields(base, reader, other, paths, ConflictWinner::kReader);
  EXPECT_EQ(readerWins.toOther, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(readerWins.conflicts, std::vector<std::string>{"c"});
  EXPECT_EQ(*readerWins.target.find("b"), Value(4));  // other's own change is kept
  EXPECT_EQ(*readerWins.newBase.find("a"), Value(2));
  EXPECT_EQ(*readerWins.newBase.find("b"), Value(1));  // crosses in the other pass
  EXPECT_EQ(*readerWins.newBase.find("c"), Value(3));
  EXPECT_EQ(*readerWins.newBase.find("d"), Value(5));

  const auto otherWins = mergeFields(base, reader, other, paths, ConflictWinner::kOther);
  EXPECT_EQ(otherWins.toOther, std::vector<std::string>{"a"});
  EXPECT_EQ(*otherWins.newBase.find("c"), Value(1));

  const auto parked = mergeFields(base, reader, other, paths, ConflictWinner::kPark);
  EXPECT_EQ(parked.parked, std::vector<std::string>{"c"});
  EXPECT_EQ(parkedFields(parked.newBase), std::vector<std::string>{"c"});
  // A parked field no longer moves, and is not parked twice.
  const auto later =
      mergeFields(parked.newBase, Object{{"c", 7}}, Object{{"c", 8}}, {"c"}, ConflictWinner::kPark);
  EXPECT_TRUE(later.parked.empty());
  EXPECT_TRUE(later.toOther.empty());
}

TEST(Conditions, EvaluatesEveryOperator) {
  using Op = sdk::Condition::Op;
  const Object r{{"Status", "Open"}, {"Score", 7}, {"Since", sdk::Date{2024, 3, 1}}};
  EXPECT_TRUE(matchesCondition(r, {"Status", Op::kEq, {"Open"}}));
  EXPECT_FALSE(matchesCondition(r, {"Status", Op::kNe, {"Open"}}));
  EXPECT_TRUE(matchesCondition(r, {"Status", Op::kIn, {"Closed", "Open"}}));
  EXPECT_FALSE(matchesCondition(r, {"Status", Op::kNotIn, {"Closed", "Open"}}));
  EXPECT_TRUE(matchesCondition(r, {"Missing", Op::kIsNull, {}}));
  EXPECT_TRUE(matchesCondition(r, {"Score", Op::kNotNull, {}}));
  EXPECT_TRUE(matchesCondition(r, {"Score", Op::kGt, {6.5}}));
  EXPECT_TRUE(matchesCondition(r, {"Score", Op::kLe, {7}}));
  EXPECT_FALSE(matchesCondition(r, {"Score", Op::kLt, {7}}));
  EXPECT_TRUE(matchesCondition(r, {"Since", Op::kGe, {"2024-01-31"}}));
  EXPECT_FALSE(matchesCondition(r, {"Status", Op::kGt, {3}}));  // no common order
  EXPECT_FALSE(matchesCondition(r, {"Missing", Op::kGt, {3}}));
  EXPECT_TRUE(matchesAll(r, {}));
}

}  // namespace
}  // namespace ferry::host::engine
