// Pure unit tests of ids, timestamps and the SOQL parser (no HTTP).
#include <gtest/gtest.h>

#include "model.hpp"
#include "soql.hpp"

namespace ferry::sandbox::salesforce {
namespace {

TEST(Ids, ChecksumMatchesSalesforce) {
  EXPECT_EQ(idChecksum("0015000000Gv7qJ"), "AAR");
  EXPECT_EQ(normalizeId("0015000000Gv7qJ"), "0015000000Gv7qJAAR");
  EXPECT_EQ(normalizeId("0015000000Gv7qJaar"), "0015000000Gv7qJAAR");  // suffix is case-insensitive
  EXPECT_FALSE(normalizeId("0015000000Gv7qJAAA"));
  EXPECT_FALSE(normalizeId("short"));
  EXPECT_FALSE(normalizeId("0015000000Gv7q!"));
  std::string first = makeId("003", 1), second = makeId("003", 62);
  EXPECT_EQ(first.size(), 18u);
  EXPECT_EQ(first.substr(0, 3), "003");
  EXPECT_EQ(normalizeId(first), first);
  EXPECT_LT(first, second);  // ids sort in creation order
}

TEST(Time, FormatsAndParses) {
  EXPECT_EQ(formatDateTime(1709647629000), "2024-03-05T14:07:09.000+0000");
  EXPECT_EQ(formatDateTimeZ(1709647629123), "2024-03-05T14:07:09.123Z");
  EXPECT_EQ(parseDateTime("2024-03-05T14:07:09Z"), 1709647629000);
  EXPECT_EQ(parseDateTime("2024-03-05T15:07:09+01:00"), 1709647629000);
  EXPECT_EQ(parseDateTime("2024-03-05T14:07:09.000+0000"), 1709647629000);
  EXPECT_FALSE(parseDateTime("2024-02-30T00:00:00Z"));
  EXPECT_FALSE(parseDateTime("2024-03-05T14:07:09"));
  EXPECT_TRUE(isValidDate("2024-02-29"));
  EXPECT_FALSE(isValidDate("2023-02-29"));
}

TEST(Soql, ParsesTheSubset) {
  Schema schema;
  Query query = parseSoql(
      "SELECT Id, Account.Name FROM Contact WHERE (LastName LIKE 'N%' OR Email = null) AND NOT "
      "IsDeleted = true "
      "AND CreatedDate >= 2024-01-01T00:00:00Z AND Birthdate < 2000-01-01 AND LastName NOT IN "
      "('a', 'b\\'c') "
      "ORDER BY LastName DESC NULLS FIRST, Id LIMIT 10 OFFSET 5",
      schema);
  EXPECT_EQ(query.object->name, "Contact");
  ASSERT_EQ(query.select.size(), 2u);
  EXPECT_EQ(query.select[1].field.path, "Account.Name");
  EXPECT_EQ(query.where->kind, Condition::Kind::kAnd);
  EXPECT_EQ(query.where->children.size(), 5u);
  EXPECT_EQ(query.where->children[0]->kind, Condition::Kind::kOr);
  EXPECT_EQ(std::get<std::string>(query.where->children[4]->bound[1]), "b'c");
  ASSERT_EQ(query.orderBy.size(), 2u);
  EXPECT_TRUE(query.orderBy[0].descending);
  EXPECT_TRUE(query.orderBy[0].nullsFirst);
  EXPECT_FALSE(query.orderBy[1].descending);
  EXPECT_EQ(query.limit, 10);
  EXPECT_EQ(query.offset, 5);
}

TEST(Soql, ErrorsCarryCodeAndPosition) {
  Schema schema;
  auto code = [&](const std::string& text) {
    try {
      parseSoql(text, schema);
    } catch (const SoqlError& error) {
      return error.code();
    }
    return std::string("OK");
  };
  EXPECT_EQ(code("SELECT FROM Contact"), "MALFORMED_QUERY");
  EXPECT_EQ(code("SELECT Id FROM Contact LIMIT -1"), "MALFORMED_QUERY");
  EXPECT_EQ(code("SELECT Id FROM Contact WHERE LastName = 'x' garbage"), "MALFORMED_QUERY");
  EXPECT_EQ(code("SELECT Id FROM Contact WHERE Birthdate = 2024-13-01"), "MALFORMED_QUERY");
  EXPECT_EQ(code("SELECT Id FROM Contact WHERE LastName # 'x'"), "MALFORMED_QUERY");
  EXPECT_EQ(code("SELECT Id FROM Contact WHERE IsDeleted > true"), "INVALID_FIELD");
  EXPECT_EQ(code("SELECT Id FROM Contact WHERE Birthdate LIKE 'x'"), "INVALID_FIELD");
  EXPECT_EQ(code("SELECT Id FROM Contact WHERE Email LIKE null"), "MALFORMED_QUERY");
  EXPECT_EQ(code("SELECT COUNT() FROM Contact ORDER BY LastName"), "MALFORMED_QUERY");
  EXPECT_EQ(code("SELECT Account.Parent.Name FROM Contact"), "INVALID_FIELD");
  EXPECT_EQ(code("SELECT Contact.LastName FROM Contact"), "OK");
  EXPECT_EQ(code(std::string(100001, ' ')), "MALFORMED_QUERY");
  try {
    parseSoql("SELECT Id\nFROM Contact WHERE Nope = 1", schema);
    FAIL();
  } catch (const SoqlError& error) {
    EXPECT_NE(std::string(error.what()).find("ERROR at Row:2:Column:20"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace ferry::sandbox::salesforce
