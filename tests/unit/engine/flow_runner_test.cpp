// Scenario tests of the flow runner against in-memory connectors and a real state store.
#include <gtest/gtest.h>

#include "crashing_store.hpp"
#include "engine_fixture.hpp"

namespace ferry::host::engine::testing {
namespace {

using sdk::Object;

Object contact(const std::string& first, const std::string& email, const std::string& phone = "") {
  Object o{{"FirstName", first}, {"LastName", "Doe"}, {"Email", email}};
  o.set("Phone", phone.empty() ? sdk::Value() : sdk::Value(phone));
  return o;
}

Object person(const std::string& first, const std::string& email, const std::string& phone = "") {
  Object o{{"firstName", first}, {"lastName", "Doe"}, {"email", email}};
  o.set("phone", phone.empty() ? sdk::Value() : sdk::Value(phone));
  return o;
}

std::string str(const MemorySystem::Record* r, const std::string& field) {
  if (r == nullptr) return "<missing record>";
  const sdk::Value* v = r->fields.find(field);
  return v != nullptr && v->isString() ? v->asString() : "<null>";
}

class FlowRunnerTest : public EngineTest {};
FERRY_ENGINE_BACKENDS(FlowRunnerTest);

TEST_P(FlowRunnerTest, InitialLoadCreatesLinksAndThenStaysQuiet) {
  for (int i = 0; i < 120; ++i) {
    crm_.create(contact("n" + std::to_string(i), "p" + std::to_string(i) + "@x.test"));
  }
  auto runner = makeRunner(makeFlow("contacts", SyncMode::kOneWay));
  RunSummary first = runOnce(*runner);
  EXPECT_EQ(first.counts.read, 120);
  EXPECT_EQ(first.counts.created, 120);
  EXPECT_EQ(people_.live().size(), 120u);
  EXPECT_EQ(people_.createOps, 120);
  EXPECT_EQ(*store_->linkCount("contacts"), 120);
  EXPECT_GE(first.batches, 3u);  // 50 per batch

  people_.resetCounters();
  RunSummary second = runOnce(*runner);
  EXPECT_EQ(second.counts.read, 0);
  EXPECT_EQ(people_.writeCalls, 0);
  EXPECT_EQ(people_.lookupCalls, 0);
}

TEST_P(FlowRunnerTest, ChangeToUnmappedFieldIsSkippedWithoutAnyCall) {
  const auto id = crm_.create(contact("Ann", "ann@x.test"));
  auto runner = makeRunner(makeFlow("contacts", SyncMode::kOneWay));
  runOnce(*runner);
  people_.resetCounters();
  crm_.update(id, {{"Title", "CEO"}});
  RunSummary s = runOnce(*runner);
  EXPECT_EQ(s.counts.read, 1);
  EXPECT_EQ(s.counts.unchanged, 1);
  EXPECT_EQ(people_.writeCalls, 0);
  EXPECT_EQ(people_.lookupCalls, 0);
}

TEST_P(FlowRunnerTest, UpdateSendsTheWholeMappedRecordAndNamesTheChangedField) {
  const auto id = crm_.create(contact("Ann", "ann@x.test", "+100"));
  auto runner = makeRunner(makeFlow("contacts", SyncMode::kOneWay));
  runOnce(*runner);
  std::vector<sdk::WriteOp> seen;
  people_.rejectOp = [&](const sdk::WriteOp& op) {
    seen.push_back(op);
    return std::optional<sdk::Error>();
  };
  crm_.update(id, {{"FirstName", "Anna"}});
  RunSummary s = runOnce(*runner);
  EXPECT_EQ(s.counts.updated, 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, sdk::WriteOp::Kind::kUpdate);
  EXPECT_EQ(seen[0].changed, std::vector<std::string>{"firstName"});
  EXPECT_EQ(seen[0].fields.size(), 4u);
  ASSERT_TRUE(seen[0].previous.has_value());
  EXPECT_EQ(*seen[0].previous->find("firstName"), sdk::Value("Ann"));
  EXPECT_EQ(str(people_.live()[0], "firstName"), "Anna");
}

TEST_P(FlowRunnerTest, ExistingPersonIsMatchedInsteadOfDuplicated) {
  people_.create(person("Old", "ANN@x.test"));
  crm_.create(contact("Ann", "ann@x.test"));
  auto runner = makeRunner(makeFlow("contacts", SyncMode::kOneWay));
  RunSummary s = runOnce(*runner);
  EXPECT_EQ(s.counts.created, 0);
  EXPECT_EQ(s.counts.updated, 1);
  ASSERT_EQ(people_.live().size(), 1u);
  EXPECT_EQ(str(people_.live()[0], "firstName"), "Ann");
  EXPECT_EQ(*store_->linkCount("contacts"), 1);
}

TEST_P(FlowRunnerTest, AmbiguousMatchIsParkedOnceAndNeverGuessed) {
  FlowDef flow = makeFlow("contacts", SyncMode::kOneWay);
  flow.match = {{"Email", "email"}, {"Phone", "phone"}};
  people_.create(person("A", "ann@x.test"));
  people_.create(person("B", "other@x.test", "+1555"));
  const auto id = crm_.create(contact("Ann", "ann@x.test", "+1555"));
  auto runner = makeRunner(flow);
  RunSummary s = runOnce(*runner);
  EXPECT_EQ(s.counts.conflicts, 1);
  EXPECT_EQ(people_.writeOps(), 0);
  ConflictFilter filter;
  filter.flow = "contacts";
  auto open = store_->conflicts(filter);
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ(open->front().kind, ConflictKind::kAmbiguousMatch);
  EXPECT_EQ(open->front().sourceId, id);
  EXPECT_EQ(open->front().candidates.size(), 2u);

  crm_.update(id, {{"LastName", "Smith"}});
  auto again = makeRunner(flow);  // a restarted process also knows it is parked
  runOnce(*again);
  EXPECT_EQ(store_->conflicts(filter)->size(), 1u);
  EXPECT_EQ(people_.writeOps(), 0);

  // The operator links it to the first candidate, which gets the record's values.
  const Conflict parked = store_->conflicts(filter)->front();
  EXPECT_FALSE(again->resolveConflict(parked.id, "link:nobody").ok());
  ASSERT_TRUE(again->resolveConflict(parked.id, "link:" + parked.candidates.front()).ok());
  auto link = store_->linksBySource("contacts", {id});
  ASSERT_EQ(link->size(), 1u);
  EXPECT_EQ(link->front().sinkId, parked.candidates.front());
  EXPECT_EQ(str(people_.find(parked.candidates.front()), "firstName"), "Ann");
  EXPECT_EQ(people_.live().size(), 2u);
  crm_.update(id, {{"FirstName", "Annie"}});
  runOnce(*again);
  EXPECT_EQ(str(people_.find(parked.candidates.front()), "firstName"), "Annie");
}

TEST_P(FlowRunnerTest, DeletePolicies) {
  for (auto policy : {DeletePolicy::kIgnore, DeletePolicy::kPropagate, DeletePolicy::kTag}) {
    SCOPED_TRACE(static_cast<int>(policy));
    const std::string name = "del" + std::to_string(static_cast<int>(policy));
    FlowDef flow = makeFlow(name, SyncMode::kOneWay);
    flow.deletes = policy;
    flow.deleteTag = "deletedInCrm";
    const auto id = crm_.create(contact("Del", name + "@x.test"));
    auto runner = makeRunner(flow);
    runOnce(*runner);
    const auto* synced = people_.findBy("email", name + "@x.test");
    ASSERT_NE(synced, nullptr);
    const std::string personId = synced->id;
    crm_.remove(id);
    RunSummary s = runOnce(*runner);
    const auto* after = people_.find(personId);
    ASSERT_NE(after, nullptr);
    switch (policy) {
      case DeletePolicy::kIgnore:
        EXPECT_FALSE(after->deleted);
        EXPECT_EQ(s.counts.deleted, 0);
        break;
      case DeletePolicy::kPropagate:
        EXPECT_TRUE(after->deleted);
        EXPECT_EQ(s.counts.deleted, 1);
        EXPECT_TRUE(store_->linksBySource(name, {id})->empty());
        break;
      case DeletePolicy::kTag:
        EXPECT_FALSE(after->deleted);
        EXPECT_EQ(*after->fields.find("tags"), sdk::Value(sdk::List{"deletedInCrm"}));
        EXPECT_EQ(*after->fields.find("firstName"), sdk::Value("Del"));
        EXPECT_TRUE(store_->linksBySource(name, {id})->empty());
        break;
    }
  }
}

TEST_P(FlowRunnerTest, TwoWayDeleteRacingAnEditOnTheOtherSide) {
  for (auto policy : {DeletePolicy::kPropagate, DeletePolicy::kIgnore}) {
    const std::string name = policy == DeletePolicy::kPropagate ? "race-propagate" : "race-ignore";
    SCOPED_TRACE(name);
    FlowDef flow = makeFlow(name, SyncMode::kTwoWay);
    flow.deletes = policy;
    const auto c = crm_.create(contact("Race", name + "@x.test"));
    auto runner = makeRunner(flow);
    runUntilQuiet(*runner);
    const std::string p = people_.findBy("email", name + "@x.test")->id;
    people_.remove(p);
    crm_.update(c, {{"LastName", "Edited"}});
    runUntilQuiet(*runner);
    if (policy == DeletePolicy::kPropagate) {
      // The delete wins: the edit does not resurrect the person, the contact goes too.
      EXPECT_EQ(people_.findBy("email", name + "@x.test"), nullptr);
      EXPECT_TRUE(crm_.find(c)->deleted);
    } else {
      // Deletes are not propagated: the edited contact is synced to a new person.
      const auto* again = people_.findBy("email", name + "@x.test");
      ASSERT_NE(again, nullptr);
      EXPECT_NE(again->id, p);
      EXPECT_EQ(str(again, "lastName"), "Edited");
      EXPECT_FALSE(crm_.find(c)->deleted);
    }
  }
}

TEST_P(FlowRunnerTest, DeletesReportedByAPushEventPropagate) {
  people_.feedHasDeletes = false;  // like People: deletions come only from webhooks
  FlowDef flow = makeFlow("pushed", SyncMode::kTwoWay);
  flow.deletes = DeletePolicy::kPropagate;
  const auto c = crm_.create(contact("Ann", "ann@x.test"));
  auto runner = makeRunner(flow);
  runUntilQuiet(*runner);
  const std::string p = people_.live()[0]->id;
  people_.remove(p);
  runOnce(*runner);
  EXPECT_FALSE(crm_.find(c)->deleted);  // the feed never says
  RunOptions options;
  options.deletedSinkIds = {p, "P-unknown"};
  RunSummary s = runner->run(options);
  EXPECT_EQ(s.status, RunStatus::kSucceeded) << s.error;
  EXPECT_EQ(s.counts.deleted, 1);
  EXPECT_TRUE(crm_.find(c)->deleted);
  EXPECT_TRUE(store_->linksBySource("pushed", {c})->empty());
}

TEST_P(FlowRunnerTest, OneWayUpdateOfAVanishedRecordCreatesItAgain) {
  FlowDef flow = makeFlow("vanished", SyncMode::kOneWay);
  flow.match = {};
  const auto c = crm_.create(contact("Ann", "ann@x.test"));
  auto runner = makeRunner(flow);
  runOnce(*runner);
  const std::string first = people_.live()[0]->id;
  people_.remove(first);  // deleted in the sink; nobody told ferry
  crm_.update(c, {{"LastName", "Again"}});
  RunSummary s = runOnce(*runner);
  EXPECT_EQ(s.counts.rejected, 1);
  EXPECT_TRUE(store_->linksBySource("vanished", {c})->empty());
  clock_.advance(std::chrono::seconds(2));  // the retry's backoff
  runOnce(*runner);
  ASSERT_EQ(people_.live().size(), 1u);
  EXPECT_NE(people_.live()[0]->id, first);
  EXPECT_EQ(str(people_.live()[0], "lastName"), "Again");
  DeadLetterFilter pending;
  pending.flow = "vanished";
  pending.status = DeadLetterStatus::kPending;
  EXPECT_EQ(*store_->countDeadLetters(pending), 0);
}

TEST_P(FlowRunnerTest, MappingFailureIsDeadLetteredAndRetriedByTheOperator) {
  auto mapping = contactMapping();
  bool broken = true;
  mapping->failWhen = [&](const Object& r) -> std::optional<std::string> {
    if (broken && r.find("Email")->asString() == "bad@x.test") return "Email: not allowed";
    return std::nullopt;
  };
  crm_.create(contact("Ok", "ok@x.test"));
  const auto badId = crm_.create(contact("Bad", "bad@x.test"));
  auto runner = makeRunner(makeFlow("contacts", SyncMode::kOneWay, mapping));
  RunSummary s = runOnce(*runner);
  EXPECT_EQ(s.counts.created, 1);
  EXPECT_EQ(s.counts.rejected, 1);
  DeadLetterFilter pending;
  pending.flow = "contacts";
  pending.status = DeadLetterStatus::kPending;
  auto letters = store_->deadLetters(pending);
  ASSERT_EQ(letters->size(), 1u);
  const DeadLetter& letter = letters->front();
  EXPECT_EQ(letter.recordId, badId);
  EXPECT_EQ(letter.reason, "Email: not allowed");
  EXPECT_EQ(letter.errorCode, "MAPPING_FAILED");
  EXPECT_FALSE(letter.retriable);
  EXPECT_EQ(letter.nextRetryAtMs, 0);
  EXPECT_EQ(*letter.payload.find("FirstName"), sdk::Value("Bad"));

  clock_.advance(std::chrono::hours(24));
  runOnce(*runner);  // permanent: no automatic retry
  EXPECT_EQ(people_.live().size(), 1u);

  broken = false;  // the operator fixed the mapping
  auto retried = runner->retryDeadLetter(letter.id);
  ASSERT_TRUE(retried.ok()) << retried.error().describe();
  EXPECT_EQ(retried->resolved, 1u);
  EXPECT_EQ(people_.live().size(), 2u);
  EXPECT_EQ((*store_->deadLetter(letter.id))->status, DeadLetterStatus::kResolved);
}

// A rejected record that the source keeps re-reading in its overlap window is not written again
// on every poll: that version already waits as a dead letter. A new version is written at once.
TEST_P(FlowRunnerTest, RejectedVersionReReadInTheOverlapIsNotWrittenAgain) {
  int rejections = 0;
  people_.rejectOp = [&](const sdk::WriteOp& op) -> std::optional<sdk::Error> {
    const sdk::Value* first = findPath(op.fields, "firstName");
    if (first == nullptr || !first->isString() || first->asString() != "Bad") return std::nullopt;
    ++rejections;
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument, "invalid", false, "INVALID");
  };
  crm_.overlapMs = 60'000;
  const auto badId = crm_.create(contact("Bad", "bad@x.test"));
  auto runner = makeRunner(makeFlow("contacts", SyncMode::kOneWay));
  runOnce(*runner);
  EXPECT_EQ(rejections, 1);
  clock_.advance(std::chrono::seconds(10));
  RunSummary again = runOnce(*runner);  // re-reads the same version inside the overlap
  EXPECT_EQ(rejections, 1);
  EXPECT_EQ(again.counts.rejected, 0);
  DeadLetterFilter pending;
  pending.flow = "contacts";
  pending.status = DeadLetterStatus::kPending;
  EXPECT_EQ(*store_->countDeadLetters(pending), 1);

