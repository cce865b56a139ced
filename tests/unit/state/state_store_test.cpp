// The state store's behaviour, run identically against SQLite and PostgreSQL.
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "store_fixture.hpp"

namespace ferry::host {
namespace {

using sdk::ErrorCode;
using sdk::Value;

using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;
TYPED_TEST_SUITE(StateStoreTest, Backends, BackendNames);

FlowVersion flowVersion(const std::string& name, const std::string& definition) {
  return FlowVersion{
      name, 0, definition, R"({"sf":{"type":"salesforce"}})", "flows/" + name + ".yaml", 1000};
}

Link link(const std::string& source, const std::string& sink, std::int64_t stamp = 5) {
  return Link{"",       source,
              sink,     Object{{"email", Value(source + "@example.com")}, {"n", Value(stamp)}},
              stamp,    stamp + 1,
              stamp + 2};
}

std::string id(const char* prefix, int n) { return prefix + std::to_string(n); }

DeadLetter deadLetter(const std::string& record, bool retriable, std::int64_t nextRetry) {
  DeadLetter d;
  d.direction = Direction::kReverse;
  d.recordId = record;
  d.payload = Object{{"Email", Value("not-an-email")}, {"Id", Value(record)}};
  d.reason = "invalid email address";
  d.errorCode = "INVALID_EMAIL_ADDRESS";
  d.field = "Email";
  d.retriable = retriable;
  d.attempts = 1;
  d.nextRetryAtMs = nextRetry;
  d.createdAtMs = 100;
  d.updatedAtMs = 100;
  return d;
}

Conflict fieldConflict(const std::string& source) {
  Conflict c;
  c.kind = ConflictKind::kFieldConflict;
  c.sourceId = source;
  c.sinkId = "k-" + source;
  c.fields = {"email", "phone"};
  c.sourceValues = Object{{"email", Value("a@x.com")}, {"phone", Value("+1")}};
  c.sinkValues = Object{{"email", Value("b@x.com")}, {"phone", Value("+2")}};
  c.base = Object{{"email", Value("o@x.com")}, {"phone", Value(nullptr)}};
  c.createdAtMs = 42;
  return c;
}

// ---- Migrations ----

TYPED_TEST(StateStoreTest, MigrationsAreAppliedOnceAndReopeningIsANoOp) {
  EXPECT_EQ(this->store_->schemaVersion(), 1);
  EXPECT_EQ(this->store_->backend(),
            std::string(TypeParam::kName) == "SQLite" ? "sqlite" : "postgresql");
  must(this->store_->kvPut("s", "k", "v"));
  for (int i = 0; i < 2; ++i) {
    auto again = this->open();
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(again->schemaVersion(), 1);
    EXPECT_EQ(must(again->kvGet("s", "k")), std::optional<std::string>("v"));
  }
}

TYPED_TEST(StateStoreTest, SeveralProcessesMigratingAtOnceAllSucceed) {
  // A fresh database for each opener race: the first store of the fixture already migrated.
  TypeParam other;
  const std::string url = other.prepare();
  ASSERT_FALSE(url.empty());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::vector<std::string> errors(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto store = openStateStore(url);
      if (store && (*store)->schemaVersion() == 1)
        ++ok;
      else if (!store)
        errors[i] = store.error().describe();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4) << errors[0] << errors[1] << errors[2] << errors[3];
}

// ---- Flows ----

TYPED_TEST(StateStoreTest, DeployingKeepsAVersionHistoryAndSkipsUnchangedContent) {
  auto& store = *this->store_;
  EXPECT_EQ(must(store.deployFlow(flowVersion("leads", "a: 1"))), 1);
  EXPECT_EQ(must(store.deployFlow(flowVersion("leads", "a: 1"))),
            1);  // same content: no new version
  EXPECT_EQ(must(store.deployFlow(flowVersion("leads", "a: 2"))), 2);
  EXPECT_EQ(must(store.deployFlow(flowVersion("contacts", "c: 1"))), 1);

  auto state = must(store.flowState("leads"));
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->currentVersion, 2);
  EXPECT_FALSE(state->active);
  EXPECT_FALSE(must(store.flowState("nope")).has_value());

  auto current = must(store.flowVersion("leads", 0));
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->version, 2);
  EXPECT_EQ(current->definition, "a: 2");
  EXPECT_EQ(current->connectionsJson, R"({"sf":{"type":"salesforce"}})");
  EXPECT_EQ(current->origin, "flows/leads.yaml");
  EXPECT_EQ(current->deployedAtMs, 1000);
  EXPECT_EQ(must(store.flowVersion("leads", 1))->definition, "a: 1");
  EXPECT_FALSE(must(store.flowVersion("leads", 3)).has_value());
  EXPECT_FALSE(must(store.flowVersion("nope", 0)).has_value());

  auto history = must(store.flowHistory("leads"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].version, 1);
  EXPECT_EQ(history[1].version, 2);

