#include "test_support.hpp"

namespace ferry::sandbox::salesforce::testing {
namespace {

class CompositeTest : public SalesforceTest {
 protected:
  int liveContacts() {
    return query("SELECT COUNT() FROM Contact").object()->getValue<int>("totalSize");
  }
};

TEST_F(CompositeTest, CreateReportsPerRecordResultsInOrder) {
  Reply reply = api("POST", "/composite/sobjects", R"({"allOrNone":false,"records":[
      {"attributes":{"type":"Contact"},"LastName":"Ok"},
      {"attributes":{"type":"Contact"},"FirstName":"NoLastName"},
      {"attributes":{"type":"Lead"},"LastName":"L","Company":"C"},
      {"LastName":"NoType"}]})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto results = reply.array();
  ASSERT_EQ(results->size(), 4u);
  EXPECT_TRUE(results->getObject(0)->getValue<bool>("success"));
  EXPECT_EQ(results->getObject(0)->getValue<std::string>("id").substr(0, 3), "003");
  auto failed = results->getObject(1);
  EXPECT_FALSE(failed->getValue<bool>("success"));
  EXPECT_TRUE(failed->get("id").isEmpty());
  auto error = failed->getArray("errors")->getObject(0);
  EXPECT_EQ(error->getValue<std::string>("statusCode"),
            "REQUIRED_FIELD_MISSING");  // statusCode, not errorCode
  EXPECT_FALSE(error->has("errorCode"));
  EXPECT_EQ(results->getObject(2)->getValue<std::string>("id").substr(0, 3), "00Q");
  EXPECT_EQ(
      results->getObject(3)->getArray("errors")->getObject(0)->getValue<std::string>("statusCode"),
      "INVALID_TYPE");
  EXPECT_FALSE(results->getObject(0)->has("created"));
  EXPECT_EQ(liveContacts(), 1);
}

TEST_F(CompositeTest, AllOrNoneRollsEverythingBack) {
  std::string existing = create("Contact", R"({"LastName":"Before"})");
  Reply reply = api("POST", "/composite/sobjects", R"({"allOrNone":true,"records":[
      {"attributes":{"type":"Contact"},"LastName":"One"},
      {"attributes":{"type":"Contact"},"LastName":"Two","Email":"bad@"}]})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto results = reply.array();
  EXPECT_EQ(
      results->getObject(0)->getArray("errors")->getObject(0)->getValue<std::string>("statusCode"),
      "ALL_OR_NONE_OPERATION_ROLLED_BACK");
  EXPECT_EQ(
      results->getObject(1)->getArray("errors")->getObject(0)->getValue<std::string>("statusCode"),
      "INVALID_EMAIL_ADDRESS");
  EXPECT_EQ(liveContacts(), 1);
  // Updates roll back too, including their stamps.
  std::string stampBefore =
      api("GET", "/sobjects/Contact/" + existing).object()->getValue<std::string>("SystemModstamp");
  advance(5000);
  Reply update = api("PATCH", "/composite/sobjects",
                     R"({"allOrNone":true,"records":[
      {"attributes":{"type":"Contact"},"id":")" +
                         existing + R"(","LastName":"Changed"},
      {"attributes":{"type":"Contact"},"id":"003000000000000AAA","LastName":"Ghost"}]})");
  ASSERT_EQ(update.status, 200);
  auto record = api("GET", "/sobjects/Contact/" + existing).object();
  EXPECT_EQ(record->getValue<std::string>("LastName"), "Before");
  EXPECT_EQ(record->getValue<std::string>("SystemModstamp"), stampBefore);
}

TEST_F(CompositeTest, UpdateAcceptsLowercaseIdAndTypeFromThePrefix) {
  std::string a = create("Contact", R"({"LastName":"A"})");
  std::string b = create("Contact", R"({"LastName":"B"})");
  Reply reply = api("PATCH", "/composite/sobjects", R"({"records":[
      {"attributes":{"type":"Contact"},"id":")" + a + R"(","Title":"CEO"},
      {"Id":")" + b + R"(","Title":"CTO"},
      {"attributes":{"type":"Contact"},"Title":"no id"}]})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto results = reply.array();
  EXPECT_TRUE(results->getObject(0)->getValue<bool>("success"));
  EXPECT_TRUE(results->getObject(1)->getValue<bool>("success"));
  EXPECT_EQ(
      results->getObject(2)->getArray("errors")->getObject(0)->getValue<std::string>("statusCode"),
      "MISSING_ARGUMENT");
  EXPECT_EQ(api("GET", "/sobjects/Contact/" + a).object()->getValue<std::string>("Title"), "CEO");
  EXPECT_EQ(api("GET", "/sobjects/Contact/" + b).object()->getValue<std::string>("Title"), "CTO");
}

