// The connector against sdk/testing fakes: scripted HTTP answers shaped like the reference.
#include <gtest/gtest.h>

#include "ferry/plugins/salesforce/connector.hpp"
#include "ferry/plugins/salesforce/cursor.hpp"
#include "ferry/sdk/testing/fake_host.hpp"
#include "test_data.hpp"

namespace ferry::plugins::salesforce {
namespace {

using sdk::ConnectionHealth;
using sdk::ErrorCode;
using sdk::testing::FakeHost;

constexpr const char* kInstance = "https://acme.my.salesforce.com";
constexpr const char* kToken =
    R"({"access_token":"tok-2","instance_url":"https://acme.my.salesforce.com","issued_at":"1709647629000"})";

class ConnectorFakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    (void)host_.secrets.put("client_id", "3MVG9");
    (void)host_.secrets.put("client_secret", "F00");
    (void)host_.secrets.put("refresh_token", "5Aep861");
    (void)host_.secrets.put("access_token", "tok-1");
    (void)host_.secrets.put("instance_url", kInstance);
  }

  std::unique_ptr<SalesforceConnector> make(sdk::Object settings = {}) {
    settings.set("auth_method", "refresh_token");
    // Each connector keeps a reference to its context: give each one its own.
    contexts_.push_back(
        std::make_unique<sdk::HostContext>(host_.context(std::move(settings), "sf")));
    auto c = SalesforceConnector::create(*contexts_.back());
    EXPECT_TRUE(c) << c.error().message;
    EXPECT_TRUE(c.value()->start());
    return std::move(c).value();
  }

  void expectDescribe() {
    host_.http
        .expect("GET", std::string(kInstance) + "/services/data/v60.0/sobjects/Contact/describe")
        .respond(200, testing::readData("describe_contact.json"));
  }

  FakeHost host_;
  std::vector<std::unique_ptr<sdk::HostContext>> contexts_;
};

TEST_F(ConnectorFakeTest, ExpiredSessionRefreshesOnceAndReplays) {
  auto c = make();
  host_.http
      .expect("GET", std::string(kInstance) + "/services/data/v60.0/sobjects/Contact/describe")
      .respond(401,
               R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])");
  host_.http.expect("POST", "https://login.salesforce.com/services/oauth2/token")
      .whenBodyContains("grant_type=refresh_token")
      .respond(200, kToken);
  expectDescribe();
  auto d = c->describeObject("Contact");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_TRUE(host_.http.unmet().empty());
  const auto requests = host_.http.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(*sdk::findHeader(requests[2].headers, "Authorization"), "Bearer tok-2");
  EXPECT_TRUE(requests[1].sensitiveBody);
  EXPECT_EQ(*host_.secrets.get("access_token"), "tok-2");
}

TEST_F(ConnectorFakeTest, SecondInstanceAdoptsTheRefreshedTokenInsteadOfRefreshing) {
  auto a = make();
  auto b = make();  // both start with tok-1 from the shared secret store
  const std::string expired =
      R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])";
  host_.http.expect("GET", "*/sobjects/Contact/describe").respond(401, expired);
  host_.http.expect("POST", "*/services/oauth2/token").respond(200, kToken);
  expectDescribe();
  host_.http.expect("GET", "*/sobjects/Lead/describe").respond(401, expired);
  host_.http.expect("GET", "*/sobjects/Lead/describe")
      .respond(200, testing::readData("describe_contact.json"));
  ASSERT_TRUE(a->describeObject("Contact"));
  ASSERT_TRUE(b->describeObject("Lead"));
  EXPECT_TRUE(host_.http.unmet().empty());
  std::size_t tokenCalls = 0;
  for (const auto& r : host_.http.requests())
    tokenCalls += r.url.find("oauth2/token") != std::string::npos;
  EXPECT_EQ(tokenCalls, 1u);
  EXPECT_EQ(*sdk::findHeader(host_.http.requests().back().headers, "Authorization"),
            "Bearer tok-2");
}

TEST_F(ConnectorFakeTest, TokenWithForgedSignatureIsRefused) {
  (void)host_.secrets.erase("access_token");
  auto c = make();
  host_.http.expect("POST", "*/services/oauth2/token")
      .respond(200, R"({"access_token":"tok-x","instance_url":"https://evil.example.com",
        "id":"https://login.salesforce.com/id/00Dx/005x","issued_at":"1709647629000",
        "signature":"RvVLjjgRTr/nzLtQwTJCJez2siBOKqGUr4s3HE1QI98="})");
  auto d = c->describeObject("Contact");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(d.error().message.find("signature"), std::string::npos);
  EXPECT_EQ(host_.http.requests().size(), 1u);  // nothing sent to the forged instance
  EXPECT_FALSE(host_.secrets.get("access_token"));
}