  auto flows = must(store.listFlows());
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0].name, "contacts");
  EXPECT_EQ(flows[1].name, "leads");

  must(store.setFlowActive("leads", true));
  EXPECT_TRUE(must(store.flowState("leads"))->active);
  must(store.setFlowActive("leads", false));
  EXPECT_FALSE(must(store.flowState("leads"))->active);
  auto missing = store.setFlowActive("nope", true);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  auto empty = store.deployFlow(flowVersion("", "x"));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
}

TYPED_TEST(StateStoreTest, DeletingAFlowRemovesEverythingThatBelongsToIt) {
  auto& store = *this->store_;
  for (const char* flow : {"doomed", "kept"}) {
    must(store.deployFlow(flowVersion(flow, "v1")));
    must(store.deployFlow(flowVersion(flow, "v2")));
    const auto run = must(store.startRun(flow, "node-a", 10));
    BatchCommit batch;
    batch.flow = flow;
    batch.cursor = {Direction::kForward, "c1"};
    batch.upsertLinks = {link("s1", "k1")};
    batch.newConflicts = {fieldConflict("s1")};
    batch.newDeadLetters = {deadLetter("s2", false, 0)};
    batch.runId = run;
    must(store.commitBatch(batch));
  }
  must(store.deleteFlow("doomed"));

  EXPECT_FALSE(must(store.flowState("doomed")).has_value());
  EXPECT_TRUE(must(store.flowHistory("doomed")).empty());
  EXPECT_FALSE(must(store.cursor("doomed", Direction::kForward)).has_value());
  EXPECT_EQ(must(store.linkCount("doomed")), 0);
  EXPECT_TRUE(must(store.conflicts(ConflictFilter{.flow = "doomed"})).empty());
  EXPECT_EQ(must(store.countDeadLetters(DeadLetterFilter{.flow = "doomed"})), 0);
  EXPECT_TRUE(must(store.runs("doomed", 10)).empty());

  EXPECT_TRUE(must(store.flowState("kept")).has_value());
  EXPECT_EQ(must(store.flowHistory("kept")).size(), 2u);
  EXPECT_EQ(must(store.cursor("kept", Direction::kForward)), std::optional<std::string>("c1"));
  EXPECT_EQ(must(store.linkCount("kept")), 1);
  EXPECT_EQ(must(store.conflicts(ConflictFilter{.flow = "kept"})).size(), 1u);
  EXPECT_EQ(must(store.countDeadLetters(DeadLetterFilter{.flow = "kept"})), 1);
  EXPECT_EQ(must(store.runs("kept", 10)).size(), 1u);

  must(store.deleteFlow("never-deployed"));  // not an error

  // The name can be deployed again from scratch.
  EXPECT_EQ(must(store.deployFlow(flowVersion("doomed", "v9"))), 1);
}

// ---- Cursors ----

TYPED_TEST(StateStoreTest, CursorsAreKeptPerFlowAndSideAndReset) {
  auto& store = *this->store_;
  EXPECT_FALSE(must(store.cursor("f", Direction::kForward)).has_value());
  BatchCommit batch{
      .flow = "f", .cursor = std::pair{Direction::kForward, std::string("2024-01-01T00:00:00Z|a")}};
  must(store.commitBatch(batch));
  batch.cursor = std::pair{Direction::kReverse, std::string("rev-7")};
  must(store.commitBatch(batch));
  batch.cursor = std::pair{Direction::kForward, std::string("2024-01-02T00:00:00Z|b")};
  must(store.commitBatch(batch));
  must(store.commitBatch(
      BatchCommit{.flow = "g", .cursor = std::pair{Direction::kForward, std::string("g1")}}));

  EXPECT_EQ(must(store.cursor("f", Direction::kForward)),
            std::optional<std::string>("2024-01-02T00:00:00Z|b"));
  EXPECT_EQ(must(store.cursor("f", Direction::kReverse)), std::optional<std::string>("rev-7"));
  must(store.resetCursors("f"));
  EXPECT_FALSE(must(store.cursor("f", Direction::kForward)).has_value());
  EXPECT_FALSE(must(store.cursor("f", Direction::kReverse)).has_value());
  EXPECT_EQ(must(store.cursor("g", Direction::kForward)), std::optional<std::string>("g1"));
}

// ---- Links ----

