#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ferry/sdk/testing/fake_host.hpp>

#include "connector.hpp"
#include "temp_dir.hpp"

namespace ferry::plugins::jsonl {
namespace {

using sdk::Object;
using sdk::Value;
using sdk::WriteOp;
using sdk::WriteResult;
using ::testing::HasSubstr;
using testing::TempDir;
using Outcome = WriteResult::Outcome;

Object contactEntities() {
  return Object{
      {"Contact",
       Object{{"modifiedAt", "updatedAt"},
              {"fields",
               Object{{"email", "email"},
                      {"name", Object{{"type", "string"}, {"required", true}, {"maxLength", 20}}},
                      {"born", "date"},
                      {"score", "integer"},
                      {"updatedAt", "datetime"}}}}}};
}

class JsonlConnectorTest : public ::testing::Test {
 protected:
  std::unique_ptr<JsonlConnector> make(Object extra = {}) {
    Object settings{{"directory", dir.path().string()}, {"entities", contactEntities()}};
    for (const auto& [k, v] : extra) settings.set(k, v);
    auto config = parseConfig(settings);
    EXPECT_TRUE(config.ok()) << config.error().message;
    auto c = std::make_unique<JsonlConnector>(std::move(config.value()), host.context(settings));
    EXPECT_TRUE(c->start().ok());
    return c;
  }

  static WriteOp create(Object fields, std::string key = {}) {
    WriteOp op;
    op.kind = WriteOp::Kind::kCreate;
    op.fields = std::move(fields);
    op.idempotencyKey = std::move(key);
    return op;
  }
  static WriteOp update(std::string id, Object fields) {
    WriteOp op;
    op.kind = WriteOp::Kind::kUpdate;
    op.id = std::move(id);
    op.fields = std::move(fields);
    return op;
  }
  static WriteOp remove(std::string id) {
    WriteOp op;
    op.kind = WriteOp::Kind::kDelete;
    op.id = std::move(id);
    return op;
  }
  static sdk::ReadRequest readFrom(std::string cursor, std::size_t limit = 100) {
    sdk::ReadRequest r;
    r.entity = "Contact";
    r.cursor = std::move(cursor);
    r.limit = limit;
    return r;
  }

  TempDir dir;
  sdk::testing::FakeHost host;
};

TEST_F(JsonlConnectorTest, WritesThenReadsBackTheChanges) {
  auto c = make();
  auto written =
      c->write("Contact", {create({{"id", "c1"}, {"name", "Ada"}, {"born", "1815-12-10"}}),
                           create({{"name", "Grace"}}, "sf-003"), create({{"name", "Linus"}})});
  ASSERT_TRUE(written.ok()) << written.error().describe();
  ASSERT_EQ(written->size(), 3u);
  EXPECT_EQ((*written)[0].outcome, Outcome::kCreated);
  EXPECT_EQ((*written)[0].id, "c1");
  EXPECT_EQ((*written)[1].id, "sf-003");    // the idempotency key becomes the id
  EXPECT_EQ((*written)[2].id.size(), 16u);  // generated

  auto del = c->write("Contact", {remove("c1")});
  ASSERT_TRUE(del.ok());
  EXPECT_EQ((*del)[0].outcome, Outcome::kDeleted);

  auto batch = c->read(readFrom(""));
  ASSERT_TRUE(batch.ok()) << batch.error().describe();
  ASSERT_EQ(batch->changes.size(), 4u);
  EXPECT_EQ(batch->changes[0].id, "c1");
  EXPECT_EQ(*batch->changes[0].fields.find("born"), Value(sdk::Date{1815, 12, 10}));
  EXPECT_EQ(batch->changes[0].modifiedAtMs, host.clock.nowMs());
  EXPECT_EQ(batch->changes[3].op, sdk::Change::Op::kDelete);
  EXPECT_EQ(batch->changes[3].id, "c1");
  EXPECT_FALSE(batch->hasMore);
  EXPECT_EQ(batch->nextCursor,
            std::to_string(std::filesystem::file_size(dir.file("Contact.jsonl"))));
  EXPECT_THAT(dir.read("Contact.jsonl"), HasSubstr(R"({"_deleted":true,"id":"c1"})"));
}

TEST_F(JsonlConnectorTest, CursorPagesThroughTheFile) {
  dir.write("Contact.jsonl", R"({"id":"1","name":"a"})"
                             "\n"
                             R"({"id":"2","name":"b"})"
                             "\n"
                             R"({"id":"3","name":"c"})"
                             "\n");
  auto c = make();
  auto first = c->read(readFrom("", 2));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->changes.size(), 2u);
  EXPECT_TRUE(first->hasMore);
  EXPECT_EQ(first->remaining, std::optional<std::uint64_t>(1));  // lines of one length: exact
  auto second = c->read(readFrom(first->nextCursor, 2));
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->changes.size(), 1u);
  EXPECT_EQ(second->changes[0].id, "3");
  EXPECT_FALSE(second->hasMore);
  EXPECT_EQ(second->remaining, std::optional<std::uint64_t>(0));
  auto third = c->read(readFrom(second->nextCursor, 2));
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->changes.empty());
  EXPECT_EQ(third->nextCursor, second->nextCursor);
  EXPECT_FALSE(c->read(readFrom("abc")).ok());
  EXPECT_FALSE(c->read(readFrom("99999")).ok());
}

