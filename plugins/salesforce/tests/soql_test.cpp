// SOQL: identifier checks, quoting (no injection), literals, pushed-down filters, query shapes,
// lookup splitting.
#include <gtest/gtest.h>

#include "ferry/plugins/salesforce/api.hpp"
#include "ferry/plugins/salesforce/soql.hpp"
#include "test_data.hpp"

namespace ferry::plugins::salesforce {
namespace {

using Op = sdk::Condition::Op;

ObjectDescription contact() {
  auto d = parseDescribe(testing::readData("describe_contact.json"));
  EXPECT_TRUE(d) << d.error().message;
  return std::move(d).value();
}

TEST(Soql, Identifiers) {
  EXPECT_TRUE(isIdentifier("Email"));
  EXPECT_TRUE(isIdentifier("Ferry_External_Id__c"));
  EXPECT_TRUE(isIdentifier("ns__Field__c"));
  EXPECT_FALSE(isIdentifier(""));
  EXPECT_FALSE(isIdentifier("1Email"));
  EXPECT_FALSE(isIdentifier("Email, Id"));
  EXPECT_FALSE(isIdentifier("Email FROM User --"));
  EXPECT_FALSE(isIdentifier("Field_"));
  EXPECT_FALSE(isIdentifier("a___b"));
}

TEST(Soql, FieldPathsCheckedAgainstDescribe) {
  const auto c = contact();
  EXPECT_EQ(*checkFieldPath(c, "email"), "Email");
  EXPECT_EQ(*checkFieldPath(c, "account.Name"), "Account.Name");
  EXPECT_FALSE(checkFieldPath(c, "Nope"));
  EXPECT_FALSE(checkFieldPath(c, "Owner.Name"));  // no such relationship in this describe
  EXPECT_FALSE(checkFieldPath(c, "Account.Name) FROM User"));
  EXPECT_FALSE(checkFieldPath(c, "Account..Name"));
}

TEST(Soql, QuotingEscapesEverythingDangerous) {
  EXPECT_EQ(*quoteString("O'Brien"), R"('O\'Brien')");
  EXPECT_EQ(*quoteString(R"(a\b)"), R"('a\\b')");
  EXPECT_EQ(*quoteString("x' OR Name != '"), R"('x\' OR Name != \'')");
  EXPECT_EQ(*quoteString("line\nbreak\t\"q\""), R"('line\nbreak\t\"q\"')");
  EXPECT_EQ(*quoteString("Željko"), "'Željko'");
  EXPECT_FALSE(quoteString(std::string("nul\0byte", 8)));
}

TEST(Soql, LiteralsPerType) {
  EXPECT_EQ(*literalFor(sdk::Value(true), "boolean"), "true");
  EXPECT_EQ(*literalFor(sdk::Value("false"), "boolean"), "false");
  EXPECT_FALSE(literalFor(sdk::Value("yes"), "boolean"));
  EXPECT_EQ(*literalFor(sdk::Value(42), "int"), "42");
  EXPECT_EQ(*literalFor(sdk::Value("12.5"), "currency"), "12.5");
  EXPECT_FALSE(literalFor(sdk::Value("12; DELETE"), "double"));
  EXPECT_FALSE(literalFor(sdk::Value("nan"), "double"));
  EXPECT_EQ(*literalFor(sdk::Value(sdk::Date{2024, 3, 5}), "date"), "2024-03-05");
  EXPECT_EQ(*literalFor(sdk::Value("2024-03-05"), "date"), "2024-03-05");
  EXPECT_FALSE(literalFor(sdk::Value("2024-13-05"), "date"));
  EXPECT_EQ(*literalFor(sdk::Value("2024-03-05T15:07:09+01:00"), "datetime"),
            "2024-03-05T14:07:09Z");
  EXPECT_FALSE(literalFor(sdk::Value(sdk::DateTime{1500}), "datetime"));  // sub-second
  EXPECT_EQ(*literalFor(sdk::Value("a@b.c"), "email"), "'a@b.c'");
  EXPECT_EQ(*literalFor(sdk::Value(385), "phone"), "'385'");
  EXPECT_EQ(*literalFor(sdk::Value(), "string"), "null");
  EXPECT_FALSE(literalFor(sdk::Value(sdk::List{}), "string"));
  EXPECT_EQ(datetimeLiteral(1709647629999), "2024-03-05T14:07:09Z");
  EXPECT_EQ(datetimeLiteral(0), "1970-01-01T00:00:00Z");
}

TEST(Soql, ConditionsPushedDownSafely) {
  const auto c = contact();
  std::vector<sdk::Condition> conditions{
      {"LeadSource", Op::kEq, {sdk::Value("Web' OR Id != '")}},
      {"Email", Op::kNotNull, {}},
      {"NumberOfEmployees__c", Op::kGe, {sdk::Value(10)}},
      {"LeadSource", Op::kIn, {sdk::Value("Web"), sdk::Value("Phone")}},
      {"Description", Op::kEq, {sdk::Value("long text areas cannot be filtered")}},
      {"SystemModstamp", Op::kGt, {sdk::Value(sdk::DateTime{1500})}},  // sub-second: host only
  };
  auto where = whereFromConditions(c, conditions);
  ASSERT_TRUE(where) << where.error().message;
  EXPECT_EQ(*where,
            R"(LeadSource = 'Web\' OR Id != \'' AND Email != null AND NumberOfEmployees__c >= 10)"
            R"( AND LeadSource IN ('Web', 'Phone'))");
  EXPECT_EQ(*whereFromConditions(c, {{"Email", Op::kIn, {}}}), "Id = null");
  EXPECT_EQ(*whereFromConditions(c, {{"Email", Op::kNotIn, {}}}), "");
  EXPECT_FALSE(whereFromConditions(c, {{"Email) OR (Id", Op::kEq, {sdk::Value("x")}}}));
  EXPECT_FALSE(whereFromConditions(c, {{"Unknown", Op::kEq, {sdk::Value("x")}}}));
  EXPECT_FALSE(whereFromConditions(c, {{"NumberOfEmployees__c", Op::kEq, {sdk::Value("ten")}}}));
  EXPECT_FALSE(whereFromConditions(c, {{"Email", Op::kEq, {}}}));  // arity
}

TEST(Soql, ChangesQueryShape) {
  auto q = buildChangesQuery(ChangesQuery{"Contact",
                                          {"Id", "SystemModstamp", "Email"},
                                          "SystemModstamp",
                                          1709647629500,
                                          "Email != null",
                                          true});
  ASSERT_TRUE(q);
  EXPECT_EQ(*q,
            "SELECT Id, SystemModstamp, Email FROM Contact WHERE SystemModstamp >= "
            "2024-03-05T14:07:09Z AND (Email != null) ORDER BY SystemModstamp ASC, Id ASC");
  auto bulk = buildChangesQuery(ChangesQuery{"Contact", {"Id"}, "SystemModstamp", 0, "", false});
  EXPECT_EQ(*bulk, "SELECT Id FROM Contact WHERE SystemModstamp >= 1970-01-01T00:00:00Z");
  EXPECT_FALSE(
      buildChangesQuery(ChangesQuery{"Contact; x", {"Id"}, "SystemModstamp", 0, "", true}));
}

TEST(Soql, LookupQueriesSplitWithinBudget) {
  std::vector<std::string> emails;
  for (int i = 0; i < 500; ++i) {
    emails.push_back(*quoteString("person" + std::to_string(i) + "@example.com"));
  }
  const std::size_t budget = 3000;
  auto queries =
      buildLookupQueries("Contact", {"Id", "Email", "MobilePhone"},
                         {{"Email", emails}, {"MobilePhone", {"'+385911234567'"}}}, budget);
  ASSERT_TRUE(queries) << queries.error().message;
  ASSERT_GT(queries->size(), 1u);
  std::size_t seen = 0;
  for (const auto& q : *queries) {
    EXPECT_LE(percentEncodedLength(q), budget) << q;
    EXPECT_EQ(q.rfind("SELECT Id, Email, MobilePhone FROM Contact WHERE ", 0), 0u);
    for (std::size_t pos = 0; (pos = q.find("@example.com", pos)) != std::string::npos; ++pos) {
      ++seen;
    }
  }
  EXPECT_EQ(seen, emails.size());  // every value asked for exactly once
  EXPECT_NE(queries->back().find("MobilePhone IN ('+385911234567')"), std::string::npos);

  auto one = buildLookupQueries("Contact", {"Id"}, {{"Email", {"'a@b.c'", "'d@e.f'"}}}, 16000);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front(), "SELECT Id FROM Contact WHERE Email IN ('a@b.c', 'd@e.f')");
  EXPECT_TRUE(buildLookupQueries("Contact", {"Id"}, {{"Email", {}}}, 16000)->empty());
  EXPECT_FALSE(buildLookupQueries("Contact", {"Id"}, {{"Email", {std::string(5000, 'x')}}}, 3000));
}

}  // namespace
}  // namespace ferry::plugins::salesforce