TYPED_TEST(StateStoreTest, LinksAreFoundBySourceAndSinkInLargeBatches) {
  auto& store = *this->store_;
  BatchCommit batch{.flow = "f"};
  for (int i = 0; i < 1000; ++i) batch.upsertLinks.push_back(link(id("s", i), id("k", i), i));
  must(store.commitBatch(batch));
  must(store.commitBatch(BatchCommit{.flow = "other", .upsertLinks = {link("s1", "k1")}}));
  EXPECT_EQ(must(store.linkCount("f")), 1000);
  EXPECT_EQ(must(store.linkCount("other")), 1);

  std::vector<std::string> wanted;
  for (int i = 0; i < 1000; ++i) wanted.push_back(id("s", i));
  wanted.push_back("s-missing");
  wanted.push_back("s7");  // duplicates are answered once
  auto found = must(store.linksBySource("f", wanted));
  ASSERT_EQ(found.size(), 1000u);
  std::set<std::string> seen;
  for (const auto& l : found) {
    seen.insert(l.sourceId);
    EXPECT_EQ(l.flow, "f");
    EXPECT_EQ("k" + l.sourceId.substr(1), l.sinkId);
  }
  EXPECT_EQ(seen.size(), 1000u);

  auto s7 = must(store.linksBySource("f", {"s7"}));
  ASSERT_EQ(s7.size(), 1u);
  EXPECT_EQ(s7[0].base, (Object{{"email", Value("s7@example.com")}, {"n", Value(7)}}));
  EXPECT_EQ(s7[0].sourceModifiedAtMs, 7);
  EXPECT_EQ(s7[0].sinkModifiedAtMs, 8);
  EXPECT_EQ(s7[0].updatedAtMs, 9);

  std::vector<std::string> sinks;
  for (int i = 0; i < 1000; i += 3) sinks.push_back(id("k", i));
  sinks.push_back("s5");  // a source id is not a sink id
  auto bySink = must(store.linksBySink("f", sinks));
  ASSERT_EQ(bySink.size(), 334u);
  for (const auto& l : bySink) EXPECT_EQ("s" + l.sinkId.substr(1), l.sourceId);

  EXPECT_TRUE(must(store.linksBySource("f", {})).empty());
  EXPECT_TRUE(must(store.linksBySource("nope", {"s1"})).empty());
}

TYPED_TEST(StateStoreTest, StoredValuesReadBackEqualKindsIncluded) {
  // The engine compares link bases with freshly mapped values: a date that came back as a
  // string would look changed on every run.
  auto& store = *this->store_;
  const Object base{
      {"birthdate", Value(sdk::Date{1984, 2, 29})},
      {"seenAt", Value(sdk::DateTime{1700000000123})},
      {"score", Value(2.5)},
      {"count", Value(std::int64_t{9007199254740993})},
      {"vip", Value(true)},
      {"nothing", Value(nullptr)},
      {"text", Value("{\"$date\": \"2020-01-01\"} \u00e9\u00e8 \"quoted\"")},
      {"$date", Value("a real field that looks like a tag")},
      {"$$money", Value("two dollars")},
      {"tags",
       Value(sdk::List{Value("a"), Value(sdk::Date{2024, 1, 2}), Value(Object{{"$x", Value(1)}})})},
      {"address", Value(Object{{"city", Value("Zagreb")}, {"since", Value(sdk::DateTime{0})}})},
  };
  Link l = link("s1", "k1");
  l.base = base;
  Conflict c = fieldConflict("s1");
  c.sourceValues = base;
  DeadLetter d = deadLetter("s1", false, 0);
  d.payload = base;
  must(store.commitBatch(
      BatchCommit{.flow = "f", .upsertLinks = {l}, .newConflicts = {c}, .newDeadLetters = {d}}));

  EXPECT_EQ(must(store.linksBySource("f", {"s1"})).at(0).base, base);
  EXPECT_EQ(must(store.conflicts({})).at(0).sourceValues, base);
  EXPECT_EQ(must(store.deadLetters({})).at(0).payload, base);
  const auto read = must(store.linksBySource("f", {"s1"})).at(0).base;
  EXPECT_TRUE(read.find("birthdate")->isDate());
  EXPECT_TRUE(read.find("seenAt")->isDateTime());
  EXPECT_TRUE(read.find("$date")->isString());
}

TYPED_TEST(StateStoreTest, LinksArePagedInSourceIdOrder) {
  auto& store = *this->store_;
  BatchCommit batch{.flow = "f"};
  for (int i = 0; i < 25; ++i) batch.upsertLinks.push_back(link(id("s", 100 + i), id("k", i)));
  batch.upsertLinks.push_back(link("S-upper", "k-upper"));  // byte order: 'S' < 's'
  must(store.commitBatch(batch));

  std::vector<std::string> all;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto chunk = must(store.links("f", after, 10));
    if (chunk.empty()) break;
    EXPECT_LE(chunk.size(), 10u);
    for (const auto& l : chunk) all.push_back(l.sourceId);
    after = chunk.back().sourceId;
  }
  ASSERT_EQ(all.size(), 26u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(all.front(), "S-upper");
}