TEST_F(CompositeTest, DeleteWithPartialFailure) {
  std::string a = create("Contact", R"({"LastName":"A"})");
  Reply reply =
      api("DELETE", "/composite/sobjects?ids=" + a + ",003000000000000AAA&allOrNone=false");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto results = reply.array();
  EXPECT_TRUE(results->getObject(0)->getValue<bool>("success"));
  EXPECT_EQ(results->getObject(1)->getValue<std::string>("id"), "003000000000000AAA");
  EXPECT_FALSE(results->getObject(1)->getValue<bool>("success"));
  Reply twice = api("DELETE", "/composite/sobjects?ids=" + a);
  EXPECT_EQ(twice.array()->getObject(0)->getArray("errors")->getObject(0)->getValue<std::string>(
                "statusCode"),
            "ENTITY_IS_DELETED");
}

TEST_F(CompositeTest, UpsertByExternalIdReportsCreated) {
  create("Contact", R"({"LastName":"Existing","Ferry_External_Id__c":"ib-1"})");
  Reply reply = api("PATCH", "/composite/sobjects/Contact/Ferry_External_Id__c",
                    R"({"allOrNone":false,"records":[
      {"attributes":{"type":"Contact"},"Ferry_External_Id__c":"ib-1","LastName":"Updated"},
      {"attributes":{"type":"Contact"},"Ferry_External_Id__c":"ib-2","LastName":"New"},
      {"attributes":{"type":"Contact"},"Ferry_External_Id__c":"ib-3","LastName":"Twin A"},
      {"attributes":{"type":"Contact"},"Ferry_External_Id__c":"IB-3","LastName":"Twin B"},
      {"attributes":{"type":"Contact"},"LastName":"No key"}]})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto results = reply.array();
  EXPECT_FALSE(results->getObject(0)->getValue<bool>("created"));
  EXPECT_TRUE(results->getObject(0)->getValue<bool>("success"));
  EXPECT_TRUE(results->getObject(1)->getValue<bool>("created"));
  EXPECT_EQ(
      results->getObject(2)->getArray("errors")->getObject(0)->getValue<std::string>("statusCode"),
      "DUPLICATE_EXTERNAL_ID");
  EXPECT_EQ(
      results->getObject(3)->getArray("errors")->getObject(0)->getValue<std::string>("statusCode"),
      "DUPLICATE_EXTERNAL_ID");
  EXPECT_EQ(
      results->getObject(4)->getArray("errors")->getObject(0)->getValue<std::string>("statusCode"),
      "MISSING_ARGUMENT");
  EXPECT_EQ(column(query("SELECT LastName FROM Contact ORDER BY LastName"), "LastName"),
            (std::vector<std::string>{"New", "Updated"}));
  EXPECT_EQ(
      api("PATCH", "/composite/sobjects/Contact/LastName", R"({"records":[{"LastName":"x"}]})")
          .status,
      404);
}

TEST_F(CompositeTest, LimitsAndMalformedBodies) {
  std::string records;
  for (int i = 0; i < 201; ++i)
    records += std::string(i ? "," : "") + R"({"attributes":{"type":"Contact"},"LastName":"x"})";
  Reply tooMany = api("POST", "/composite/sobjects", R"({"records":[)" + records + "]}");
  EXPECT_EQ(tooMany.status, 400);
  EXPECT_EQ(tooMany.errorCode(), "EXCEEDED_ID_LIMIT");
  EXPECT_EQ(liveContacts(), 0);
  EXPECT_EQ(api("POST", "/composite/sobjects", "{\"records\":[").errorCode(), "JSON_PARSER_ERROR");
  EXPECT_EQ(api("POST", "/composite/sobjects", R"({"records":{}})").errorCode(),
            "JSON_PARSER_ERROR");
  EXPECT_EQ(api("POST", "/composite/sobjects", R"({"records":[1]})").errorCode(),
            "JSON_PARSER_ERROR");
  EXPECT_EQ(
      api("POST", "/composite/sobjects", R"({"allOrNone":"maybe","records":[{}]})").errorCode(),
      "JSON_PARSER_ERROR");
}

TEST_F(CompositeTest, RetrieveByIds) {
  std::string a = create("Contact", R"({"LastName":"A","Email":"a@example.com"})");
  Reply reply =
      api("GET", "/composite/sobjects/Contact?ids=" + a + ",003000000000000AAA&fields=Id,Email");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto results = reply.array();
  EXPECT_EQ(results->getObject(0)->getValue<std::string>("Email"), "a@example.com");
  EXPECT_FALSE(results->getObject(0)->has("LastName"));
  EXPECT_TRUE(results->get(1).isEmpty());
  Reply viaPost = api("POST", "/composite/sobjects/Contact",
                      R"({"ids":[")" + a + R"("],"fields":["LastName"]})");
  EXPECT_EQ(viaPost.array()->getObject(0)->getValue<std::string>("LastName"), "A");
}

}  // namespace
}  // namespace ferry::sandbox::salesforce::testing
