// The sink's on-disk index: it follows the file (appends by anyone, replacement, rewrites in
// place), survives restarts, rebuilds itself when broken, and can be shared by two writers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include <ferry/sdk/testing/memory_services.hpp>

#include "records.hpp"
#include "table.hpp"
#include "temp_dir.hpp"

namespace ferry::plugins::jsonl {
namespace {

using sdk::Object;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::TempDir;

class TableTest : public ::testing::Test {
 protected:
  TableTest() {
    auto config = parseConfig(Object{
        {"directory", dir.path().string()},
        {"entities",
         Object{{"Person", Object{{"fields", Object{{"email", "email"}, {"city", "string"}}}}}}}});
    EXPECT_TRUE(config.ok()) << config.error().message;
    config_ = std::move(config.value());
  }

  const EntityConfig& entity() const { return config_.entities.front(); }

  std::unique_ptr<Table> open() {
    auto table = Table::open(entity(), false, &log);
    EXPECT_TRUE(table.ok()) << table.error().message;
    if (!table) return nullptr;
    EXPECT_TRUE((*table)->refresh().ok());
    return std::move(*table);
  }

  static Table::Change put(const std::string& id, const std::string& email,
                           const std::string& city = "Zagreb") {
    return {id, Object{{"id", id}, {"email", email}, {"city", city}}};
  }
  static Table::Change drop(const std::string& id) { return {id, std::nullopt}; }

  static std::vector<std::string> find(Table& t, const std::string& field,
                                       const std::string& value) {
    auto ids = t.find(field, sdk::Value(value));
    EXPECT_TRUE(ids.ok()) << ids.error().message;
    return ids ? *ids : std::vector<std::string>{};
  }
  static std::string emailOf(Table& t, const std::string& id) {
    auto record = t.get(id);
    EXPECT_TRUE(record.ok()) << record.error().message;
    if (!record || !*record) return "<none>";
    const sdk::Value* email = (*record)->find("email");
    return email != nullptr && email->isString() ? email->asString() : "<no email>";
  }
  std::uint64_t count(Table& t) {
    auto n = t.size();
    EXPECT_TRUE(n.ok()) << n.error().message;
    return n ? *n : 0;
  }