TYPED_TEST(StateStoreTest, LinksAreUpdatedDeletedAndRepointedInOneBatch) {
  auto& store = *this->store_;
  must(store.commitBatch(
      BatchCommit{.flow = "f", .upsertLinks = {link("lead1", "p1"), link("s2", "p2")}}));

  // Lead conversion: the lead's link goes, the contact takes over the same person.
  BatchCommit conversion{.flow = "f"};
  conversion.deleteLinksBySource = {"lead1"};
  conversion.upsertLinks = {link("contact1", "p1", 50)};
  // Two updates of one source in one batch: the last one wins.
  conversion.upsertLinks.push_back(link("s2", "p2", 60));
  conversion.upsertLinks.push_back(link("s2", "p2", 70));
  must(store.commitBatch(conversion));

  EXPECT_TRUE(must(store.linksBySource("f", {"lead1"})).empty());
  auto bySink = must(store.linksBySink("f", {"p1"}));
  ASSERT_EQ(bySink.size(), 1u);
  EXPECT_EQ(bySink[0].sourceId, "contact1");
  auto s2 = must(store.linksBySource("f", {"s2"}));
  ASSERT_EQ(s2.size(), 1u);
  EXPECT_EQ(s2[0].sourceModifiedAtMs, 70);
  EXPECT_EQ(s2[0].base.find("n")->asInteger(), 70);
  EXPECT_EQ(must(store.linkCount("f")), 2);
}

// ---- Atomicity ----

TYPED_TEST(StateStoreTest, AFailingBatchAppliesNothing) {
  auto& store = *this->store_;
  const auto run = must(store.startRun("f", "node-a", 1));
  BatchCommit first{.flow = "f", .cursor = std::pair{Direction::kForward, std::string("c1")}};
  first.upsertLinks = {link("s1", "k1", 1)};
  first.newDeadLetters = {deadLetter("r0", true, 500)};
  first.runId = run;
  first.countsDelta.read = 1;
  must(store.commitBatch(first));
  const auto letterId = must(store.deadLetters({})).at(0).id;

  // Everything here is valid except the last link, whose sink is already linked to s1.
  BatchCommit bad{.flow = "f", .cursor = std::pair{Direction::kForward, std::string("c2")}};
  for (int i = 2; i < 300; ++i) bad.upsertLinks.push_back(link(id("s", i), id("k", i)));
  bad.upsertLinks.push_back(link("s-dup", "k1"));
  bad.newConflicts = {fieldConflict("s9")};
  bad.newDeadLetters = {deadLetter("r1", false, 0)};
  DeadLetter retried = deadLetter("r0", true, 900);
  retried.id = letterId;
  retried.attempts = 2;
  bad.updatedDeadLetters = {retried};
  bad.runId = run;
  bad.countsDelta = RunCounts{.read = 300, .created = 299};
  auto status = store.commitBatch(bad);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kConflict) << status.error().describe();

  EXPECT_EQ(must(store.cursor("f", Direction::kForward)), std::optional<std::string>("c1"));
  EXPECT_EQ(must(store.linkCount("f")), 1);
  EXPECT_TRUE(must(store.conflicts({})).empty());
  auto letters = must(store.deadLetters({}));
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].attempts, 1);
  EXPECT_EQ(letters[0].nextRetryAtMs, 500);
  EXPECT_EQ(must(store.runs("f", 1)).at(0).counts.read, 1);

  // A reference to a dead letter that does not exist also rolls everything back.
  BatchCommit dangling{.flow = "f", .cursor = std::pair{Direction::kForward, std::string("c3")}};
  dangling.upsertLinks = {link("s5", "k5")};
  DeadLetter ghost = deadLetter("r9", true, 1);
  ghost.id = letterId + 1000;
  dangling.updatedDeadLetters = {ghost};
  status = store.commitBatch(dangling);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(must(store.cursor("f", Direction::kForward)), std::optional<std::string>("c1"));
  EXPECT_EQ(must(store.linkCount("f")), 1);

  // And the store is fully usable afterwards.
  bad.upsertLinks.pop_back();
  must(store.commitBatch(bad));
  EXPECT_EQ(must(store.cursor("f", Direction::kForward)), std::optional<std::string>("c2"));
  EXPECT_EQ(must(store.linkCount("f")), 299);
  EXPECT_EQ(must(store.conflicts({})).size(), 1u);
  EXPECT_EQ(must(store.deadLetter(letterId))->attempts, 2);
  EXPECT_EQ(must(store.runs("f", 1)).at(0).counts.read, 301);
}

TYPED_TEST(StateStoreTest, MalformedBatchesAreRejectedUpFront) {
  auto& store = *this->store_;
  auto noFlow = store.commitBatch(BatchCommit{});
  ASSERT_FALSE(noFlow);
  EXPECT_EQ(noFlow.error().code, ErrorCode::kInvalidArgument);
  Link foreign = link("s1", "k1");
  foreign.flow = "other";
  auto mismatched = store.commitBatch(BatchCommit{.flow = "f", .upsertLinks = {foreign}});
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error().code, ErrorCode::kInvalidArgument);
  auto emptyId = store.commitBatch(BatchCommit{.flow = "f", .upsertLinks = {link("", "k1")}});
  ASSERT_FALSE(emptyId);
  EXPECT_EQ(emptyId.error().code, ErrorCode::kInvalidArgument);
  auto missingRun = store.commitBatch(BatchCommit{.flow = "f", .runId = 12345});
  ASSERT_FALSE(missingRun);
  EXPECT_EQ(missingRun.error().code, ErrorCode::kNotFound);
}