TEST_F(ConnectorFakeTest, RevokedRefreshTokenNeedsReauthorization) {
  auto c = make();
  host_.http.expect("GET", "*/describe")
      .respond(401,
               R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])");
  host_.http.expect("POST", "*/services/oauth2/token")
      .respond(400,
               R"({"error":"invalid_grant","error_description":"expired access/refresh token"})");
  auto d = c->describeObject("Contact");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kUnauthenticated);
  const auto health = host_.healthReports();
  ASSERT_FALSE(health.empty());
  EXPECT_EQ(health.back().health, ConnectionHealth::kNeedsReauthorization);
  EXPECT_NE(health.back().reason.find("invalid_grant"), std::string::npos);
  // Secrets never leak into errors or logs.
  EXPECT_EQ(d.error().message.find("5Aep861"), std::string::npos);
  EXPECT_FALSE(host_.logger.contains("5Aep861"));
  EXPECT_FALSE(host_.logger.contains("F00"));
}

TEST_F(ConnectorFakeTest, ReadsPagesAndCompletesPass) {
  auto c = make();
  expectDescribe();
  const std::string page1 =
      R"({"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v60.0/query/01g-2",
    "records":[{"attributes":{"type":"Contact"},"Id":"0035g0000000001AAA","Email":"a@x.com","IsDeleted":false,"MasterRecordId":null,"SystemModstamp":"2024-03-05T14:07:09.000+0000"},
               {"attributes":{"type":"Contact"},"Id":"0035g0000000002AAA","Email":null,"IsDeleted":true,"MasterRecordId":"0035g0000000009AAA","SystemModstamp":"2024-03-05T14:07:09.000+0000"}]})";
  const std::string page2 = R"({"totalSize":3,"done":true,
    "records":[{"attributes":{"type":"Contact"},"Id":"0035g0000000003AAA","Email":"c@x.com","IsDeleted":false,"MasterRecordId":null,"SystemModstamp":"2024-03-05T14:07:10.000+0000"}]})";
  host_.http.expect("GET", std::string(kInstance) + "/services/data/v60.0/queryAll?q=*")
      .respond(200, page1, {{"Sforce-Limit-Info", "api-usage=10/15000"}});
  host_.http.expect("GET", std::string(kInstance) + "/services/data/v60.0/query/01g-2")
      .respond(200, page2, {{"Sforce-Limit-Info", "api-usage=11/15000"}});

  sdk::ReadRequest request{"Contact", "", 2000, {"Email"}, {}};
  auto b1 = c->read(request);
  ASSERT_TRUE(b1) << b1.error().message;
  ASSERT_EQ(b1->changes.size(), 2u);
  EXPECT_TRUE(b1->hasMore);
  EXPECT_EQ(b1->changes[0].fields, (sdk::Object{{"Email", "a@x.com"}}));
  EXPECT_EQ(b1->changes[0].modifiedAtMs, 1709647629000);
  EXPECT_EQ(b1->changes[1].op, sdk::Change::Op::kDelete);
  ASSERT_TRUE(b1->changes[1].successor);
  EXPECT_EQ(b1->changes[1].successor->reason, sdk::Successor::Reason::kMerged);
  EXPECT_EQ(b1->changes[1].successor->id, "0035g0000000009AAA");

  const auto sent = host_.http.requests().back();
  EXPECT_NE(sent.url.find("ORDER%20BY%20SystemModstamp%20ASC%2C%20Id%20ASC"), std::string::npos);
  EXPECT_NE(sent.url.find("SystemModstamp%20%3E%3D%201970-01-01T00%3A00%3A00Z"), std::string::npos);
  EXPECT_EQ(*sdk::findHeader(sent.headers, "Sforce-Query-Options"), "batchSize=2000");

  request.cursor = b1->nextCursor;
  auto b2 = c->read(request);
  ASSERT_TRUE(b2) << b2.error().message;
  ASSERT_EQ(b2->changes.size(), 1u);
  EXPECT_FALSE(b2->hasMore);
  auto cursor = decodeCursor(b2->nextCursor);
  ASSERT_TRUE(cursor);
  EXPECT_FALSE(cursor->pass);
  EXPECT_EQ(cursor->mark, (Position{1709647630000, "0035g0000000003AAA"}));
  // The next pass starts overlap (5 min) before the time the previous pass ran.
  EXPECT_EQ(cursor->visibleBeforeMs, host_.clock.nowMs() - 300'000);
  EXPECT_EQ(host_.metrics.value("salesforce_api_usage", "used"), 11);
}

