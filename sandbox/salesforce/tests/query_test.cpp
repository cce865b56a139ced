#include "test_support.hpp"

namespace ferry::sandbox::salesforce::testing {
namespace {

class QueryTest : public SalesforceTest {
 protected:
  // A small, hand-made data set every filter test can reason about.
  void seedPeople() {
    ids_["novak"] = create(
        "Contact",
        R"({"FirstName":"Marko","LastName":"Novak","Email":"m.novak@example.com","Birthdate":"1990-05-01"})");
    advance(2000);
    ids_["obrien"] = create(
        "Contact",
        R"({"FirstName":"Sean","LastName":"O'Brien","Email":null,"HasOptedOutOfEmail":true})");
    advance(2000);
    ids_["horvat"] = create(
        "Contact",
        R"({"FirstName":null,"LastName":"Horvat","Email":"ana@horvat.example","Birthdate":"1985-12-24"})");
    advance(2000);
    ids_["percent"] = create(
        "Contact", R"({"FirstName":"Pat","LastName":"100% Cotton","Email":"pat@example.org"})");
  }
  std::map<std::string, std::string> ids_;
};

TEST_F(QueryTest, PagesWithNextRecordsUrlAndBatchSize) {
  ASSERT_EQ(adminCall("POST", "/seed", R"({"Contact":4500})").status, 200);
  Reply first = query("SELECT Id, LastName FROM Contact");
  ASSERT_EQ(first.status, 200) << first.body;
  auto page = first.object();
  EXPECT_EQ(page->getValue<int>("totalSize"), 4500);
  EXPECT_FALSE(page->getValue<bool>("done"));
  EXPECT_EQ(page->getArray("records")->size(), 2000u);
  std::string next = page->getValue<std::string>("nextRecordsUrl");
  EXPECT_EQ(next.rfind("/services/data/v60.0/query/01g", 0), 0u) << next;
  EXPECT_TRUE(next.ends_with("-2000")) << next;
  std::set<std::string> seen;
  for (const auto& id : column(first, "Id")) seen.insert(id);
  int pages = 1;
  while (!page->getValue<bool>("done")) {
    Reply more = api("GET", page->getValue<std::string>("nextRecordsUrl"));
    ASSERT_EQ(more.status, 200) << more.body;
    page = more.object();
    EXPECT_EQ(page->getValue<int>("totalSize"), 4500);
    for (const auto& id : column(more, "Id")) seen.insert(id);
    ++pages;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 4500u);
  EXPECT_FALSE(page->has("nextRecordsUrl"));

  Reply small = query("SELECT Id FROM Contact", {{"Sforce-Query-Options", "batchSize=500"}});
  EXPECT_EQ(small.object()->getArray("records")->size(), 500u);
  Reply clamped = query("SELECT Id FROM Contact", {{"Sforce-Query-Options", "batchSize=10"}});
  EXPECT_EQ(clamped.object()->getArray("records")->size(), 200u);
  EXPECT_EQ(api("GET", "/query/01gnope-2000").errorCode(), "INVALID_QUERY_LOCATOR");
}

TEST_F(QueryTest, RecordsCarryAttributesAndNullsAndCanonicalNames) {
  seedPeople();
  Reply reply =
      query("select id, lastname, EMAIL, systemmodstamp from contact where LastName = 'O\\'Brien'");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto record = reply.object()->getArray("records")->getObject(0);
  auto attributes = record->getObject("attributes");
  EXPECT_EQ(attributes->getValue<std::string>("type"), "Contact");
  EXPECT_EQ(attributes->getValue<std::string>("url"),
            "/services/data/v60.0/sobjects/Contact/" + ids_["obrien"]);
  EXPECT_TRUE(record->has("Email"));
  EXPECT_TRUE(record->get("Email").isEmpty());
  EXPECT_EQ(record->getValue<std::string>("SystemModstamp"), "2026-01-01T00:00:02.000+0000");
  EXPECT_EQ(record->getValue<std::string>("LastName"), "O'Brien");
}

TEST_F(QueryTest, WhereOperators) {
  seedPeople();
  auto names = [&](const std::string& where) {
    Reply reply = query("SELECT LastName FROM Contact WHERE " + where + " ORDER BY LastName");
    EXPECT_EQ(reply.status, 200) << where << ": " << reply.body;
    if (reply.status != 200) return std::vector<std::string>{"<error " + reply.errorCode() + ">"};
    return column(reply, "LastName");
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("Email = null"), V{"O'Brien"});
  EXPECT_EQ(names("Email != null"), (V{"100% Cotton", "Horvat", "Novak"}));
  EXPECT_EQ(names("FirstName != 'Marko'"),
            (V{"100% Cotton", "Horvat", "O'Brien"}));  // nulls included
  EXPECT_EQ(names("lastname = 'NOVAK'"), V{"Novak"});  // string comparison is case-insensitive
  EXPECT_EQ(names("LastName IN ('Novak', 'Horvat')"), (V{"Horvat", "Novak"}));
  EXPECT_EQ(names("LastName NOT IN ('Novak', 'Horvat')"), (V{"100% Cotton", "O'Brien"}));
  EXPECT_EQ(names("Email LIKE '%example.%'"), (V{"100% Cotton", "Novak"}));
  EXPECT_EQ(names("LastName LIKE '100\\% C_tton'"), V{"100% Cotton"});
  EXPECT_EQ(names("LastName LIKE '100\\%x%'"), V{});
  EXPECT_EQ(names("HasOptedOutOfEmail = true"), V{"O'Brien"});
  EXPECT_EQ(names("Birthdate < 1990-01-01"), V{"Horvat"});
  EXPECT_EQ(names("Birthdate >= 1990-05-01"), V{"Novak"});
  EXPECT_EQ(names("SystemModstamp > 2026-01-01T00:00:02Z"), (V{"100% Cotton", "Horvat"}));
  EXPECT_EQ(names("SystemModstamp <= 2026-01-01T01:00:02+01:00"), (V{"Novak", "O'Brien"}));
  EXPECT_EQ(names("(LastName = 'Novak' OR LastName = 'Horvat') AND Email LIKE '%horvat%'"),
            V{"Horvat"});
  EXPECT_EQ(names("NOT LastName = 'Novak' AND NOT (Email = null)"), (V{"100% Cotton", "Horvat"}));
  EXPECT_EQ(names("Id = '" + ids_["novak"].substr(0, 15) + "'"), V{"Novak"});  // 15-char ids work
  EXPECT_EQ(names("Id > '" + ids_["obrien"] + "'"), (V{"100% Cotton", "Horvat"}));
}

TEST_F(QueryTest, KeysetPaginationQueryFromTheReference) {
  seedPeople();
  Reply reply = query(
      "SELECT Id, LastName, SystemModstamp, IsDeleted FROM Contact WHERE SystemModstamp > "
      "2026-01-01T00:00:02Z OR (SystemModstamp = 2026-01-01T00:00:02Z AND Id > '" +
      ids_["novak"] + "') ORDER BY SystemModstamp ASC, Id ASC LIMIT 2000");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(column(reply, "LastName"),
            (std::vector<std::string>{"O'Brien", "Horvat", "100% Cotton"}));
}

TEST_F(QueryTest, OrderByNullsLimitOffsetCount) {
  seedPeople();
  auto order = [&](const std::string& tail) {
    return column(query("SELECT LastName FROM Contact " + tail), "LastName");
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(order("ORDER BY FirstName"),
            (V{"Horvat", "Novak", "100% Cotton", "O'Brien"}));  // ASC: nulls first
  EXPECT_EQ(order("ORDER BY FirstName ASC NULLS LAST"),
            (V{"Novak", "100% Cotton", "O'Brien", "Horvat"}));
  EXPECT_EQ(order("ORDER BY FirstName DESC"),
            (V{"O'Brien", "100% Cotton", "Novak", "Horvat"}));  // DESC: nulls last
  EXPECT_EQ(order("ORDER BY Email DESC NULLS FIRST, LastName"),
            (V{"O'Brien", "100% Cotton", "Novak", "Horvat"}));
  EXPECT_EQ(order("ORDER BY LastName LIMIT 2"), (V{"100% Cotton", "Horvat"}));
  EXPECT_EQ(order("ORDER BY LastName LIMIT 2 OFFSET 1"), (V{"Horvat", "Novak"}));
  Reply count = query("SELECT COUNT() FROM Contact WHERE Email != null");
  EXPECT_EQ(count.object()->getValue<int>("totalSize"), 3);
  EXPECT_EQ(count.object()->getArray("records")->size(), 0u);
  EXPECT_EQ(query("SELECT Id FROM Contact OFFSET 2001").errorCode(), "NUMBER_OUTSIDE_VALID_RANGE");
}

TEST_F(QueryTest, ErrorsUseTheRestEnvelope) {
  Reply syntax = query("SELECT Id FROM Contact WHERE");
  EXPECT_EQ(syntax.status, 400);
  EXPECT_EQ(syntax.errorCode(), "MALFORMED_QUERY");
  EXPECT_NE(syntax.body.find("ERROR at Row:1:Column:29"), std::string::npos) << syntax.body;
  EXPECT_NE(syntax.body.find("unexpected token: '<EOF>'"), std::string::npos) << syntax.body;
  EXPECT_EQ(query("SELECT Id FROM Contact WHERE LastName = 'a' AND Email = null OR Id = null")
                .errorCode(),
            "MALFORMED_QUERY");
  EXPECT_EQ(query("SELECT Id FROM Contact WHERE LastName = 'a' OR Email = null AND Id = null")
                .errorCode(),
            "MALFORMED_QUERY");
  EXPECT_EQ(query("SELECT Id, Id FROM Contact").errorCode(), "MALFORMED_QUERY");
  EXPECT_EQ(query("SELECT Id FROM Contact WHERE LastName = 'unterminated").errorCode(),
            "MALFORMED_QUERY");
  EXPECT_EQ(query("SELECT Id FROM Contact WHERE LastName = 'bad \\q escape'").errorCode(),
            "MALFORMED_QUERY");
  Reply field = query("SELECT Id, Bogus__c FROM Contact");
  EXPECT_EQ(field.errorCode(), "INVALID_FIELD");
  EXPECT_NE(field.body.find("No such column 'Bogus__c' on entity 'Contact'"), std::string::npos);
  EXPECT_EQ(query("SELECT Id FROM Contact WHERE SystemModstamp > '2024-01-01'").errorCode(),
            "INVALID_FIELD");
  EXPECT_EQ(query("SELECT Id FROM Contact WHERE LastName = 5").errorCode(), "INVALID_FIELD");
  EXPECT_EQ(query("SELECT Id FROM Contact WHERE Birthdate = 2024-01-01T00:00:00Z").errorCode(),
            "INVALID_FIELD");
  EXPECT_EQ(query("SELECT Id FROM Contact WHERE Id = 'nonsense'").errorCode(),
            "INVALID_QUERY_FILTER_OPERATOR");
  EXPECT_EQ(query("SELECT Id FROM Contact WHERE Description = 'x'").errorCode(), "INVALID_FIELD");
  EXPECT_EQ(query("SELECT Id FROM Widget__c").errorCode(), "INVALID_TYPE");
  // A raw '+' in the URL is a space, so an unencoded offset is malformed, as on the real API.
  Reply plus = api(
      "GET", "/query?q=SELECT+Id+FROM+Contact+WHERE+SystemModstamp+>+2024-01-01T00:00:00+01:00");
  EXPECT_EQ(plus.errorCode(), "MALFORMED_QUERY");
  EXPECT_EQ(api("GET", "/query").errorCode(), "MALFORMED_QUERY");
}

TEST_F(QueryTest, ParentRelationshipFieldsAreNested) {
  std::string account = create("Account", R"({"Name":"Northwind d.o.o."})");
  create("Contact", R"({"LastName":"Novak","AccountId":")" + account + R"("})");
  create("Contact", R"({"LastName":"Solo"})");
  Reply reply = query(
      "SELECT LastName, Account.Name, Account.Id FROM Contact WHERE Account.Name LIKE 'North%' OR "
      "Account.Name = null ORDER BY LastName");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto records = reply.object()->getArray("records");
  ASSERT_EQ(records->size(), 2u);
  auto nested = records->getObject(0)->getObject("Account");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->getValue<std::string>("Name"), "Northwind d.o.o.");
  EXPECT_EQ(nested->getObject("attributes")->getValue<std::string>("type"), "Account");
  EXPECT_TRUE(records->getObject(1)->get("Account").isEmpty());
  EXPECT_EQ(query("SELECT Owner.Bogus FROM Contact").errorCode(), "INVALID_FIELD");
}

TEST_F(QueryTest, QueryAllSeesDeletedAndMergedRecords) {
  seedPeople();
  ASSERT_EQ(api("DELETE", "/sobjects/Contact/" + ids_["novak"]).status, 204);
  EXPECT_EQ(query("SELECT Id FROM Contact").object()->getValue<int>("totalSize"), 3);
  EXPECT_EQ(
      query("SELECT Id FROM Contact WHERE IsDeleted = true").object()->getValue<int>("totalSize"),
      0);
  Reply all = query("SELECT Id, IsDeleted FROM Contact WHERE IsDeleted = true", {}, true);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(column(all, "Id"), std::vector<std::string>{ids_["novak"]});
  // The recycle bin keeps deleted rows 15 days.
  advance(16LL * 24 * 3600 * 1000);
  token_ = passwordToken();
  EXPECT_EQ(query("SELECT Id FROM Contact WHERE IsDeleted = true", {}, true)
                .object()
                ->getValue<int>("totalSize"),
            0);
}

TEST_F(QueryTest, LateCommitHidesFreshWritesUntilTheyCommit) {
  ASSERT_EQ(adminCall("PUT", "/knobs", R"({"lateCommitMs":5000})").status, 200);
  std::string early = create("Contact", R"({"LastName":"Early"})");
  advance(1000);
  // Query right away: the write is stamped but not yet visible.
  EXPECT_EQ(query("SELECT Id FROM Contact").object()->getValue<int>("totalSize"), 0);
  // Direct reads see your own write.
  EXPECT_EQ(api("GET", "/sobjects/Contact/" + early).status, 200);
  advance(4000);
  Reply visible = query("SELECT Id, SystemModstamp FROM Contact");
  ASSERT_EQ(visible.object()->getValue<int>("totalSize"), 1);
  // Its SystemModstamp is older than the moment it became visible: a cursor at "now" skips it.
  EXPECT_EQ(
      visible.object()->getArray("records")->getObject(0)->getValue<std::string>("SystemModstamp"),
      "2026-01-01T00:00:00.000+0000");
  // An update shows the old version until it commits.
  ASSERT_EQ(api("PATCH", "/sobjects/Contact/" + early, R"({"LastName":"Changed"})").status, 204);
  EXPECT_EQ(column(query("SELECT LastName FROM Contact"), "LastName"),
            std::vector<std::string>{"Early"});
  advance(5000);
  EXPECT_EQ(column(query("SELECT LastName FROM Contact"), "LastName"),
            std::vector<std::string>{"Changed"});
}

}  // namespace
}  // namespace ferry::sandbox::salesforce::testing