// ---- Conflicts ----

TYPED_TEST(StateStoreTest, ConflictsAreFilteredPagedAndResolved) {
  auto& store = *this->store_;
  BatchCommit a{.flow = "a"};
  for (int i = 0; i < 5; ++i) a.newConflicts.push_back(fieldConflict(id("s", i)));
  Conflict ambiguous;
  ambiguous.kind = ConflictKind::kAmbiguousMatch;
  ambiguous.sourceId = "s-amb";
  ambiguous.candidates = {"k1", "k2", "k3"};
  ambiguous.sourceValues = Object{{"email", Value("dup@x.com")}};
  a.newConflicts.push_back(ambiguous);
  must(store.commitBatch(a));
  must(store.commitBatch(
      BatchCommit{.flow = "b", .newConflicts = {fieldConflict("t1"), fieldConflict("t2")}}));

  auto all = must(store.conflicts({}));
  ASSERT_EQ(all.size(), 8u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](auto& x, auto& y) { return x.id < y.id; }));
  const Conflict& first = all[0];
  EXPECT_EQ(first.flow, "a");
  EXPECT_EQ(first.kind, ConflictKind::kFieldConflict);
  EXPECT_EQ(first.status, ConflictStatus::kOpen);
  EXPECT_EQ(first.sinkId, "k-s0");
  EXPECT_EQ(first.fields, (std::vector<std::string>{"email", "phone"}));
  EXPECT_EQ(first.sourceValues, fieldConflict("s0").sourceValues);
  EXPECT_EQ(first.sinkValues, fieldConflict("s0").sinkValues);
  EXPECT_EQ(first.base, fieldConflict("s0").base);
  EXPECT_EQ(first.createdAtMs, 42);
  EXPECT_EQ(all[5].kind, ConflictKind::kAmbiguousMatch);
  EXPECT_EQ(all[5].candidates, (std::vector<std::string>{"k1", "k2", "k3"}));
  EXPECT_TRUE(all[5].sinkId.empty());

  EXPECT_EQ(must(store.conflicts(ConflictFilter{.flow = "b"})).size(), 2u);
  auto page1 = must(store.conflicts(ConflictFilter{.flow = "a", .limit = 4}));
  ASSERT_EQ(page1.size(), 4u);
  auto page2 =
      must(store.conflicts(ConflictFilter{.flow = "a", .limit = 4, .afterId = page1.back().id}));
  ASSERT_EQ(page2.size(), 2u);
  EXPECT_GT(page2.front().id, page1.back().id);

  must(store.resolveConflict(all[1].id, "source"));
  auto resolved = must(store.conflict(all[1].id));
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->status, ConflictStatus::kResolved);
  EXPECT_EQ(resolved->resolution, "source");
  EXPECT_GT(resolved->resolvedAtMs, 0);
  EXPECT_EQ(
      must(store.conflicts(ConflictFilter{.flow = "a", .status = ConflictStatus::kOpen})).size(),
      5u);
  EXPECT_EQ(must(store.conflicts(ConflictFilter{.status = ConflictStatus::kResolved})).size(), 1u);

  auto twice = store.resolveConflict(all[1].id, "sink");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
  auto unknown = store.resolveConflict(all.back().id + 100, "sink");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(must(store.conflict(all.back().id + 100)).has_value());
}

// ---- Dead letters ----