TEST_F(ConnectorFakeTest, BudgetShareStopsNewWork) {
  auto c = make({{"api_budget_percent", 50}});
  host_.http.expect("GET", "*/describe")
      .respond(200, testing::readData("describe_contact.json"),
               {{"Sforce-Limit-Info", "api-usage=7600/15000"}});
  ASSERT_TRUE(c->describeObject("Contact"));
  auto r = c->read(sdk::ReadRequest{"Contact", "", 2000, {"Email"}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kBudgetExhausted);
  EXPECT_TRUE(r.error().retriable);
  EXPECT_EQ(host_.healthReports().back().health, ConnectionHealth::kBudgetExhausted);
  auto w = c->write("Contact", {sdk::WriteOp{}});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kBudgetExhausted);
  EXPECT_EQ(host_.http.requests().size(), 1u);  // nothing else was sent
}

TEST_F(ConnectorFakeTest, DescribeSkipsObjectsTheUserCannotSee) {
  auto c = make();
  host_.http.expect("GET", "*/sobjects/Lead/describe")
      .respond(404,
               R"([{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}])");
  expectDescribe();
  auto account = testing::readData("describe_contact.json");
  account.replace(account.find("\"Contact\""), 9, "\"Account\"");
  host_.http.expect("GET", "*/sobjects/Account/describe").respond(200, account);
  auto entities = c->describe();
  ASSERT_TRUE(entities) << entities.error().message;
  ASSERT_EQ(entities->size(), 2u);
  EXPECT_EQ((*entities)[0].name, "Contact");
  EXPECT_TRUE(host_.logger.contains("describe skips Lead"));
  // Cached: a second describe costs no call.
  const auto sent = host_.http.requests().size();
  host_.http.expect("GET", "*/sobjects/Lead/describe")
      .respond(404,
               R"([{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}])");
  ASSERT_TRUE(c->describe());
  EXPECT_EQ(host_.http.requests().size(), sent + 1);  // only the Lead that failed is asked again
}

TEST_F(ConnectorFakeTest, RequestLimitExceededIsRetriableAndSlowsDown) {
  auto c = make();
  host_.http.expect("GET", "*/describe")
      .respond(
          403,
          R"([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}])");
  auto d = c->describeObject("Contact");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kRateLimited);
  EXPECT_TRUE(d.error().retriable);
  ASSERT_EQ(host_.http.penalties().size(), 1u);
  EXPECT_EQ(host_.http.penalties()[0].first, kApiBucket);
}

TEST_F(ConnectorFakeTest, WritesMapPerRecordResultsAndRetryLocks) {
  auto c = make({{"duplicate_rule_header", "allow_save"}});
  expectDescribe();
  host_.http.expect("POST", std::string(kInstance) + "/services/data/v60.0/composite/sobjects")
      .respond(200, R"([{"id":"0035g0000000001AAA","success":true,"errors":[]},
        {"id":null,"success":false,"errors":[{"statusCode":"UNABLE_TO_LOCK_ROW","message":"unable to obtain exclusive access to this record","fields":[]}]},
        {"id":null,"success":false,"errors":[{"statusCode":"DUPLICATES_DETECTED","message":"Use one of these records?","fields":[],
          "duplicateResult":{"matchResults":[{"matchRecords":[{"record":{"Id":"0035g0000000077AAA"}}]}]}}]}])");
  host_.http.expect("POST", std::string(kInstance) + "/services/data/v60.0/composite/sobjects")
      .respond(200, R"([{"id":"0035g0000000002AAA","success":true,"errors":[]}])");
  std::vector<sdk::WriteOp> ops(3);
  ops[0].fields = {{"LastName", "A"}, {"Email", "a@x.com"}};
  ops[1].fields = {{"LastName", "B"}};
  ops[2].fields = {{"LastName", "C"}, {"Email", "dup@x.com"}};
  auto results = c->write("Contact", ops);
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ((*results)[0].outcome, sdk::WriteResult::Outcome::kCreated);
  EXPECT_EQ((*results)[1].outcome, sdk::WriteResult::Outcome::kCreated);
  EXPECT_EQ((*results)[1].id, "0035g0000000002AAA");
  EXPECT_EQ((*results)[2].outcome, sdk::WriteResult::Outcome::kRejected);
  EXPECT_EQ((*results)[2].error->remoteCode, "DUPLICATES_DETECTED");
  EXPECT_EQ((*results)[2].conflictingId, "0035g0000000077AAA");
  const auto requests = host_.http.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(*sdk::findHeader(requests[1].headers, "Sforce-Duplicate-Rule-Header"),
            "allowSave=true");
  EXPECT_FALSE(requests[1].retry.idempotent);
  EXPECT_NE(requests[1].body.find("\"allOrNone\":false"), std::string::npos);
  EXPECT_NE(requests[2].body.find("\"LastName\":\"B\""), std::string::npos);
  EXPECT_EQ(requests[2].body.find("\"LastName\":\"A\""), std::string::npos);
  EXPECT_EQ(host_.clock.sleeps().size(), 1u);  // one backoff before the lock retry
}