  crm_.update(badId, Object{{"FirstName", "Bad"}, {"LastName", "Changed"}});  // a new version
  clock_.advance(std::chrono::seconds(10));
  runOnce(*runner);
  EXPECT_EQ(rejections, 2);  // sent again, refused again, parked afresh
  EXPECT_EQ(*store_->countDeadLetters(pending), 1);
}

TEST_P(FlowRunnerTest, TransientRejectionsBackOffAcrossRunsThenWait) {
  int rejections = 0;
  people_.rejectOp = [&](const sdk::WriteOp&) -> std::optional<sdk::Error> {
    ++rejections;
    return sdk::Error::make(sdk::ErrorCode::kUnavailable, "locked row", true, "UNABLE_TO_LOCK_ROW");
  };
  crm_.create(contact("Ann", "ann@x.test"));
  auto runner = makeRunner(makeFlow("contacts", SyncMode::kOneWay));  // maxAttempts 3, 1s base
  runOnce(*runner);
  DeadLetterFilter pending;
  pending.flow = "contacts";
  auto letters = store_->deadLetters(pending);
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_TRUE(letters->front().retriable);
  EXPECT_EQ(letters->front().errorCode, "UNABLE_TO_LOCK_ROW");
  EXPECT_EQ(letters->front().attempts, 1);
  EXPECT_EQ(letters->front().nextRetryAtMs, clock_.nowMs() + 1000);

  runOnce(*runner);  // not due yet
  EXPECT_EQ(rejections, 1);
  clock_.advance(std::chrono::milliseconds(1000));
  runOnce(*runner);
  EXPECT_EQ(rejections, 2);
  auto second = store_->deadLetter(letters->front().id);
  EXPECT_EQ((*second)->attempts, 2);
  EXPECT_EQ((*second)->nextRetryAtMs, clock_.nowMs() + 2000);  // doubled
  clock_.advance(std::chrono::milliseconds(2000));
  runOnce(*runner);
  EXPECT_EQ(rejections, 3);
  auto third = store_->deadLetter(letters->front().id);
  EXPECT_EQ((*third)->attempts, 3);
  EXPECT_EQ((*third)->nextRetryAtMs, 0);  // attempts used up: waits for an operator
  clock_.advance(std::chrono::hours(1));
  runOnce(*runner);
  EXPECT_EQ(rejections, 3);

  people_.rejectOp = nullptr;
  DeadLetterFilter all;
  all.flow = "contacts";
  auto retried = runner->retryDeadLetters(all);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->resolved, 1u);
  EXPECT_EQ(people_.live().size(), 1u);
}