TYPED_TEST(StateStoreTest, DeadLettersAreFilteredPagedCountedAndRescheduled) {
  auto& store = *this->store_;
  BatchCommit batch{.flow = "a"};
  batch.newDeadLetters = {deadLetter("r1", true, 1000), deadLetter("r2", true, 3000),
                          deadLetter("r3", false, 0), deadLetter("r4", false, 0)};
  must(store.commitBatch(batch));
  must(
      store.commitBatch(BatchCommit{.flow = "b", .newDeadLetters = {deadLetter("q1", true, 500)}}));

  auto all = must(store.deadLetters({}));
  ASSERT_EQ(all.size(), 5u);
  const DeadLetter& r1 = all[0];
  EXPECT_EQ(r1.flow, "a");
  EXPECT_EQ(r1.direction, Direction::kReverse);
  EXPECT_EQ(r1.recordId, "r1");
  EXPECT_EQ(r1.payload, deadLetter("r1", true, 0).payload);
  EXPECT_EQ(r1.reason, "invalid email address");
  EXPECT_EQ(r1.errorCode, "INVALID_EMAIL_ADDRESS");
  EXPECT_EQ(r1.field, "Email");
  EXPECT_TRUE(r1.retriable);
  EXPECT_EQ(r1.attempts, 1);
  EXPECT_EQ(r1.nextRetryAtMs, 1000);
  EXPECT_EQ(r1.status, DeadLetterStatus::kPending);
  EXPECT_EQ(r1.createdAtMs, 100);

  EXPECT_EQ(must(store.countDeadLetters({})), 5);
  EXPECT_EQ(must(store.countDeadLetters(DeadLetterFilter{.flow = "a"})), 4);
  EXPECT_EQ(must(store.countDeadLetters(DeadLetterFilter{.flow = "a", .retriable = false})), 2);
  EXPECT_EQ(must(store.countDeadLetters(DeadLetterFilter{.retriable = true})), 3);

  // Due: scheduled (next retry > 0) at or before the given time, still open.
  auto due = must(store.deadLetters(DeadLetterFilter{.dueBeforeMs = 1000}));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].recordId, "r1");
  EXPECT_EQ(due[1].recordId, "q1");
  EXPECT_EQ(must(store.countDeadLetters(DeadLetterFilter{.flow = "a", .dueBeforeMs = 5000})), 2);

  // An operator's retry request schedules a permanent one; resolving takes one off the list.
  must(store.setDeadLetterStatus(all[2].id, DeadLetterStatus::kRetrying, 900));
  must(store.setDeadLetterStatus(all[0].id, DeadLetterStatus::kResolved, 0));
  due = must(store.deadLetters(DeadLetterFilter{.flow = "a", .dueBeforeMs = 1000}));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].recordId, "r3");
  EXPECT_EQ(due[0].status, DeadLetterStatus::kRetrying);
  EXPECT_EQ(must(store.countDeadLetters(DeadLetterFilter{.status = DeadLetterStatus::kResolved})),
            1);
  EXPECT_EQ(must(store.deadLetter(all[0].id))->status, DeadLetterStatus::kResolved);
  EXPECT_FALSE(must(store.deadLetter(all.back().id + 100)).has_value());
  auto unknown = store.setDeadLetterStatus(all.back().id + 100, DeadLetterStatus::kDiscarded, 0);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);

  // Keyset paging.
  auto page1 = must(store.deadLetters(DeadLetterFilter{.limit = 2}));
  auto page2 = must(store.deadLetters(DeadLetterFilter{.limit = 2, .afterId = page1.back().id}));
  auto page3 = must(store.deadLetters(DeadLetterFilter{.limit = 2, .afterId = page2.back().id}));
  ASSERT_EQ(page1.size() + page2.size() + page3.size(), 5u);
  EXPECT_EQ(page3.size(), 1u);
  EXPECT_EQ(page3[0].recordId, "q1");

  // The engine's retry bookkeeping goes through commitBatch.
  DeadLetter retried = all[1];
  retried.attempts = 2;
  retried.nextRetryAtMs = 7000;
  retried.status = DeadLetterStatus::kRetrying;
  retried.reason = "timeout";
  must(store.commitBatch(BatchCommit{.flow = "a", .updatedDeadLetters = {retried}}));
  auto after = must(store.deadLetter(retried.id));
  EXPECT_EQ(after->attempts, 2);
  EXPECT_EQ(after->nextRetryAtMs, 7000);
  EXPECT_EQ(after->status, DeadLetterStatus::kRetrying);
  EXPECT_EQ(after->reason, "timeout");
  EXPECT_EQ(after->recordId, "r2");
}

// ---- Runs ----

TYPED_TEST(StateStoreTest, RunsAccumulateCountsAndAreListedNewestFirst) {
  auto& store = *this->store_;
  const auto first = must(store.startRun("f", "node-a", 1000));
  BatchCommit batch{.flow = "f", .runId = first, .countsDelta = RunCounts{1, 2, 3, 4, 5, 6, 7}};
  must(store.commitBatch(batch));
  must(store.commitBatch(batch));
  must(store.finishRun(first, RunStatus::kSucceeded, 2000, ""));
  const auto second = must(store.startRun("f", "node-b", 3000));
  must(store.finishRun(second, RunStatus::kFailed, 3500, "sink unavailable"));
  must(store.startRun("g", "node-a", 4000));

  auto runs = must(store.runs("f", 10));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].id, second);
  EXPECT_EQ(runs[0].status, RunStatus::kFailed);
  EXPECT_EQ(runs[0].error, "sink unavailable");
  EXPECT_EQ(runs[0].node, "node-b");
  EXPECT_EQ(runs[1].id, first);
  EXPECT_EQ(runs[1].status, RunStatus::kSucceeded);
  EXPECT_EQ(runs[1].startedAtMs, 1000);
  EXPECT_EQ(runs[1].endedAtMs, 2000);
  const RunCounts& c = runs[1].counts;
  EXPECT_EQ(c.read, 2);
  EXPECT_EQ(c.created, 4);
  EXPECT_EQ(c.updated, 6);
  EXPECT_EQ(c.unchanged, 8);
  EXPECT_EQ(c.deleted, 10);
  EXPECT_EQ(c.rejected, 12);
  EXPECT_EQ(c.conflicts, 14);

  EXPECT_EQ(must(store.runs("f", 1)).size(), 1u);
  EXPECT_EQ(must(store.runs("", 10)).size(), 3u);
  auto running = must(store.runs("g", 10));
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].status, RunStatus::kRunning);
  auto unknown = store.finishRun(second + 100, RunStatus::kAbandoned, 1, "");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