  TempDir dir;
  Config config_;
  sdk::testing::CapturedLogger log;
};

TEST_F(TableTest, IndexesAppendsAndKeepsTheLatestLinePerId) {
  auto t = open();
  ASSERT_TRUE(t->append({put("a", "Ana@Example.com"), put("b", "bo@example.com")}).ok());
  EXPECT_THAT(find(*t, "email", "ana@example.COM"), ElementsAre("a"));  // case-insensitive
  ASSERT_TRUE(t->append({put("a", "ana@new.example"), drop("b")}).ok());
  EXPECT_THAT(find(*t, "email", "ana@example.com"), IsEmpty());  // the old key went with it
  EXPECT_THAT(find(*t, "email", "ana@new.example"), ElementsAre("a"));
  EXPECT_THAT(find(*t, "email", "bo@example.com"), IsEmpty());
  EXPECT_EQ(emailOf(*t, "a"), "ana@new.example");
  EXPECT_EQ(emailOf(*t, "b"), "<none>");
  EXPECT_EQ(count(*t), 1u);
}

TEST_F(TableTest, LinesAppendedByOtherProgramsAreIndexedOnTheNextCall) {
  auto t = open();
  ASSERT_TRUE(t->append({put("a", "a@example.com")}).ok());
  EXPECT_THAT(find(*t, "city", "Split"), IsEmpty());  // builds the city index
  dir.write("Person.jsonl",
            "{\"id\":\"b\",\"email\":\"b@example.com\",\"city\":\"Split\"}\n"
            "not json\n"
            "{\"_deleted\":true,\"id\":\"a\"}\n",
            true);
  ASSERT_TRUE(t->refresh().ok());
  EXPECT_THAT(find(*t, "city", "Split"), ElementsAre("b"));
  EXPECT_EQ(emailOf(*t, "a"), "<none>");
  EXPECT_EQ(t->invalidLines(), 1u);
  EXPECT_TRUE(log.contains("skipped line at byte", sdk::LogLevel::kWarn)) << log.dump();
}

TEST_F(TableTest, TheIndexSurvivesARestartWithoutRereadingTheFile) {
  {
    auto t = open();
    ASSERT_TRUE(t->append({put("a", "a@example.com"), put("b", "b@example.com")}).ok());
    EXPECT_THAT(find(*t, "email", "b@example.com"), ElementsAre("b"));
  }
  ASSERT_TRUE(std::filesystem::exists(Table::indexPath(entity().file)));
  // Prove the restart re-reads nothing: the head of the first line (far from the tail the
  // index checks) is blanked on disk; re-reading would drop record a, the index still has it.
  std::string text = dir.read("Person.jsonl");
  ASSERT_GT(text.size(), 100u);
  text.replace(0, 10, std::string(10, ' '));
  dir.write("Person.jsonl", text);
  {
    auto t = open();
    EXPECT_THAT(find(*t, "email", "a@example.com"), ElementsAre("a"));
    EXPECT_EQ(count(*t), 2u);
  }
  EXPECT_FALSE(log.contains("re-indexing")) << log.dump();
}

TEST_F(TableTest, AReplacedFileIsReindexedFromTheStart) {
  auto t = open();
  ASSERT_TRUE(t->append({put("a", "a@example.com"), put("b", "b@example.com")}).ok());
  EXPECT_THAT(find(*t, "email", "a@example.com"), ElementsAre("a"));
  // Another file renamed over it (a new inode), shorter than what was indexed.
  dir.write("next.jsonl", "{\"id\":\"c\",\"email\":\"a@example.com\"}\n");
  std::filesystem::rename(dir.file("next.jsonl"), dir.file("Person.jsonl"));
  ASSERT_TRUE(t->refresh().ok());
  EXPECT_THAT(find(*t, "email", "a@example.com"), ElementsAre("c"));
  EXPECT_EQ(emailOf(*t, "a"), "<none>");
  EXPECT_EQ(count(*t), 1u);
  EXPECT_TRUE(log.contains("re-indexing it from the start")) << log.dump();
}

TEST_F(TableTest, ARewriteInPlaceOfTheSameSizeIsNoticed) {
  auto t = open();
  ASSERT_TRUE(t->append({put("a", "a@example.com")}).ok());
  EXPECT_THAT(find(*t, "email", "a@example.com"), ElementsAre("a"));
  // Same inode, same length, other content: only the bytes tell.
  dir.write("Person.jsonl",
            formatRecord(Object{{"id", "z"}, {"email", "z@example.com"}, {"city", "Zagreb"}}));
  ASSERT_TRUE(t->refresh().ok());
  EXPECT_THAT(find(*t, "email", "z@example.com"), ElementsAre("z"));
  EXPECT_EQ(emailOf(*t, "a"), "<none>");
}

TEST_F(TableTest, ACorruptIndexIsRebuiltFromTheFile) {
  {
    auto t = open();
    ASSERT_TRUE(t->append({put("a", "a@example.com"), put("b", "b@example.com")}).ok());
  }
  const auto index = Table::indexPath(entity().file);
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(index.string() + suffix);
  dir.write(index.filename().string(), std::string(8192, 'x'));  // not a database any more
  auto t = open();
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(find(*t, "email", "b@example.com"), ElementsAre("b"));
  EXPECT_EQ(count(*t), 2u);
  EXPECT_TRUE(log.contains("rebuilt", sdk::LogLevel::kWarn)) << log.dump();
}

TEST_F(TableTest, AnIndexOutOfStepWithItsFileIsRebuiltOnUse) {
  auto t = open();
  ASSERT_TRUE(t->append({put("a", "a@example.com")}).ok());
  // Point the record at the wrong bytes, as a bug or a stray tool might.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Table::indexPath(entity().file).c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  EXPECT_EQ(sqlite3_exec(db, "UPDATE records SET offset = 3", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(emailOf(*t, "a"), "a@example.com");
  EXPECT_TRUE(log.contains("out of step", sdk::LogLevel::kWarn)) << log.dump();
}

TEST_F(TableTest, TwoWritersSharingAFileSeeEachOtherAndLoseNothing) {
  auto first = open();
  auto second = open();
  for (int i = 0; i < 50; ++i) {
    Table& writer = i % 2 == 0 ? *first : *second;
    const std::string id = "p" + std::to_string(i);
    ASSERT_TRUE(writer.refresh().ok());
    ASSERT_TRUE(writer.append({put(id, id + "@example.com")}).ok());
  }
  ASSERT_TRUE(first->refresh().ok());
  ASSERT_TRUE(second->refresh().ok());
  EXPECT_EQ(count(*first), 50u);
  EXPECT_EQ(count(*second), 50u);
  for (int i = 0; i < 50; ++i) {
    const std::string id = "p" + std::to_string(i);
    EXPECT_THAT(find(*second, "email", id + "@example.com"), ElementsAre(id));
    EXPECT_EQ(emailOf(*first, id), id + "@example.com");
  }
}

// Read-modify-write under the lock: two writers (own connections, own threads) incrementing
// one record never lose an update.
TEST_F(TableTest, WritersDecideUnderTheLockSoNoUpdateIsLost) {
  auto seed = open();
  ASSERT_TRUE(seed->append({put("a", "a@example.com", "0")}).ok());
  constexpr int kRounds = 25;
  auto increment = [&](Table& t) {
    for (int i = 0; i < kRounds; ++i) {
      ASSERT_TRUE(t.refresh().ok());
      auto status = t.write([&]() -> sdk::Result<std::vector<Table::Change>> {
        auto current = t.get("a");
        if (!current) return current.takeError();
        const int n = std::stoi((*current)->find("city")->asString());
        std::this_thread::sleep_for(std::chrono::microseconds(200));  // widen the window
        return std::vector<Table::Change>{put("a", "a@example.com", std::to_string(n + 1))};
      });
      ASSERT_TRUE(status.ok()) << status.error().message;
    }
  };
  auto first = open();
  auto second = open();
  std::thread other([&] { increment(*second); });
  increment(*first);
  other.join();
  ASSERT_TRUE(seed->refresh().ok());
  auto record = seed->get("a");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->find("city")->asString(), std::to_string(2 * kRounds));
}

TEST_F(TableTest, ABrokenIndexFoundInsideAWriteIsRebuiltOnTheNextCall) {
  auto t = open();
  ASSERT_TRUE(t->append({put("a", "a@example.com")}).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Table::indexPath(entity().file).c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  EXPECT_EQ(sqlite3_exec(db, "UPDATE records SET offset = 3", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto failed = t->write([&]() -> sdk::Result<std::vector<Table::Change>> {
    auto current = t->get("a");
    if (!current) return current.takeError();
    return std::vector<Table::Change>{};
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.error().retriable);
  ASSERT_TRUE(t->refresh().ok());  // rebuilds
  EXPECT_EQ(emailOf(*t, "a"), "a@example.com");
}

TEST_F(TableTest, AFieldIndexBuiltByOneWriterIsKeptUpByTheOther) {
  auto first = open();
  auto second = open();
  ASSERT_TRUE(first->append({put("a", "a@example.com", "Split")}).ok());
  ASSERT_TRUE(second->refresh().ok());
  EXPECT_THAT(find(*second, "city", "Split"), ElementsAre("a"));  // second builds it
  ASSERT_TRUE(first->refresh().ok());
  ASSERT_TRUE(first->append({put("b", "b@example.com", "Split")}).ok());  // first must key it
  ASSERT_TRUE(second->refresh().ok());
  EXPECT_THAT(find(*second, "city", "Split"), ElementsAre("a", "b"));
}

}  // namespace
}  // namespace ferry::plugins::jsonl