TEST_P(FlowRunnerTest, WholeWriteFailureRetriesThenFailsTheRunWithoutAdvancing) {
  crm_.create(contact("Ann", "ann@x.test"));
  auto runner = makeRunner(makeFlow("contacts", SyncMode::kOneWay));
  people_.failWriteCalls = 2;  // two failures, third attempt succeeds within the batch
  RunSummary ok = runOnce(*runner);
  EXPECT_EQ(ok.counts.created, 1);

  crm_.create(contact("Bob", "bob@x.test"));
  people_.failWriteCalls = 10;
  RunSummary failed = runner->run();
  EXPECT_EQ(failed.status, RunStatus::kFailed);
  EXPECT_NE(failed.error.find("injected"), std::string::npos);
  people_.failWriteCalls = 0;
  RunSummary replay = runOnce(*runner);
  EXPECT_EQ(replay.counts.created, 1);
  EXPECT_EQ(people_.live().size(), 2u);
}

// A stop requested while a remote call keeps failing (an outage) does not sit out the retry
// backoff: the run ends at once as abandoned, the failed batch uncommitted, and the next run
// writes it.
TEST_P(FlowRunnerTest, StopDuringAnOutageAbandonsTheRunWithoutWaitingOutTheRetries) {
  crm_.create(contact("Ann", "ann@x.test"));
  auto runner = makeRunner(makeFlow("contacts", SyncMode::kOneWay));
  people_.failWriteCalls = 10;
  const std::int64_t before = clock_.nowMs();
  int asked = 0;
  RunOptions options;
  options.shouldStop = [&] { return ++asked > 3; };  // the stop comes while the write retries
  RunSummary stopped = runner->run(options);
  EXPECT_EQ(stopped.status, RunStatus::kAbandoned) << stopped.error;
  EXPECT_NE(stopped.error.find("injected"), std::string::npos) << stopped.error;
  EXPECT_LE(clock_.nowMs() - before, 200) << "waited out the retry backoff";
  EXPECT_TRUE(people_.live().empty());

  people_.failWriteCalls = 0;
  RunSummary next = runOnce(*runner);
  EXPECT_EQ(next.counts.created, 1);
  EXPECT_EQ(people_.live().size(), 1u);
}