TEST_F(JsonlConnectorTest, ReadEstimatesTheChangesLeftFromTheBytesLeft) {
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text += R"({"id":")" + std::to_string(1000 + i) + R"(","name":"n"})" + "\n";
  }
  dir.write("Contact.jsonl", text);
  auto c = make();
  auto first = c->read(readFrom("", 30));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->remaining, std::optional<std::uint64_t>(70));
  auto second = c->read(readFrom(first->nextCursor, 60));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->remaining, std::optional<std::uint64_t>(10));
}

TEST_F(JsonlConnectorTest, ReadProjectsRequestedFieldsAndSkipsBadLines) {
  dir.write("Contact.jsonl",
            "not json\n"
            R"({"id":"1","name":"a","score":3})"
            "\n"
            R"({"name":"no id"})"
            "\n"
            "[1]\n");
  auto c = make();
  auto req = readFrom("");
  req.fields = {"score"};
  auto batch = c->read(req);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->changes.size(), 1u);
  EXPECT_EQ(batch->changes[0].fields, (Object{{"id", "1"}, {"score", 3}}));
  EXPECT_TRUE(host.logger.contains("skipped line at byte 0: not JSON", sdk::LogLevel::kWarn));
  EXPECT_TRUE(host.logger.contains("no usable 'id'"));
  EXPECT_TRUE(host.logger.contains("not a JSON object"));
  EXPECT_DOUBLE_EQ(host.metrics.value("jsonl_invalid_lines", "Contact"), 3);
}

TEST_F(JsonlConnectorTest, UpdatesAreUnchangedWhenValuesAreEqual) {
  auto c = make();
  ASSERT_TRUE(c->write("Contact", {create({{"id", "c1"}, {"name", "Ada"}, {"score", 1}})}).ok());
  const auto sizeBefore = std::filesystem::file_size(dir.file("Contact.jsonl"));
  auto same = c->write("Contact", {update("c1", {{"score", 1.0}})});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ((*same)[0].outcome, Outcome::kUnchanged);
  EXPECT_EQ(std::filesystem::file_size(dir.file("Contact.jsonl")), sizeBefore);

  host.clock.advance(std::chrono::seconds(5));
  auto changed = c->write("Contact", {update("c1", {{"score", 2}})});
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ((*changed)[0].outcome, Outcome::kUpdated);
  auto found = c->lookup("Contact", {sdk::LookupQuery{{{"id", "c1"}}}}, {});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ((*found)[0].size(), 1u);
  // Unmapped fields kept, the update applied, modifiedAt stamped from the host clock.
  EXPECT_EQ(*(*found)[0][0].fields.find("name"), Value("Ada"));
  EXPECT_EQ(*(*found)[0][0].fields.find("score"), Value(2));
  EXPECT_EQ((*found)[0][0].modifiedAtMs, host.clock.nowMs());
}

TEST_F(JsonlConnectorTest, ReplayedCreateWithTheSameKeyDoesNotDuplicate) {
  auto c = make();
  ASSERT_TRUE(c->write("Contact", {create({{"name", "Ada"}}, "sf-1")}).ok());
  auto replay = c->write("Contact", {create({{"name", "Ada"}}, "sf-1")});
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ((*replay)[0].outcome, Outcome::kUnchanged);
  EXPECT_EQ((*replay)[0].id, "sf-1");
  auto found = c->lookup("Contact", {sdk::LookupQuery{{{"name", "Ada"}}}}, {});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)[0].size(), 1u);
}

TEST_F(JsonlConnectorTest, LookupByAnyFieldWithCaseInsensitiveEmails) {
  dir.write("Contact.jsonl", R"({"id":"1","name":"a","email":"Ada@Example.com"})"
                             "\n"
                             R"({"id":"2","name":"b","email":"b@example.com","score":7})"
                             "\n");
  auto c = make();
  auto found =
      c->lookup("Contact",
                {sdk::LookupQuery{{{"email", "ada@example.COM"}}},
                 sdk::LookupQuery{{{"email", "nobody@x"}, {"score", 7.0}}},
                 sdk::LookupQuery{{{"id", "404"}}}, sdk::LookupQuery{{{"email", nullptr}}}},
                {"email"});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 4u);
  ASSERT_EQ((*found)[0].size(), 1u);
  EXPECT_EQ((*found)[0][0].id, "1");
  EXPECT_EQ((*found)[0][0].fields, (Object{{"email", "Ada@Example.com"}, {"id", "1"}}));
  ASSERT_EQ((*found)[1].size(), 1u);
  EXPECT_EQ((*found)[1][0].id, "2");
  EXPECT_TRUE((*found)[2].empty());
  EXPECT_TRUE((*found)[3].empty());

  // The index follows writes (including other writers' appends).
  ASSERT_TRUE(c->write("Contact", {update("1", {{"email", "new@example.com"}})}).ok());
  dir.write("Contact.jsonl",
            R"({"id":"3","name":"c","email":"ADA@example.com"})"
            "\n",
            true);
  auto again = c->lookup("Contact",
                         {sdk::LookupQuery{{{"email", "ada@example.com"}}},
                          sdk::LookupQuery{{{"email", "NEW@example.com"}}}},
                         {});
  ASSERT_TRUE(again.ok());
  ASSERT_EQ((*again)[0].size(), 1u);
  EXPECT_EQ((*again)[0][0].id, "3");
  ASSERT_EQ((*again)[1].size(), 1u);
  EXPECT_EQ((*again)[1][0].id, "1");
}