// ---- Key-value state ----

TYPED_TEST(StateStoreTest, KeyValueStateHoldsArbitraryBytesPerScope) {
  auto& store = *this->store_;
  const std::string cipher("\x00\x01\xff\xfe' \\x\"", 9);
  must(store.kvPut("salesforce/prod", "refresh_token", cipher));
  must(store.kvPut("salesforce/prod", "instance_url", "https://example.my.salesforce.com"));
  must(store.kvPut("people/main", "refresh_token", "other"));
  EXPECT_EQ(must(store.kvGet("salesforce/prod", "refresh_token")),
            std::optional<std::string>(cipher));
  must(store.kvPut("salesforce/prod", "refresh_token", "rotated"));
  EXPECT_EQ(must(store.kvGet("salesforce/prod", "refresh_token")),
            std::optional<std::string>("rotated"));
  EXPECT_EQ(must(store.kvKeys("salesforce/prod")),
            (std::vector<std::string>{"instance_url", "refresh_token"}));
  must(store.kvErase("salesforce/prod", "refresh_token"));
  EXPECT_FALSE(must(store.kvGet("salesforce/prod", "refresh_token")).has_value());
  EXPECT_EQ(must(store.kvGet("people/main", "refresh_token")), std::optional<std::string>("other"));
  must(store.kvErase("salesforce/prod", "never-there"));
  must(store.kvPut("s", "empty", ""));
  EXPECT_EQ(must(store.kvGet("s", "empty")), std::optional<std::string>(""));
  EXPECT_TRUE(must(store.kvKeys("nobody")).empty());
}

// ---- Leases ----

TYPED_TEST(StateStoreTest, LeasesAreHeldRenewedExpiredAndTakenOver) {
  auto& store = *this->store_;
  EXPECT_TRUE(must(store.acquireLease("flow:leads", "node-a", 1000, 500)));
  EXPECT_FALSE(must(store.acquireLease("flow:leads", "node-b", 1200, 500)));  // held by a
  EXPECT_TRUE(must(store.acquireLease("flow:leads", "node-a", 1400, 500)));   // renewal: until 1900
  EXPECT_FALSE(must(store.acquireLease("flow:leads", "node-b", 1800, 500)));
  EXPECT_TRUE(must(store.acquireLease("flow:other", "node-b", 1800, 500)));  // independent names
  EXPECT_TRUE(
      must(store.acquireLease("flow:leads", "node-b", 1900, 500)));  // a's expired: taken over
  EXPECT_FALSE(must(store.acquireLease("flow:leads", "node-a", 2000, 500)));

  must(store.releaseLease("flow:leads", "node-a"));  // not the holder: no effect
  EXPECT_FALSE(must(store.acquireLease("flow:leads", "node-a", 2100, 500)));
  must(store.releaseLease("flow:leads", "node-b"));
  EXPECT_TRUE(must(store.acquireLease("flow:leads", "node-a", 2100, 500)));

  auto bad = store.acquireLease("flow:leads", "node-a", 2100, 0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TYPED_TEST(StateStoreTest, OnlyOneOfManyRacingNodesWinsAnExpiredLease) {
  // Separate stores stand in for separate processes (own pools, own connections).
  std::vector<std::unique_ptr<StateStore>> nodes;
  for (int i = 0; i < 4; ++i) nodes.push_back(this->open());
  ASSERT_TRUE(must(this->store_->acquireLease("flow:x", "old", 0, 10)));
  for (int round = 1; round <= 5; ++round) {
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    const std::int64_t at = round * 1000;  // the previous holder has always expired by then
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&, i] {
        auto won = nodes[i]->acquireLease(
            "flow:x", "node-" + std::to_string(round) + "-" + std::to_string(i), at, 10);
        if (won && *won) ++winners;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
  }
}

// ---- Concurrency and durability ----

TYPED_TEST(StateStoreTest, SeparateProcessesMigrateAndRaceForALeaseSafely) {
  TypeParam fresh;  // an empty database, so that the children race through the migrations too
  const std::string url = fresh.prepare();
  ASSERT_FALSE(url.empty());
  constexpr int kProcesses = 4;
  int ready[2], go[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(go), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Child: only _exit() from here on, never back into GoogleTest.
      close(ready[0]);
      close(go[1]);
      auto store = openStateStore(url);
      const char byte = store ? 1 : 0;
      if (write(ready[1], &byte, 1) != 1 || !store) _exit(10);
      char ignored;
      if (read(go[0], &ignored, 1) != 0) _exit(12);  // EOF is the start signal
      auto won = (*store)->acquireLease("flow:x", "process-" + std::to_string(i), 1000, 60000);
      _exit(!won ? 11 : (*won ? 0 : 1));
    }
    children.push_back(pid);
  }
  close(ready[1]);
  close(go[0]);
  for (int i = 0; i < kProcesses; ++i) {
    char byte = 0;
    ASSERT_EQ(read(ready[0], &byte, 1), 1);
  }
  close(go[1]);  // all open: start the race
  close(ready[0]);
  int winners = 0, losers = 0;
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    const int code = WEXITSTATUS(status);
    EXPECT_TRUE(code == 0 || code == 1) << "child failed with exit code " << code;
    winners += code == 0;
    losers += code == 1;
  }
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(losers, kProcesses - 1);
}