TEST_P(FlowRunnerTest, CrashBetweenWriteAndCommitReplaysWithoutDuplicates) {
  for (int i = 0; i < 30; ++i) crm_.create(contact("n", "p" + std::to_string(i) + "@x.test"));
  // A second group without match keys: only the idempotency key protects their replay.
  for (int i = 0; i < 20; ++i) crm_.create(contact("k" + std::to_string(i), ""));
  FlowDef flow = makeFlow("contacts", SyncMode::kOneWay);
  crm_.batchLimit = 20;
  people_.batchLimit = 20;
  CrashingStore crashing(*store_);
  // Each doomed process gets one batch further than the last before dying.
  for (int crashAt : {1, 2, 2}) {
    crashing.crashAtCommit(crashAt);
    FlowRunner doomed(flow, {&crm_, &crm_, "Contact", "Id"}, {&people_, &people_, "Person", "id"},
                      crashing, clock_);
    RunSummary s = doomed.run();
    EXPECT_EQ(s.status, RunStatus::kFailed);
    crashing.disarm();
  }
  auto runner = makeRunner(flow);
  runUntilQuiet(*runner);
  EXPECT_EQ(people_.live().size(), 50u);
  EXPECT_EQ(*store_->linkCount("contacts"), 50);
  for (int i = 0; i < 30; ++i) {
    EXPECT_NE(people_.findBy("email", "p" + std::to_string(i) + "@x.test"), nullptr);
  }
}

