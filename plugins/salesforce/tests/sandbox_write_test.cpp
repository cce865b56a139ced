// Lookups, Collections writes and API limits against the sandbox.
#include "sandbox_fixture.hpp"

namespace ferry::plugins::salesforce::testing {
namespace {

using Outcome = sdk::WriteResult::Outcome;
using Kind = sdk::WriteOp::Kind;
using sdk::ErrorCode;

class SandboxWriteTest : public SandboxTest {
 protected:
  static sdk::WriteOp create(sdk::Object fields, std::string key = {}) {
    sdk::WriteOp op;
    op.kind = Kind::kCreate;
    op.fields = std::move(fields);
    op.idempotencyKey = std::move(key);
    return op;
  }
};

TEST_F(SandboxWriteTest, PartialFailureInACollection) {
  auto c = connect();
  std::vector<sdk::WriteOp> ops{
      create({{"LastName", "Novak"}, {"Email", "m.novak@example.com"}}),
      create({{"FirstName", "No last name"}}),
      create({{"LastName", "Bad"}, {"Email", "not-an-email"}}),
      create({{"LastName", std::string(81, 'x')}}),
      create({{"LastName", "Horvat"}, {"Birthdate", sdk::Date{1990, 5, 17}}}),
  };
  auto results = c->write("Contact", ops);
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_EQ(results->size(), 5u);
  EXPECT_EQ((*results)[0].outcome, Outcome::kCreated);
  EXPECT_EQ((*results)[0].id.substr(0, 3), "003");
  EXPECT_EQ((*results)[1].outcome, Outcome::kRejected);
  EXPECT_EQ((*results)[1].error->remoteCode, "REQUIRED_FIELD_MISSING");
  EXPECT_EQ((*results)[1].field, "LastName");
  EXPECT_FALSE((*results)[1].error->retriable);
  EXPECT_EQ((*results)[2].error->remoteCode, "INVALID_EMAIL_ADDRESS");
  EXPECT_EQ((*results)[3].error->remoteCode, "STRING_TOO_LONG");
  EXPECT_EQ((*results)[4].outcome, Outcome::kCreated);
  EXPECT_EQ(calls("POST /services/data/vXX.X/composite/sobjects"), 1u);
}

TEST_F(SandboxWriteTest, UpdatesSendOnlyChangedFieldsAndDeletes) {
  auto c = connect();
  const std::string id = createRecord("Contact", {{"LastName", "Old"}, {"Title", "Keep"}});
  const std::string doomed = createRecord("Contact", {{"LastName", "Doomed"}});
  sdk::WriteOp update;
  update.kind = Kind::kUpdate;
  update.id = id;
  update.fields = {{"LastName", "New"}, {"Title", "Stale value"}};
  update.changed = {"LastName"};
  sdk::WriteOp remove;
  remove.kind = Kind::kDelete;
  remove.id = doomed;
  sdk::WriteOp removeAgain = remove;
  auto results = c->write("Contact", {update, remove});
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_EQ((*results)[0].outcome, Outcome::kUpdated);
  EXPECT_EQ((*results)[1].outcome, Outcome::kDeleted);
  auto found =
      c->lookup("Contact", {sdk::LookupQuery{{{"Id", sdk::Value(id)}}}}, {"LastName", "Title"});
  ASSERT_TRUE(found);
  ASSERT_EQ((*found)[0].size(), 1u);
  EXPECT_EQ((*found)[0][0].fields.find("LastName")->asString(), "New");
  EXPECT_EQ((*found)[0][0].fields.find("Title")->asString(), "Keep");
  // Deleting what is already deleted leaves the desired state: reported as deleted.
  auto again = c->write("Contact", {removeAgain});
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)[0].outcome, Outcome::kDeleted);
}

TEST_F(SandboxWriteTest, UpsertByExternalIdIsIdempotent) {
  auto c = connect({{"upsert_external_id_field", "Ferry_External_Id__c"}});
  std::vector<sdk::WriteOp> ops{create({{"LastName", "A"}}, "src-1"),
                                create({{"LastName", "B"}}, "src-2")};
  auto first = c->write("Contact", ops);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ((*first)[0].outcome, Outcome::kCreated);
  // A replayed batch (crash between write and commit) updates instead of duplicating.
  auto replay = c->write("Contact", ops);
  ASSERT_TRUE(replay);
  EXPECT_EQ((*replay)[0].outcome, Outcome::kUpdated);
  EXPECT_EQ((*replay)[0].id, (*first)[0].id);
  auto dump = admin("GET", "dump?object=Contact");
  EXPECT_EQ(dump.toJson().find("src-1"), dump.toJson().rfind("src-1"));  // one record only
  EXPECT_EQ(calls("PATCH /services/data/vXX.X/composite/sobjects"), 2u);
}

