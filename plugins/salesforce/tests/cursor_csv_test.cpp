// Cursor encoding and the Bulk API 2.0 CSV reader.
#include <gtest/gtest.h>

#include "ferry/plugins/salesforce/csv.hpp"
#include "ferry/plugins/salesforce/cursor.hpp"
#include "test_data.hpp"

namespace ferry::plugins::salesforce {
namespace {

TEST(Cursor, EmptyIsInitial) {
  auto c = decodeCursor("");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->initial());
}

TEST(Cursor, RoundTripsEveryField) {
  Cursor c;
  c.mark = {1709647629000, "0035g00000XyZ12AAB"};
  c.visibleBeforeMs = 1709647000000;
  PassState p;
  p.startMs = 1709647700000;
  p.lowerBoundMs = 1709647000000;
  p.nextRecordsUrl = "/services/data/v60.0/query/01gRO00000ABCdeYAH-2000";
  p.resumeAfter = {1709647629000, "0035g00000XyZ12AAB"};
  p.bulkRefused = true;
  p.bulk = BulkState{"7505g00000Qr1XyAAJ", "MTAwMDA", 17, true, {1709647629001, "003x"}};
  c.pass = p;
  auto back = decodeCursor(encodeCursor(c));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->mark, c.mark);
  EXPECT_EQ(back->visibleBeforeMs, c.visibleBeforeMs);
  ASSERT_TRUE(back->pass);
  EXPECT_EQ(back->pass->startMs, p.startMs);
  EXPECT_EQ(back->pass->lowerBoundMs, p.lowerBoundMs);
  EXPECT_EQ(back->pass->nextRecordsUrl, p.nextRecordsUrl);
  EXPECT_EQ(back->pass->resumeAfter, p.resumeAfter);
  EXPECT_TRUE(back->pass->bulkRefused);
  ASSERT_TRUE(back->pass->bulk);
  EXPECT_EQ(back->pass->bulk->jobId, "7505g00000Qr1XyAAJ");
  EXPECT_EQ(back->pass->bulk->locator, "MTAwMDA");
  EXPECT_EQ(back->pass->bulk->skip, 17);
  EXPECT_TRUE(back->pass->bulk->complete);
  EXPECT_EQ(back->pass->bulk->maxSeen, (Position{1709647629001, "003x"}));
}

TEST(Cursor, GarbageIsRefusedNotCrashed) {
  for (const char* bad :
       {"x", "{}", R"({"v":2})", R"({"v":1,"mark":5})", R"({"v":1,"mark":{"t":"x","id":"a"}})",
        R"({"v":1,"pass":{"next":"https://evil.example.com/"}})",
        R"({"v":1,"pass":{"bulk":{"skip":1}}})", "[1,2]"}) {
    auto c = decodeCursor(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().code, sdk::ErrorCode::kInvalidArgument);
  }
}

TEST(Cursor, PassProgressRoundTripsAndEstimatesWhatIsLeft) {
  Cursor c;
  c.pass = PassState{};
  EXPECT_FALSE(c.pass->remaining());  // no query ran yet: unknown
  c.pass->queryTotal = 1200;
  c.pass->consumed = 450;
  auto back = decodeCursor(encodeCursor(c));
  ASSERT_TRUE(back && back->pass) << (back ? "" : back.error().message);
  EXPECT_EQ(back->pass->queryTotal, 1200);
  EXPECT_EQ(back->pass->consumed, 450);
  EXPECT_EQ(back->pass->remaining(), 750u);
  back->pass->consumed = 1300;  // more rows than the total said: none left, not a wrap-around
  EXPECT_EQ(back->pass->remaining(), 0u);

  // A pass written before progress was kept decodes with an unknown total.
  auto older = decodeCursor(R"({"v":1,"pass":{"start":5,"low":0}})");
  ASSERT_TRUE(older && older->pass);
  EXPECT_FALSE(older->pass->queryTotal);
  EXPECT_FALSE(older->pass->remaining());

  for (const char* bad :
       {R"({"v":1,"pass":{"total":-1,"used":0}})", R"({"v":1,"pass":{"total":10,"used":-3}})",
        R"({"v":1,"pass":{"total":"many","used":0}})"}) {
    auto refused = decodeCursor(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, sdk::ErrorCode::kInvalidArgument);
  }
}

TEST(Cursor, PositionOrder) {
  EXPECT_LT((Position{1, "b"}), (Position{2, "a"}));
  EXPECT_LT((Position{1, "a"}), (Position{1, "b"}));
  EXPECT_FALSE((Position{1, "a"}) < (Position{1, "a"}));
}

TEST(Csv, ParsesRecordedBulkResults) {
  auto rows = parseCsv(testing::readData("bulk_results.csv"));
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0][5], "Account.Name");
  EXPECT_EQ((*rows)[1][5], "Northwind, \"d.o.o.\"");
  EXPECT_EQ((*rows)[2][2], "");
}

TEST(Csv, QuotedNewlinesAndCrLf) {
  auto rows = parseCsv("a,b\r\n\"x\ny\",2\r\n");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1][0], "x\ny");
  EXPECT_EQ((*rows)[1][1], "2");
  auto noFinalNewline = parseCsv("a,b\n1,");
  ASSERT_TRUE(noFinalNewline);
  EXPECT_EQ((*noFinalNewline)[1][1], "");
}

TEST(Csv, MalformedInputIsAnError) {
  auto truncated = parseCsv("a,b\n\"unterminated,2\n");
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, sdk::ErrorCode::kMalformedResponse);
  EXPECT_FALSE(parseCsv("a,b\n1,2,3\n"));
  EXPECT_FALSE(parseCsv("a,b\nx\"y,2\n"));
  EXPECT_FALSE(parseCsv("a,b\n\"x\"y,2\n"));
  EXPECT_TRUE(parseCsv("")->empty());
}

}  // namespace
}  // namespace ferry::plugins::salesforce