TYPED_TEST(StateStoreTest, ConcurrentBatchesFromSeveralThreadsAreAllApplied) {
  auto& store = *this->store_;
  const auto run = must(store.startRun("f", "node-a", 1));
  constexpr int kThreads = 4, kBatches = 8, kLinksPerBatch = 50;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches && errors[t].empty(); ++b) {
        BatchCommit batch{
            .flow = "f",
            .cursor = std::pair{t % 2 == 0 ? Direction::kForward : Direction::kReverse,
                                std::to_string(b)}};
        for (int i = 0; i < kLinksPerBatch; ++i) {
          const std::string key =
              std::to_string(t) + "-" + std::to_string(b) + "-" + std::to_string(i);
          batch.upsertLinks.push_back(link("s" + key, "k" + key));
        }
        batch.runId = run;
        batch.countsDelta.created = kLinksPerBatch;
        if (auto s = store.commitBatch(batch); !s) errors[t] = s.error().describe();
        // Readers interleave with writers.
        if (auto n = store.linkCount("f"); !n) errors[t] = n.error().describe();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(must(store.linkCount("f")), kThreads * kBatches * kLinksPerBatch);
  EXPECT_EQ(must(store.runs("f", 1)).at(0).counts.created, kThreads * kBatches * kLinksPerBatch);
}

TYPED_TEST(StateStoreTest, ReopeningTheStoreKeepsEverything) {
  must(this->store_->deployFlow(flowVersion("leads", "a: 1")));
  must(this->store_->setFlowActive("leads", true));
  must(this->store_->commitBatch(
      BatchCommit{.flow = "leads",
                  .cursor = std::pair{Direction::kForward, std::string("c")},
                  .upsertLinks = {link("s1", "k1")}}));
  must(this->store_->kvPut("s", "k", "v"));
  this->store_.reset();  // closes every pooled session

  auto reopened = this->open();
  ASSERT_NE(reopened, nullptr);
  EXPECT_TRUE(must(reopened->flowState("leads"))->active);
  EXPECT_EQ(must(reopened->cursor("leads", Direction::kForward)), std::optional<std::string>("c"));
  EXPECT_EQ(must(reopened->linksBySource("leads", {"s1"})).size(), 1u);
  EXPECT_EQ(must(reopened->kvGet("s", "k")), std::optional<std::string>("v"));
}

// ---- PostgreSQL only ----

TEST(PostgresStateStore, RecoversFromConnectionsTheServerDropped) {
  FERRY_REQUIRE_POSTGRES(url);
  auto opened = openStateStore(url);
  ASSERT_TRUE(opened) << opened.error().describe();
  StateStore& store = **opened;
  must(store.kvPut("s", "k", "before"));
  // Several idle pooled sessions, all about to be cut off.
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([&] { (void)store.linkCount("f"); });
  for (auto& t : threads) t.join();

  testing::sharedPostgres()->terminateConnections(url.substr(url.rfind('/') + 1));

  // Reads and writes go through on fresh connections; nothing is lost or doubled.
  EXPECT_EQ(must(store.kvGet("s", "k")), std::optional<std::string>("before"));
  const auto run = must(store.startRun("f", "node-a", 1));
  must(store.commitBatch(BatchCommit{.flow = "f",
                                     .upsertLinks = {link("s1", "k1")},
                                     .runId = run,
                                     .countsDelta = RunCounts{.read = 1}}));
  EXPECT_EQ(must(store.linkCount("f")), 1);
  EXPECT_EQ(must(store.runs("f", 1)).at(0).counts.read, 1);
}

}  // namespace
}  // namespace ferry::host
