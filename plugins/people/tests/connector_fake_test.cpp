// The connector on a scripted HTTP client: the requests it builds and how it copes with answers
// the sandbox never gives (damaged bodies, unexpected shapes).
#include <gtest/gtest.h>

#include "ferry/plugins/people/connector.hpp"
#include "ferry/sdk/testing/fake_host.hpp"

namespace ferry::plugins::people {
namespace {

constexpr const char* kBase = "https://xyz12.api.infobip.com";

class PeopleFakeTest : public ::testing::Test {
 protected:
  PeopleConnector& connect(sdk::Object settings = {}) {
    settings.set("base_url", kBase);
    settings.set("reconcile_interval", 0);
    (void)host_.secrets.put("api_key", "k-123");
    context_ = host_.context(settings, "people");
    auto c = PeopleConnector::create(context_);
    EXPECT_TRUE(c) << c.error().message;
    connector_ = std::move(c).value();
    EXPECT_TRUE(connector_->start());
    return *connector_;
  }
  static std::vector<sdk::WriteOp> oneCreate() {
    sdk::WriteOp op;
    op.fields = sdk::Object{{"externalId", "e1"}, {"lastName", "Horvat"}};
    return {op};
  }

  sdk::testing::FakeHost host_;
  sdk::HostContext context_;
  std::unique_ptr<PeopleConnector> connector_;
};

TEST_F(PeopleFakeTest, UpsertRequestShape) {
  auto& c = connect();
  host_.http.expect("PATCH", std::string(kBase) + "/people/3/persons/upsert")
      .respond(200, R"({"results":[{"id":7,"index":0,"status":"CREATED"}],"errors":[]})");
  auto results = c.write("Lead", oneCreate());
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_EQ((*results)[0].outcome, sdk::WriteResult::Outcome::kCreated);
  EXPECT_EQ((*results)[0].id, "7");
  const auto requests = host_.http.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& sent = requests[0];
  ASSERT_NE(sdk::findHeader(sent.headers, "Authorization"), nullptr);
  EXPECT_EQ(*sdk::findHeader(sent.headers, "Authorization"), "App k-123");
  EXPECT_EQ(sent.bucket, "upsert");
  EXPECT_TRUE(sent.retry.idempotent);
  EXPECT_EQ(sent.body, R"({"persons":[{"externalId":"e1","lastName":"Horvat","type":"LEAD"}]})");
}

TEST_F(PeopleFakeTest, DamagedUpsertAnswersAreRetriableBatchErrors) {
  auto& c = connect();
  host_.http.expect("PATCH", "*/people/3/persons/upsert").respond(200, "<html>proxy</html>");
  host_.http.expect("PATCH", "*/people/3/persons/upsert").respond(207, R"({"results":[]})");
  host_.http.expect("PATCH", "*/people/3/persons/upsert")
      .respond(200, R"({"results":[{"id":7,"index":0,"status":"MERGED"}]})");
  for (int i = 0; i < 2; ++i) {
    auto r = c.write("Customer", oneCreate());
    ASSERT_FALSE(r) << i;
    EXPECT_EQ(r.error().code, sdk::ErrorCode::kMalformedResponse);
    EXPECT_TRUE(r.error().retriable);
  }
  auto odd = c.write("Customer", oneCreate());
  ASSERT_TRUE(odd);
  ASSERT_EQ((*odd)[0].outcome, sdk::WriteResult::Outcome::kRejected);
  EXPECT_EQ((*odd)[0].error->message, "unknown upsert status MERGED");
}

TEST_F(PeopleFakeTest, RequestLevelErrorsKeepPeoplesWords) {
  auto& c = connect();
  host_.http.expect("PATCH", "*/people/3/persons/upsert")
      .respond(
          400,
          R"({"code":"400100","message":"Batch size","details":[{"property":"persons","message":"size must be between 1 and 1000"}]})");
  auto r = c.write("Customer", oneCreate());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, sdk::ErrorCode::kInvalidArgument);
  EXPECT_FALSE(r.error().retriable);
  EXPECT_EQ(
      r.error().message,
      "upsert persons: HTTP 400 400100: Batch size (persons: size must be between 1 and 1000)");
}

TEST_F(PeopleFakeTest, DamagedListsAndMatchesAreErrors) {
  auto& c = connect();
  host_.http.expect("GET", "*/people/2/customAttributes*")
      .respond(200, R"({"customAttributes":[]})")
      .repeatedly();
  host_.http
      .expect("GET",
              "*/people/2/persons?limit=1000&page=1&orderBy=modifiedAt:desc&includeTotalCount=true")
      .respond(200, R"({"persons":"nope"})");
  host_.http
      .expect("GET",
              "*/people/2/persons?limit=1000&page=1&orderBy=modifiedAt:desc&includeTotalCount=true")
      .respond(200, R"({"persons":[{"id":1,"type":"CUSTOMER","modifiedAt":"last tuesday"}]})");
  host_.http.expect("POST", "*/people/2/persons/match").respond(200, R"({"matched":[]})");
  for (int i = 0; i < 2; ++i) {
    auto r = c.read(sdk::ReadRequest{"Customer", "", 100, {}, {}});
    ASSERT_FALSE(r) << i;
    EXPECT_EQ(r.error().code, sdk::ErrorCode::kMalformedResponse) << r.error().message;
  }
  auto m = c.lookup("Customer", {sdk::LookupQuery{{{"externalId", "x"}}}}, {});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message, "match persons: answer has no matches list");
  auto cursor = c.read(sdk::ReadRequest{"Customer", "{broken", 100, {}, {}});
  ASSERT_FALSE(cursor);
  EXPECT_EQ(cursor.error().code, sdk::ErrorCode::kInvalidArgument);
  auto entity = c.read(sdk::ReadRequest{"Contact", "", 100, {}, {}});
  ASSERT_FALSE(entity);
  EXPECT_EQ(entity.error().message, "people has no entity \"Contact\" (Customer, Lead, Company)");
}

TEST_F(PeopleFakeTest, PushesAreRefusedWithoutAConfiguredToken) {
  auto& c = connect();
  sdk::InboundRequest in{
      "POST", "/?token=", {}, R"({"type":"PERSON_CREATED","payload":{"person":{"id":"1"}}})"};
  auto r = c.handlePush(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_TRUE(r->wake.empty());
  EXPECT_TRUE(host_.http.requests().empty());
}

TEST_F(PeopleFakeTest, CreatesWithoutTheWriteKeyAreRejectedBeforeAnyCall) {
  auto& c = connect({{"write_key", "email"}});
  auto r = c.write("Customer", oneCreate());
  ASSERT_TRUE(r);
  ASSERT_EQ((*r)[0].outcome, sdk::WriteResult::Outcome::kRejected);
  EXPECT_EQ((*r)[0].error->message, "a new person needs an email (write_key is email)");
  EXPECT_TRUE(host_.http.requests().empty());
}

TEST_F(PeopleFakeTest, MissingApiKeyFailsStart) {
  context_ = host_.context(sdk::Object{{"base_url", kBase}}, "people");
  auto c = PeopleConnector::create(context_);
  ASSERT_TRUE(c);
  auto s = c.value()->start();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, sdk::ErrorCode::kUnauthenticated);
  EXPECT_FALSE(PeopleConnector::create(host_.context(sdk::Object{}, "people")));
}

}  // namespace
}  // namespace ferry::plugins::people
