// Incremental reads against the sandbox: paging, equal timestamps at page edges, late commits,
// deletes, merges, lead conversion, filters, bulk loads, malformed answers.
#include <algorithm>
#include <map>

#include "ferry/plugins/salesforce/cursor.hpp"
#include "sandbox_fixture.hpp"

namespace ferry::plugins::salesforce::testing {
namespace {

using Op = sdk::Change::Op;

class SandboxReadTest : public SandboxTest {};

TEST_F(SandboxReadTest, PagesAcrossManyPagesWithEqualTimestamps) {
  // The clock does not move while seeding: all 1100 rows share one SystemModstamp, so every
  // page edge falls inside a run of equal timestamps.
  admin("POST", "seed", R"({"Contact":1100})");
  auto c = connect({{"page_size", 200}});
  auto pass = readAll(*c, "Contact", "", {"Email", "LastName"}, 200);
  EXPECT_GE(pass.reads, 6);
  const auto seen = ids(pass.changes);
  EXPECT_EQ(seen.size(), 1100u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 1100u);
  for (std::size_t i = 1; i < pass.changes.size(); ++i) {
    EXPECT_LE(pass.changes[i - 1].modifiedAtMs, pass.changes[i].modifiedAtMs);
  }
  EXPECT_TRUE(pass.changes[0].fields.contains("Email"));
  EXPECT_TRUE(pass.changes[0].fields.contains("LastName"));
  EXPECT_FALSE(pass.changes[0].fields.contains("IsDeleted"));  // only what was asked for
}

TEST_F(SandboxReadTest, SmallLimitsResumeInsideEqualTimestamps) {
  admin("POST", "seed", R"({"Contact":450})");
  auto c = connect();
  // limit below the minimum batch size: pages are cut and the query restarts mid-second.
  auto pass = readAll(*c, "Contact", "", {"Email"}, 70);
  const auto seen = ids(pass.changes);
  EXPECT_EQ(seen.size(), 450u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 450u);
  // The page is fetched once; later reads are served from the rows it left over.
  EXPECT_EQ(calls("GET /services/data/vXX.X/queryAll"), 1u);
}

TEST_F(SandboxReadTest, LateCommittedRowIsNotMissedAndIdleStopsRepeats) {
  auto c = connect();
  auto initial = readAll(*c, "Contact", "");
  EXPECT_TRUE(initial.changes.empty());

  knobs({{"lateCommitMs", 20'000}});
  const std::string late = createRecord("Contact", {{"LastName", "Late"}, {"Email", "late@x.com"}});
  knobs({{"lateCommitMs", 0}});
  host_.clock.advance(std::chrono::seconds(3));
  const std::string early =
      createRecord("Contact", {{"LastName", "Early"}, {"Email", "early@x.com"}});

  auto first = readAll(*c, "Contact", initial.cursor);
  EXPECT_EQ(ids(first.changes), (std::multiset<std::string>{early}));  // `late` not visible yet

  host_.clock.advance(std::chrono::seconds(30));  // the late transaction commits
  auto second = readAll(*c, "Contact", first.cursor);
  EXPECT_EQ(ids(second.changes).count(late), 1u) << "late-committed row missed";

  // Once rows are older than the overlap window they are not re-emitted: idle polls are empty.
  host_.clock.advance(std::chrono::minutes(6));
  auto third = readAll(*c, "Contact", second.cursor);
  host_.clock.advance(std::chrono::seconds(10));
  auto fourth = readAll(*c, "Contact", third.cursor);
  EXPECT_TRUE(fourth.changes.empty()) << fourth.changes.size() << " repeats";
  EXPECT_EQ(fourth.reads, 1);  // one query per idle poll
}

TEST_F(SandboxReadTest, UpdatesAfterAPassAreRead) {
  auto c = connect();
  const std::string id = createRecord("Contact", {{"LastName", "One"}});
  auto first = readAll(*c, "Contact", "");
  ASSERT_EQ(first.changes.size(), 1u);
  host_.clock.advance(std::chrono::minutes(10));
  admin("PATCH", "records/Contact/" + id, R"({"Email":"new@x.com"})");
  auto second = readAll(*c, "Contact", first.cursor);
  ASSERT_EQ(second.changes.size(), 1u);
  EXPECT_EQ(second.changes[0].fields.find("Email")->asString(), "new@x.com");
}

TEST_F(SandboxReadTest, DeletesMergesAndLeadConversion) {
  auto c = connect();
  const std::string gone = createRecord("Contact", {{"LastName", "Gone"}});
  const std::string master = createRecord("Contact", {{"LastName", "Master"}});
  const std::string loser = createRecord("Contact", {{"LastName", "Loser"}});
  const std::string lead = createRecord(
      "Lead", {{"LastName", "Prospect"}, {"Company", "Acme"}, {"Email", "p@acme.com"}});
  auto contacts = readAll(*c, "Contact", "");
  auto leads = readAll(*c, "Lead", "", {"Email", "Company"});
  ASSERT_EQ(contacts.changes.size(), 3u);

  host_.clock.advance(std::chrono::minutes(10));
  admin("DELETE", "records/Contact/" + gone);
  admin(
      "POST", "merge",
      sdk::Value(sdk::Object{{"masterId", master}, {"duplicateIds", sdk::List{sdk::Value(loser)}}})
          .toJson());
  auto converted =
      admin("POST", "convert-lead", sdk::Value(sdk::Object{{"leadId", lead}}).toJson());
  const std::string contactId = converted.asObject().find("contactId")->asString();

  auto changes = readAll(*c, "Contact", contacts.cursor);
  std::map<std::string, sdk::Change> byId;
  for (auto& ch : changes.changes) byId[ch.id] = ch;
  ASSERT_TRUE(byId.count(gone));
  EXPECT_EQ(byId[gone].op, Op::kDelete);
  EXPECT_FALSE(byId[gone].successor);
  ASSERT_TRUE(byId.count(loser));
  EXPECT_EQ(byId[loser].op, Op::kDelete);
  ASSERT_TRUE(byId[loser].successor);
  EXPECT_EQ(byId[loser].successor->reason, sdk::Successor::Reason::kMerged);
  EXPECT_EQ(byId[loser].successor->id.substr(0, 15), master.substr(0, 15));
  EXPECT_TRUE(byId.count(contactId)) << "the conversion's new Contact is a change too";

  auto leadChanges = readAll(*c, "Lead", leads.cursor, {"Email", "Company"});
  ASSERT_EQ(leadChanges.changes.size(), 1u);
  const auto& lc = leadChanges.changes[0];
  EXPECT_EQ(lc.id, lead);
  ASSERT_TRUE(lc.successor);
  EXPECT_EQ(lc.successor->reason, sdk::Successor::Reason::kConverted);
  EXPECT_EQ(lc.successor->entity, "Contact");
  EXPECT_EQ(lc.successor->id, contactId);
}

TEST_F(SandboxReadTest, FilterIsPushedDownAndQuoted) {
  createRecord("Lead", {{"LastName", "A"}, {"Company", "O'Brien & Sons"}, {"LeadSource", "Web"}});
  createRecord("Lead", {{"LastName", "B"}, {"Company", "Other"}, {"LeadSource", "Web"}});
  createRecord("Lead", {{"LastName", "C"}, {"Company", "O'Brien & Sons"}, {"LeadSource", "Other"}});
  auto c = connect();
  using COp = sdk::Condition::Op;
  auto pass =
      readAll(*c, "Lead", "", {"Company", "LastName"}, 2000,
              {{"Company", COp::kEq, {sdk::Value("O'Brien & Sons")}},
               {"LeadSource", COp::kIn, {sdk::Value("Web"), sdk::Value("x') OR (Id != '")}}});
  ASSERT_EQ(pass.changes.size(), 1u);
  EXPECT_EQ(pass.changes[0].fields.find("LastName")->asString(), "A");
  auto bad = c->read(sdk::ReadRequest{"Lead", "", 2000, {"Company) FROM User --"}, {}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, sdk::ErrorCode::kInvalidArgument);
}

TEST_F(SandboxReadTest, LargePassSwitchesToBulkApi) {
  admin("POST", "seed", R"({"Contact":2600})");
  auto c = connect({{"bulk_threshold", 1000}, {"bulk_chunk_size", 1000}, {"page_size", 500}});
  auto pass = readAll(*c, "Contact", "", {"Email", "LastName", "Account.Name"}, 500);
  const auto seen = ids(pass.changes);
  EXPECT_EQ(seen.size(), 2600u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 2600u);
  EXPECT_EQ(calls("POST /services/data/vXX.X/jobs/query"), 1u);
  EXPECT_GE(calls("GET /services/data/vXX.X/jobs/query"), 3u);  // status + 3 result chunks
  // Relationship fields come through the CSV too.
  std::size_t withAccount = 0;
  for (const auto& ch : pass.changes) {
    if (const auto* name = sdk::findPath(ch.fields, "Account.Name"); name && name->isString()) {
      ++withAccount;
    }
  }
  EXPECT_EQ(withAccount, 0u);  // seeded without accounts: present but null
  EXPECT_TRUE(pass.changes.back().fields.contains("Account"));
  // Afterwards: incremental REST again, nothing repeated once the window has passed.
  host_.clock.advance(std::chrono::minutes(6));
  auto next = readAll(*c, "Contact", pass.cursor);
  host_.clock.advance(std::chrono::seconds(10));
  auto idle = readAll(*c, "Contact", next.cursor);
  EXPECT_TRUE(idle.changes.empty());
}

// Wraps the real client and damages chosen responses, as a flaky proxy would.
class DamagingClient final : public sdk::HttpClient {
 public:
  explicit DamagingClient(sdk::HttpClient& inner) : inner_(inner) {}
  sdk::Result<sdk::HttpResponse> send(const sdk::HttpRequest& request) override {
    auto response = inner_.send(request);
    if (response && damageNext_ > 0 && request.url.find("/query") != std::string::npos) {
      --damageNext_;
      response->body = mode_ == 0 ? response->body.substr(0, response->body.size() / 2)
                                  : std::string("<html>502 Bad Gateway</html>");
    }
    return response;
  }
  void defineBucket(const sdk::RateBucket& b) override { inner_.defineBucket(b); }
  void penalize(const std::string& b, std::chrono::milliseconds p) override {
    inner_.penalize(b, p);
  }
  int damageNext_ = 0;
  int mode_ = 0;

 private:
  sdk::HttpClient& inner_;
};

TEST_F(SandboxReadTest, MalformedAndTruncatedAnswersAreClearErrors) {
  admin("POST", "seed", R"({"Contact":300})");
  DamagingClient damaging(*http_);
  auto c = connect({{"page_size", 200}});
  contexts_.back()->http = &damaging;
  auto first = c->read(sdk::ReadRequest{"Contact", "", 200, {"Email"}, {}});
  ASSERT_TRUE(first) << first.error().message;
  for (int mode : {0, 1}) {
    damaging.damageNext_ = 1;
    damaging.mode_ = mode;
    auto broken = c->read(sdk::ReadRequest{"Contact", first->nextCursor, 200, {"Email"}, {}});
    ASSERT_FALSE(broken);
    EXPECT_EQ(broken.error().code, sdk::ErrorCode::kMalformedResponse);
    EXPECT_TRUE(broken.error().retriable);
    EXPECT_NE(broken.error().message.find("query Contact"), std::string::npos);
  }
  // The cursor was not advanced: the retry reads the rest.
  auto rest = readAll(*c, "Contact", first->nextCursor, {"Email"}, 200);
  EXPECT_EQ(first->changes.size() + rest.changes.size(), 300u);
}

TEST_F(SandboxReadTest, ExpiredQueryCursorRestartsFromLastRow) {
  admin("POST", "seed", R"({"Contact":500})");
  auto c = connect({{"page_size", 200}});
  auto first = c->read(sdk::ReadRequest{"Contact", "", 200, {"Email"}, {}});
  ASSERT_TRUE(first);
  auto cursor = decodeCursor(first->nextCursor);
  ASSERT_TRUE(cursor && cursor->pass);
  cursor->pass->nextRecordsUrl = "/services/data/v60.0/query/01gXXXXXXXXXXXXXXX-200";
  auto rest = readAll(*c, "Contact", encodeCursor(*cursor), {"Email"}, 200);
  auto all = ids(first->changes);
  for (const auto& id : ids(rest.changes)) all.insert(id);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 500u);
  EXPECT_EQ(all.size(), 500u);
}

// What a pass reports as left: the query's totalSize minus the rows consumed, read by read.
TEST_F(SandboxReadTest, RestPassEstimatesWhatIsLeftFromTotalSize) {
  admin("POST", "seed", R"({"Contact":450})");
  auto c = connect({{"page_size", 200}});
  // Whole pages, then pages served in pieces; each an initial load from the empty cursor.
  for (const std::size_t limit : {200, 70}) {
    std::string cursor;
    std::size_t emitted = 0;
    std::vector<std::uint64_t> left;
    for (int guard = 0; guard < 100; ++guard) {
      auto batch = c->read(sdk::ReadRequest{"Contact", cursor, limit, {"Email"}, {}});
      ASSERT_TRUE(batch) << batch.error().message;
      emitted += batch->changes.size();
      ASSERT_TRUE(batch->remaining.has_value()) << "after " << emitted;
      EXPECT_EQ(*batch->remaining, 450u - emitted) << "limit " << limit;
      left.push_back(*batch->remaining);
      cursor = batch->nextCursor;
      if (!batch->hasMore) break;
    }
    EXPECT_EQ(emitted, 450u);
    EXPECT_EQ(left.back(), 0u);
    EXPECT_TRUE(std::is_sorted(left.rbegin(), left.rend())) << "limit " << limit;
  }
}

TEST_F(SandboxReadTest, ReissuedQueryCountsAgainstItsOwnTotal) {
  admin("POST", "seed", R"({"Contact":500})");  // one shared SystemModstamp
  auto c = connect({{"page_size", 200}});
  auto first = c->read(sdk::ReadRequest{"Contact", "", 200, {"Email"}, {}});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->remaining, 300u);
  auto cursor = decodeCursor(first->nextCursor);
  ASSERT_TRUE(cursor && cursor->pass);
  cursor->pass->nextRecordsUrl = "/services/data/v60.0/query/01gXXXXXXXXXXXXXXX-200";
  // The expired locator makes the query run again from the last row's second: a new total of
  // 500, and its first page holds the 200 rows already read (skipped, yet consumed).
  auto second = c->read(sdk::ReadRequest{"Contact", encodeCursor(*cursor), 200, {"Email"}, {}});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->changes.empty());
  EXPECT_EQ(second->remaining, 300u);
  auto third = c->read(sdk::ReadRequest{"Contact", second->nextCursor, 200, {"Email"}, {}});
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_EQ(third->changes.size(), 200u);
  EXPECT_EQ(third->remaining, 100u);
}

TEST_F(SandboxReadTest, BulkContinuationKeepsCountingTheRestQuerysTotal) {
  admin("POST", "seed", R"({"Contact":2600})");
  auto c = connect({{"bulk_threshold", 1000}, {"bulk_chunk_size", 1000}, {"page_size", 500}});
  std::string cursor;
  std::size_t emitted = 0;
  int reads = 0;
  for (; reads < 100; ++reads) {
    auto batch = c->read(sdk::ReadRequest{"Contact", cursor, 500, {"Email"}, {}});
    ASSERT_TRUE(batch) << batch.error().message;
    emitted += batch->changes.size();
    ASSERT_TRUE(batch->remaining.has_value()) << "after " << emitted;
    EXPECT_EQ(*batch->remaining, 2600u - emitted);
    cursor = batch->nextCursor;
    if (!batch->hasMore) break;
  }
  EXPECT_EQ(emitted, 2600u);
  EXPECT_EQ(calls("POST /services/data/vXX.X/jobs/query"), 1u);  // the bulk path was taken
}

}  // namespace
}  // namespace ferry::plugins::salesforce::testing