TEST_F(SandboxWriteTest, DuplicateRuleAndLockedRows) {
  auto c = connect();
  createRecord("Contact", {{"LastName", "Existing"}, {"Email", "dup@example.com"}});
  knobs({{"duplicateRule", true}, {"unableToLockRowNext", 1}});
  auto results =
      c->write("Contact", {create({{"LastName", "Fresh"}, {"Email", "fresh@example.com"}}),
                           create({{"LastName", "Copy"}, {"Email", "DUP@example.com"}})});
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_EQ((*results)[0].outcome, Outcome::kCreated) << "locked row retried";
  EXPECT_EQ((*results)[1].outcome, Outcome::kRejected);
  EXPECT_EQ((*results)[1].error->remoteCode, "DUPLICATES_DETECTED");
  EXPECT_EQ((*results)[1].conflictingId.substr(0, 3), "003");
  EXPECT_FALSE(host_.clock.sleeps().empty());  // backed off before the retry
}

TEST_F(SandboxWriteTest, BatchedLookupsMatchEmailsCaseInsensitively) {
  const std::string a = createRecord("Contact", {{"LastName", "A"}, {"Email", "Anna@Example.com"}});
  const std::string b =
      createRecord("Contact", {{"LastName", "B"}, {"MobilePhone", "+385911234567"}});
  createRecord("Contact", {{"LastName", "C1"}, {"Email", "twin@example.com"}});
  createRecord("Contact", {{"LastName", "C2"}, {"Email", "twin@example.com"}});
  auto c = connect({{"lookup_max_url_chars", 2000}});
  std::vector<sdk::LookupQuery> queries;
  queries.push_back({{{"Email", sdk::Value("anna@example.COM")}}});
  queries.push_back({{{"Email", sdk::Value("nobody@example.com")},
                      {"MobilePhone", sdk::Value("+385911234567")}}});
  queries.push_back({{{"Email", sdk::Value("twin@example.com")}}});
  queries.push_back({{{"Email", sdk::Value("o'hara@example.com")}}});
  for (int i = 0; i < 150; ++i) {
    queries.push_back({{{"Email", sdk::Value("filler" + std::to_string(i) + "@example.com")}}});
  }
  auto found = c->lookup("Contact", queries, {"LastName", "Email"});
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->size(), queries.size());
  ASSERT_EQ((*found)[0].size(), 1u);
  EXPECT_EQ((*found)[0][0].id, a);
  EXPECT_GT((*found)[0][0].modifiedAtMs, 0);
  ASSERT_EQ((*found)[1].size(), 1u);
  EXPECT_EQ((*found)[1][0].id, b);
  EXPECT_EQ((*found)[2].size(), 2u);  // ambiguous: both candidates, the engine decides
  EXPECT_TRUE((*found)[3].empty());
  EXPECT_GT(calls("GET /services/data/vXX.X/query"), 1u);  // split to respect the URL budget
}

TEST_F(SandboxWriteTest, BudgetShareAndDailyLimit) {
  auto c = connect({{"api_budget_percent", 50}});
  knobs({{"dailyApiLimit", 1000}, {"apiUsage", 600}});
  ASSERT_TRUE(c->describeObject("Contact"));
  auto r = c->read(sdk::ReadRequest{"Contact", "", 2000, {"Email"}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kBudgetExhausted);
  EXPECT_EQ(host_.healthReports().back().health, sdk::ConnectionHealth::kBudgetExhausted);
  EXPECT_NE(host_.healthReports().back().reason.find("50%"), std::string::npos);
  EXPECT_EQ(host_.metrics.value("salesforce_api_usage", "max"), 1000);

  // The org's own limit: REQUEST_LIMIT_EXCEEDED is a retriable rate limit, nothing dropped.
  auto all = connect({{"api_budget_percent", 100}});
  knobs({{"apiUsage", 1000}});
  auto w = all->write("Contact", {create({{"LastName", "X"}})});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kRateLimited);
  EXPECT_TRUE(w.error().retriable);
  EXPECT_EQ(w.error().remoteCode, "REQUEST_LIMIT_EXCEEDED");

  // Usage falls (rolling window): after the probe interval work resumes.
  knobs({{"apiUsage", 10}});
  host_.clock.advance(Session::kBudgetProbeInterval);
  auto again = c->read(sdk::ReadRequest{"Contact", "", 2000, {"Email"}, {}});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(host_.healthReports().back().health, sdk::ConnectionHealth::kOk);
}

}  // namespace
}  // namespace ferry::plugins::salesforce::testing