TEST_P(FlowRunnerTest, SharedTimestampAcrossPagesAndLateCommitSyncExactlyOnce) {
  crm_.batchLimit = 50;
  crm_.overlapMs = 60'000;
  const std::int64_t t = 1'700'000'100'000;
  for (int i = 0; i < 130; ++i) {
    crm_.createAt(contact("s", "same" + std::to_string(i) + "@x.test"), t);
  }
  // Committed late: written with an earlier timestamp, visible only after the first run.
  const auto late = crm_.createAt(contact("late", "late@x.test"), t - 5'000, true);
  auto runner = makeRunner(makeFlow("contacts", SyncMode::kOneWay));
  RunSummary first = runOnce(*runner);
  EXPECT_EQ(first.counts.created, 130);
  crm_.reveal(late);
  RunSummary second = runOnce(*runner);
  EXPECT_EQ(second.counts.created, 1);
  EXPECT_EQ(second.counts.unchanged, 130);  // the overlap re-read, suppressed by the bases
  RunSummary third = runOnce(*runner);
  EXPECT_EQ(third.counts.created, 0);
  EXPECT_EQ(people_.createOps, 131);
  EXPECT_EQ(people_.updateOps, 0);
  EXPECT_EQ(people_.live().size(), 131u);
}

TEST_P(FlowRunnerTest, TwoWayCarriesOneSidedChangesBothWaysWithoutEcho) {
  const auto c = crm_.create(contact("Ann", "ann@x.test"));
  const auto p = people_.create(person("Bob", "bob@x.test"));
  auto runner = makeRunner(makeFlow("contacts", SyncMode::kTwoWay));
  EXPECT_LE(runUntilQuiet(*runner), 2);
  EXPECT_EQ(crm_.live().size(), 2u);
  EXPECT_EQ(people_.live().size(), 2u);
  EXPECT_EQ(str(crm_.findBy("Email", "bob@x.test"), "FirstName"), "Bob");

  crm_.update(c, {{"LastName", "FromCrm"}});
  people_.update(p, {{"phone", "+1999"}});
  crm_.resetCounters();
  people_.resetCounters();
  runOnce(*runner);
  EXPECT_EQ(str(people_.findBy("email", "ann@x.test"), "lastName"), "FromCrm");
  EXPECT_EQ(str(crm_.findBy("Email", "bob@x.test"), "Phone"), "+1999");
  EXPECT_EQ(crm_.updateOps, 1);
  EXPECT_EQ(people_.updateOps, 1);
  crm_.resetCounters();
  people_.resetCounters();
  runOnce(*runner);
  EXPECT_EQ(crm_.writeOps() + people_.writeOps(), 0);  // our own writes did not come back
}

struct PolicyCase {
  ConflictPolicy policy;
  bool crmNewer;
  std::string expected;  // first name on both sides afterwards ("" = each keeps its own)
};

TEST_P(FlowRunnerTest, ConflictPolicies) {
  const std::vector<PolicyCase> cases = {
      {ConflictPolicy::kSourceWins, false, "Crm"}, {ConflictPolicy::kSinkWins, true, "People"},
      {ConflictPolicy::kNewestWins, true, "Crm"},  {ConflictPolicy::kNewestWins, false, "People"},
      {ConflictPolicy::kManual, true, ""},
  };
  int n = 0;
  for (const auto& tc : cases) {
    const std::string name = "conflict" + std::to_string(n++);
    SCOPED_TRACE(name);
    FlowDef flow = makeFlow(name, SyncMode::kTwoWay);
    flow.conflicts = tc.policy;
    const std::string email = name + "@x.test";
    const auto c = crm_.create(contact("Base", email));
    auto runner = makeRunner(flow);
    runUntilQuiet(*runner);
    const std::string p = people_.findBy("email", email)->id;
    if (tc.crmNewer) {
      people_.update(p, {{"firstName", "People"}});
      crm_.update(c, {{"FirstName", "Crm"}, {"LastName", "Other"}});
    } else {
      crm_.update(c, {{"FirstName", "Crm"}, {"LastName", "Other"}});
      people_.update(p, {{"firstName", "People"}});
    }
    runUntilQuiet(*runner);
    // The non-conflicting change always crosses.
    EXPECT_EQ(str(people_.find(p), "lastName"), "Other");
    if (tc.expected.empty()) {
      EXPECT_EQ(str(crm_.find(c), "FirstName"), "Crm");
      EXPECT_EQ(str(people_.find(p), "firstName"), "People");
      ConflictFilter filter;
      filter.flow = name;
      auto parked = store_->conflicts(filter);
      ASSERT_EQ(parked->size(), 1u);
      EXPECT_EQ(parked->front().kind, ConflictKind::kFieldConflict);
      EXPECT_EQ(parked->front().fields, std::vector<std::string>{"firstName"});
      EXPECT_EQ(*parked->front().sourceValues.find("firstName"), sdk::Value("Crm"));
      EXPECT_EQ(*parked->front().sinkValues.find("firstName"), sdk::Value("People"));
      EXPECT_EQ(*parked->front().base.find("firstName"), sdk::Value("Base"));
      crm_.update(c, {{"Phone", "+1"}});
      runUntilQuiet(*runner);
      EXPECT_EQ(store_->conflicts(filter)->size(), 1u);  // parked once, not again
      EXPECT_EQ(str(people_.find(p), "phone"), "+1");
      // The operator picks the sink's value: it lands on both sides, the field syncs again.
      const std::int64_t id = store_->conflicts(filter)->front().id;
      EXPECT_FALSE(runner->resolveConflict(id, "neither").ok());
      ASSERT_TRUE(runner->resolveConflict(id, "sink").ok());
      EXPECT_EQ(str(crm_.find(c), "FirstName"), "People");
      EXPECT_EQ((*store_->conflict(id))->status, ConflictStatus::kResolved);
      EXPECT_FALSE(runner->resolveConflict(id, "sink").ok());  // already resolved
      crm_.update(c, {{"FirstName", "Later"}});
      runUntilQuiet(*runner);
      EXPECT_EQ(str(people_.find(p), "firstName"), "Later");
    } else {
      EXPECT_EQ(str(crm_.find(c), "FirstName"), tc.expected);
      EXPECT_EQ(str(people_.find(p), "firstName"), tc.expected);
    }
  }
}

TEST_P(FlowRunnerTest, ConvertedLeadKeepsOnePersonWhichBecomesACustomer) {
  MemorySystem leads{"L", "Id", [this] { return ++tick_; }};
  MemorySystem contacts{"C", "Id", [this] { return ++tick_; }};
  FlowDef leadFlow = makeFlow("leads", SyncMode::kOneWay, contactMapping({{"type", "LEAD"}}));
  leadFlow.source.entity = "Lead";
  leadFlow.match = {};  // no shared key: only the link handoff can avoid a duplicate
  FlowDef contactFlow =
      makeFlow("contacts", SyncMode::kOneWay, contactMapping({{"type", "CUSTOMER"}}));
  contactFlow.match = {};
  auto leadRunner = makeRunner(leadFlow, leads, people_);
  auto contactRunner = makeRunner(contactFlow, contacts, people_);
  leadRunner->setSuccessorRouter([](const sdk::Successor& s) {
    return s.entity == "Contact" ? std::string("contacts") : std::string();
  });

  const auto lead = leads.create(contact("Lea", "lea@x.test"));
  runOnce(*leadRunner);
  ASSERT_EQ(people_.live().size(), 1u);
  const std::string personId = people_.live()[0]->id;
  EXPECT_EQ(str(people_.live()[0], "type"), "LEAD");

  const auto converted = contacts.create(contact("Lea", "lea@x.test"));
  leads.setSuccessor(lead, {sdk::Successor::Reason::kConverted, "Contact", converted});
  runOnce(*leadRunner);
  runOnce(*contactRunner);
  ASSERT_EQ(people_.live().size(), 1u);
  EXPECT_EQ(people_.live()[0]->id, personId);
  EXPECT_EQ(str(people_.live()[0], "type"), "CUSTOMER");
  EXPECT_TRUE(store_->linksBySource("leads", {lead})->empty());
  auto link = store_->linksBySource("contacts", {converted});
  ASSERT_EQ(link->size(), 1u);
  EXPECT_EQ(link->front().sinkId, personId);
}

TEST_P(FlowRunnerTest, MergedRecordRepointsItsLinkToTheWinner) {
  FlowDef flow = makeFlow("contacts", SyncMode::kOneWay);
  flow.match = {};
  const auto loser = crm_.create(contact("Dup", "dup@x.test"));
  auto runner = makeRunner(flow);
  runOnce(*runner);
  const std::string personId = people_.live()[0]->id;
  // The winner appears with the merge (it had not synced yet) and the loser is merged into it.
  const auto winner = crm_.create(contact("Dup", "dup@x.test"));
  crm_.setSuccessor(loser, {sdk::Successor::Reason::kMerged, "Contact", winner});
  // Successors are handled before the rest of the batch: the winner finds the handed-over link
  // instead of creating a second person.
  runOnce(*runner);
  runOnce(*runner);
  EXPECT_EQ(store_->linksBySource("contacts", {loser})->size(), 0u);
  ASSERT_EQ(people_.live().size(), 1u);
  EXPECT_EQ(store_->linksBySource("contacts", {winner})->front().sinkId, personId);
}

}  // namespace
}  // namespace ferry::host::engine::testing