TEST_F(ConnectorFakeTest, FailedCallAfterWrittenRecordsReportsBoth) {
  auto c = make();
  expectDescribe();
  host_.http.expect("POST", std::string(kInstance) + "/services/data/v60.0/composite/sobjects")
      .respond(200, R"([{"id":"0035g0000000001AAA","success":true,"errors":[]}])");
  host_.http.expect("PATCH", std::string(kInstance) + "/services/data/v60.0/composite/sobjects")
      .respond(503, R"([{"errorCode":"SERVER_UNAVAILABLE","message":"busy"}])");
  std::vector<sdk::WriteOp> ops(2);
  ops[0].fields = {{"LastName", "New"}};
  ops[1].kind = sdk::WriteOp::Kind::kUpdate;
  ops[1].id = "0035g0000000002AAA";
  ops[1].fields = {{"LastName", "Changed"}};
  auto results = c->write("Contact", ops);
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_EQ((*results)[0].outcome, sdk::WriteResult::Outcome::kCreated);
  EXPECT_EQ((*results)[1].outcome, sdk::WriteResult::Outcome::kRejected);
  EXPECT_TRUE((*results)[1].error->retriable);
  EXPECT_EQ((*results)[1].error->code, ErrorCode::kUnavailable);

  // Nothing written at all: the whole call's error, so the batch is retried as it is.
  host_.http.expect("PATCH", std::string(kInstance) + "/services/data/v60.0/composite/sobjects")
      .respond(503, R"([{"errorCode":"SERVER_UNAVAILABLE","message":"busy"}])");
  auto failed = c->write("Contact", {ops[1]});
  ASSERT_FALSE(failed);
  EXPECT_TRUE(failed.error().retriable);
}

TEST_F(ConnectorFakeTest, UnknownFieldsAndBadIdsAreRejectedLocally) {
  auto c = make();
  expectDescribe();
  std::vector<sdk::WriteOp> ops(2);
  ops[0].fields = {{"LastName", "A"}, {"Nope__c", 1}};
  ops[1].kind = sdk::WriteOp::Kind::kUpdate;
  ops[1].id = "003' OR 1=1";
  auto results = c->write("Contact", ops);
  ASSERT_TRUE(results);
  EXPECT_EQ((*results)[0].outcome, sdk::WriteResult::Outcome::kRejected);
  EXPECT_EQ((*results)[0].field, "Nope__c");
  EXPECT_EQ((*results)[1].outcome, sdk::WriteResult::Outcome::kRejected);
  EXPECT_EQ(host_.http.requests().size(), 1u);  // only the describe
}

TEST_F(ConnectorFakeTest, OutboundMessageWakesEntities) {
  auto c = make();
  sdk::InboundRequest in{
      "POST", "/", {{"Content-Type", "text/xml"}}, testing::readData("outbound_message.xml")};
  auto r = c->handlePush(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->wake, (std::vector<std::string>{"Contact", "Lead"}));
  EXPECT_NE(r->body.find("<Ack>true</Ack>"), std::string::npos);
  in.body = "<broken";
  r = c->handlePush(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(r->wake.empty());
  auto other = make({{"outbound_organization_id", "00D000000000001"}});
  in.body = testing::readData("outbound_message.xml");
  EXPECT_EQ(other->handlePush(in)->status, 403);
}

}  // namespace
}  // namespace ferry::plugins::salesforce
