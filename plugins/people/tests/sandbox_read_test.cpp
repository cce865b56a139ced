// Change detection, webhooks and rate limits against the People sandbox.
#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <thread>

#include "sandbox_fixture.hpp"

namespace ferry::plugins::people::testing {
namespace {

using Outcome = sdk::WriteResult::Outcome;
using sdk::List;
using sdk::Object;

std::set<std::string> idsOf(const std::vector<sdk::Change>& changes) {
  std::set<std::string> out;
  for (const auto& c : changes) out.insert(c.id);
  return out;
}

std::set<std::string> seededIds(const sdk::Value& answer) {
  std::set<std::string> out;
  const auto first = at(answer, "firstId")->asInteger();
  const auto last = at(answer, "lastId")->asInteger();
  for (auto id = first; id <= last; ++id) out.insert(std::to_string(id));
  return out;
}

TEST_F(PeopleSandboxTest, PollEmitsOldestFirstThenOnlyNewVersions) {
  auto& c = connect({{"overlap", 60'000}});
  const auto seeded = seededIds(admin("POST", "seed", R"({"count":30,"seed":1})"));
  admin("POST", "seed", R"({"count":5,"seed":2,"type":"LEAD"})");
  auto first = readAll(c, "Customer", "");
  EXPECT_EQ(idsOf(first.changes), seeded);  // leads are not customers
  EXPECT_EQ(first.changes.size(), seeded.size());
  EXPECT_TRUE(
      std::is_sorted(first.changes.begin(), first.changes.end(),
                     [](const auto& a, const auto& b) { return a.modifiedAtMs < b.modifiedAtMs; }));
  const auto& sample = first.changes.front().fields;
  EXPECT_TRUE(sdk::findPath(sample, "contactInformation.email")->isList());
  EXPECT_TRUE(sample.find("modifiedAt")->isDateTime());

  // Nothing changed: the overlap re-reads the window but emits nothing.
  auto idle = readAll(c, "Customer", first.cursor);
  EXPECT_TRUE(idle.changes.empty());
  EXPECT_EQ(idle.reads, 1);

  const std::string edited = *seeded.begin();
  admin("PATCH", "persons?type=ID&identifier=" + edited, R"({"city":"Split"})");
  auto next = readAll(c, "Customer", idle.cursor);
  ASSERT_EQ(next.changes.size(), 1u);
  EXPECT_EQ(next.changes[0].id, edited);
  EXPECT_EQ(*next.changes[0].fields.find("city"), sdk::Value("Split"));
}

// The initial scan asks the listing for its total and reports total minus rows listed so far;
// incremental polls stop at their watermark, so they give no estimate.
TEST_F(PeopleSandboxTest, InitialScanEstimatesWhatIsLeftFromTheListingsTotal) {
  auto& c = connect({{"page_size", 100}, {"overlap", 60'000}});
  const auto seeded = seededIds(admin("POST", "seed", R"({"count":450,"seed":5})"));
  std::string cursor;
  std::vector<std::optional<std::uint64_t>> left;
  std::size_t emitted = 0;
  for (int guard = 0; guard < 20; ++guard) {
    auto batch = c.read(sdk::ReadRequest{"Customer", cursor, 100, {}, {}});
    ASSERT_TRUE(batch) << batch.error().message;
    emitted += batch->changes.size();
    left.push_back(batch->remaining);
    cursor = batch->nextCursor;
    if (!batch->hasMore) break;
  }
  EXPECT_EQ(emitted, 450u);
  const std::vector<std::optional<std::uint64_t>> expected{350, 250, 150, 50, 0};
  EXPECT_EQ(left, expected);

  const std::string someone = *seeded.begin();
  admin("PATCH", "persons?type=ID&identifier=" + someone, R"({"city":"Split"})");
  auto next = c.read(sdk::ReadRequest{"Customer", cursor, 100, {}, {}});
  ASSERT_TRUE(next) << next.error().message;
  ASSERT_EQ(next->changes.size(), 1u);
  EXPECT_EQ(next->changes[0].id, someone);
  EXPECT_FALSE(next->remaining.has_value());
}

TEST_F(PeopleSandboxTest, PagesShiftingDuringAScanLoseNothing) {
  auto& c = connect({{"page_size", 100}, {"overlap", 60'000}});
  const auto seeded = seededIds(admin("POST", "seed", R"({"count":450,"seed":3})"));
  std::vector<std::string> order(seeded.begin(), seeded.end());
  std::map<std::string, std::string> lastCity;  // id -> city in the latest emitted version
  std::map<std::string, std::string> editedTo;
  const auto take = [&](const std::vector<sdk::Change>& changes) {
    for (const auto& change : changes) {
      const auto* city = change.fields.find("city");
      lastCity[change.id] = city != nullptr && city->isString() ? city->asString() : "";
    }
  };
  std::string cursor;
  int reads = 0;
  for (bool more = true; more; ++reads) {
    auto batch = c.read(sdk::ReadRequest{"Customer", cursor, 100, {}, {}});
    ASSERT_TRUE(batch) << batch.error().message;
    take(batch->changes);
    cursor = batch->nextCursor;
    more = batch->hasMore;
    // Between pages, other users edit records the scan has not reached yet and ones it passed:
    // an edit stamped in a later second moves the record to the top of the listing and shifts
    // every page below it.
    for (int k = 0; k < 3 && more; ++k) {
      const std::string id = order[(reads * 37 + k * 101) % order.size()];
      const std::string city = "Edited " + std::to_string(reads) + "." + std::to_string(k);
      admin("PATCH", "persons?type=ID&identifier=" + id, R"({"city":")" + city + "\"}");
      editedTo[id] = city;
    }
    if (reads == 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // next edits: a later second
  }
  EXPECT_GE(reads, 3);
  // Records moved above the scan are caught by the next poll, with their latest values.
  auto next = readAll(c, "Customer", cursor, 1000);
  take(next.changes);
  std::set<std::string> emitted;
  for (const auto& [id, city] : lastCity) emitted.insert(id);
  EXPECT_EQ(emitted, seeded);
  for (const auto& [id, city] : editedTo) EXPECT_EQ(lastCity[id], city) << id;
  EXPECT_LT(next.changes.size(), 20u);  // only what changed, not a re-read of everything
}

TEST_F(PeopleSandboxTest, ReconciliationFindsDeletionsForEveryReaderAndOnReplay) {
  auto& c = connect({{"reconcile_interval", 60'000}});
  const auto seeded = seededIds(admin("POST", "seed", R"({"count":20,"seed":4})"));
  auto first = readAll(c, "Customer", "");
  ASSERT_EQ(first.changes.size(), 20u);
  auto otherFlow = readAll(c, "Customer", "");  // a second flow on the same connection
  ASSERT_EQ(otherFlow.changes.size(), 20u);
  const std::string victim = *seeded.rbegin();
  sdk::HttpRequest del;
  del.method = "DELETE";
  del.url = baseUrl() + "/__sandbox/people/persons?type=ID&identifier=" + victim;
  ASSERT_TRUE(http_->send(del));
  auto early = readAll(c, "Customer", first.cursor);
  EXPECT_TRUE(early.changes.empty());  // not due yet
  host_.clock.advance(std::chrono::minutes(2));
  const auto deletedOnly = [&](const Pass& pass) {
    return pass.changes.size() == 1 && pass.changes[0].id == victim &&
           pass.changes[0].op == sdk::Change::Op::kDelete && !pass.changes[0].successor;
  };
  EXPECT_TRUE(deletedOnly(readAll(c, "Customer", early.cursor)));
  // The batch was not committed (crash): reading from the same cursor reports it again.
  EXPECT_TRUE(deletedOnly(readAll(c, "Customer", early.cursor)));
  EXPECT_TRUE(deletedOnly(readAll(c, "Customer", otherFlow.cursor)));
}

TEST_F(PeopleSandboxTest, WebhookEventsWakeFlowsAndReportDeletions) {
  sandbox::SandboxServer receiverServer;
  auto receiverOwned = std::make_unique<HookReceiver>();
  auto* receiver = receiverOwned.get();
  receiverServer.addService(std::move(receiverOwned));
  receiverServer.start();
  admin("PUT", "webhook",
        R"({"url":")" + receiverServer.baseUrl() + R"(/hooks/people?token=hook-secret"})");
  auto& c = connect();
  admin("POST", "persons", R"({"externalId":"w1","lastName":"Hook","type":"LEAD"})");
  sdk::HttpRequest del;
  del.method = "DELETE";
  del.url = baseUrl() + "/__sandbox/people/persons?type=EXTERNAL_ID&identifier=w1";
  ASSERT_TRUE(http_->send(del));
  admin("POST", "webhook/flush", R"({"timeoutMs":5000})");
  const auto hooks = receiver->received();
  ASSERT_EQ(hooks.size(), 2u);

  const auto deliver = [&](const sandbox::Request& hook, std::string path) {
    sdk::InboundRequest in;
    in.method = hook.method;
    in.path = std::move(path);
    in.headers = hook.headers;
    in.body = hook.body;
    return c.handlePush(in);
  };
  const std::string withToken = "/?token=" + hooks[0].param("token")->substr(0);
  auto created = deliver(hooks[0], withToken);
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 200);
  EXPECT_EQ(created->wake, (std::vector<std::string>{"Lead"}));
  EXPECT_TRUE(created->deletedIds.empty());
  auto deleted = deliver(hooks[1], withToken);
  ASSERT_TRUE(deleted);
  ASSERT_FALSE(deleted->wake.empty());
  EXPECT_EQ(deleted->wake.front(), "Lead");
  ASSERT_EQ(deleted->deletedIds.size(), 1u);

  auto forged = deliver(hooks[1], "/?token=guess");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);
  EXPECT_TRUE(forged->wake.empty());
  sdk::InboundRequest garbage{"POST", withToken, {}, "{not json"};
  auto refused = c.handlePush(garbage);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  receiverServer.stop();
}

std::vector<sdk::WriteOp> batchOf(int start, int count) {
  std::vector<sdk::WriteOp> ops;
  for (int i = start; i < start + count; ++i) {
    sdk::WriteOp op;
    op.fields = Object{
        {"externalId", "bulk-" + std::to_string(i)},
        {"lastName", "Person " + std::to_string(i)},
        {"contactInformation", Object{{"email", List{"p" + std::to_string(i) + "@example.com"}}}}};
    ops.push_back(std::move(op));
  }
  return ops;
}

TEST_F(PeopleSandboxTest, FullSpeedWritesStayUnderTheLimitsWithZero429s) {
  auto& c = connect();
  const auto started = std::chrono::steady_clock::now();
  constexpr int kBatches = 8;
  for (int b = 0; b < kBatches; ++b) {
    auto results = c.write("Customer", batchOf(b * 1000, 1000));
    ASSERT_TRUE(results) << results.error().message;
    ASSERT_EQ(results->size(), 1000u);
    for (const auto& r : *results) ASSERT_EQ(r.outcome, Outcome::kCreated);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(throttled(), 0u);
  // 5 upserts/s with a burst of 1: eight calls cannot take less than 7 intervals.
  EXPECT_GE(seconds, 1.35);
  auto page = admin("GET", "dump");
  EXPECT_EQ(at(page, "persons")->asList().size(), kBatches * 1000u);
}

TEST_F(PeopleSandboxTest, A429StormIsSurvivedWithoutLoss) {
  auto& c = connect();
  sandbox::FaultKnobs knobs;
  knobs.storm429Remaining = 2;  // a short storm: the host client's retries ride it out
  ASSERT_EQ(server_->faults().set(knobs), "");
  auto results = c.write("Customer", batchOf(0, 300));
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_EQ(throttled(), 2u);
  for (const auto& r : *results) EXPECT_EQ(r.outcome, Outcome::kCreated);

  knobs = {};
  knobs.storm429 = true;  // a long storm: the batch fails as a whole, retriable, nothing lost
  ASSERT_EQ(server_->faults().set(knobs), "");
  auto stormed = c.write("Customer", batchOf(300, 300));
  ASSERT_FALSE(stormed);
  EXPECT_EQ(stormed.error().code, sdk::ErrorCode::kRateLimited);
  EXPECT_TRUE(stormed.error().retriable);
  server_->faults().clear();
  auto retried = c.write("Customer", batchOf(300, 300));
  ASSERT_TRUE(retried) << retried.error().message;
  for (const auto& r : *retried) EXPECT_EQ(r.outcome, Outcome::kCreated);
  EXPECT_EQ(at(admin("GET", "dump"), "persons")->asList().size(), 600u);
}

TEST_F(PeopleSandboxTest, InjectedServerErrorsAreRetriableBatchErrors) {
  auto& c = connect();
  sandbox::FaultKnobs knobs;
  knobs.errorShare = 1.0;
  knobs.errorStatus = 503;
  ASSERT_EQ(server_->faults().set(knobs), "");
  auto failed = c.write("Customer", batchOf(0, 10));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, sdk::ErrorCode::kUnavailable);
  EXPECT_TRUE(failed.error().retriable);
  auto read = c.read(sdk::ReadRequest{"Customer", "", 100, {}, {}});
  ASSERT_FALSE(read);
  EXPECT_TRUE(read.error().retriable);
}

}  // namespace
}  // namespace ferry::plugins::people::testing