TEST_F(JsonlConnectorTest, RejectsRecordsThatDoNotFitTheSchema) {
  auto c = make();
  auto results =
      c->write("Contact", {create({{"score", 1}}), create({{"name", "x"}, {"score", "high"}}),
                           create({{"name", std::string(21, 'n')}}),
                           create({{"name", "x"}, {"colour", "red"}}),
                           update("missing", {{"name", "x"}}), create({{"name", "ok"}})});
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), 6u);
  EXPECT_EQ((*results)[0].outcome, Outcome::kRejected);
  EXPECT_EQ((*results)[0].field, "name");
  EXPECT_THAT((*results)[0].error->message, HasSubstr("required field 'name' is missing"));
  EXPECT_EQ((*results)[1].field, "score");
  EXPECT_THAT((*results)[1].error->message, HasSubstr("expects integer, got string"));
  EXPECT_THAT((*results)[2].error->message, HasSubstr("longer than 20"));
  EXPECT_THAT((*results)[3].error->message, HasSubstr("unknown field 'colour'"));
  EXPECT_EQ((*results)[4].error->code, sdk::ErrorCode::kNotFound);
  EXPECT_FALSE((*results)[4].error->retriable);
  EXPECT_EQ((*results)[5].outcome, Outcome::kCreated);
  auto batch = c->read(readFrom(""));
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->changes.size(), 1u);  // only the valid record was written
}

TEST_F(JsonlConnectorTest, OpsInOneBatchSeeEachOther) {
  auto c = make();
  auto results =
      c->write("Contact", {create({{"id", "a"}, {"name", "x"}}), update("a", {{"name", "y"}}),
                           remove("a"), update("a", {{"name", "z"}})});
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)[1].outcome, Outcome::kUpdated);
  EXPECT_EQ((*results)[2].outcome, Outcome::kDeleted);
  EXPECT_EQ((*results)[3].outcome, Outcome::kRejected);
}

TEST_F(JsonlConnectorTest, AppendAfterAPartialLineStartsOnAFreshLine) {
  dir.write("Contact.jsonl", R"({"id":"1","name":"a"})"
                             "\n"
                             R"({"id":"2","na)");  // crash
  auto c = make();
  ASSERT_TRUE(c->write("Contact", {create({{"id", "3"}, {"name", "c"}})}).ok());
  auto batch = c->read(readFrom(""));
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->changes.size(), 2u);
  EXPECT_EQ(batch->changes[1].id, "3");
  EXPECT_TRUE(host.logger.contains("skipped line"));
}

TEST_F(JsonlConnectorTest, UnknownEntityAndMissingDirectoryAreClearErrors) {
  auto c = make();
  auto bad = c->read([] {
    sdk::ReadRequest r;
    r.entity = "Lead";
    return r;
  }());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "unknown entity 'Lead' (declared: Contact)");

  Object settings{{"directory", (dir.path() / "nope").string()}, {"entities", contactEntities()}};
  auto config = parseConfig(settings);
  ASSERT_TRUE(config.ok());
  JsonlConnector missing(std::move(config.value()), host.context(settings));
  auto started = missing.start();
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.error().message, HasSubstr("does not exist"));
}

TEST_F(JsonlConnectorTest, DescribeReturnsTheDeclaredEntities) {
  auto c = make();
  auto entities = c->describe();
  ASSERT_TRUE(entities.ok());
  ASSERT_EQ(entities->size(), 1u);
  EXPECT_EQ((*entities)[0].name, "Contact");
  EXPECT_NE((*entities)[0].field("email"), nullptr);
  EXPECT_EQ(c->maxBatch("Contact"), 1000u);
  auto small = make({{"maxBatch", 2}});
  EXPECT_FALSE(small
                   ->write("Contact", {create({{"name", "a"}}), create({{"name", "b"}}),
                                       create({{"name", "c"}})})
                   .ok());
}

}  // namespace
}  // namespace ferry::plugins::jsonl
