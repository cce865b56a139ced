// Wire formats: errors, limits, query pages, collection results, bulk job answers, encoding.
#include <gtest/gtest.h>

#include "ferry/plugins/salesforce/api.hpp"
#include "test_data.hpp"

namespace ferry::plugins::salesforce {
namespace {

using sdk::ErrorCode;
using testing::readData;

TEST(Errors, ParsesRestErrorArray) {
  const auto errors = parseErrors(
      R"([{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}])");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, "REQUIRED_FIELD_MISSING");
  EXPECT_EQ(errors[0].fields, std::vector<std::string>{"LastName"});
}

TEST(Errors, ParsesOAuthErrorAndGarbage) {
  auto e = parseErrors(R"({"error":"invalid_grant","error_description":"authentication failure"})");
  EXPECT_EQ(e[0].code, "invalid_grant");
  EXPECT_EQ(e[0].message, "authentication failure");
  e = parseErrors("<html>Bad gateway</html>");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(e[0].code.empty());
  EXPECT_NE(e[0].message.find("Bad gateway"), std::string::npos);
}

TEST(Errors, MapsStatusAndCodeToSdkErrors) {
  const auto expired = errorFromResponse(
      401, R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])", "q");
  EXPECT_EQ(expired.code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(expired.remoteCode, "INVALID_SESSION_ID");
  const auto limit = errorFromResponse(
      403, R"([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}])",
      "q");
  EXPECT_EQ(limit.code, ErrorCode::kRateLimited);
  EXPECT_TRUE(limit.retriable);
  const auto busy = errorFromResponse(503, "", "q");
  EXPECT_EQ(busy.code, ErrorCode::kUnavailable);
  EXPECT_TRUE(busy.retriable);
  const auto field = errorFromResponse(
      400, R"([{"message":"No such column 'Foo'","errorCode":"INVALID_FIELD"}])", "query Contact");
  EXPECT_EQ(field.code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(field.retriable);
  EXPECT_NE(field.message.find("query Contact: HTTP 400 INVALID_FIELD"), std::string::npos);
  EXPECT_EQ(
      errorFromResponse(403, R"([{"errorCode":"INSUFFICIENT_ACCESS","message":"x"}])", "q").code,
      ErrorCode::kPermissionDenied);
}

TEST(Errors, RecordErrorsAndDuplicateIds) {
  const ApiError lock{"UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access", {}, {}};
  EXPECT_TRUE(errorFromRecordError(lock).retriable);
  const ApiError missing{"REQUIRED_FIELD_MISSING", "Required fields are missing", {"LastName"}, {}};
  const auto e = errorFromRecordError(missing);
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(e.retriable);
  EXPECT_NE(e.message.find("[LastName]"), std::string::npos);
  EXPECT_EQ(idsInMessage("duplicates value on record with id: 0035g00000XyZ12AAB"),
            std::vector<std::string>{"0035g00000XyZ12AAB"});
  EXPECT_TRUE(idsInMessage("record with id: 12345").empty());
}

TEST(Errors, DuplicateRuleMatchRecords) {
  const auto errors =
      parseErrors(R"([{"statusCode":"DUPLICATES_DETECTED","message":"Use one of these records?",
    "duplicateResult":{"matchResults":[{"matchRecords":[{"record":{"Id":"0035g00000XyZ99AAB"}}]}]}}])");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].duplicateIds, std::vector<std::string>{"0035g00000XyZ99AAB"});
}

TEST(Limits, ParsesUsageTolerantly) {
  auto u = parseLimitInfo("api-usage=10018/100000");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->used, 10018);
  EXPECT_EQ(u->max, 100000);
  u = parseLimitInfo("api-usage=25/15000; api-bursts=1/750");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->used, 25);
  u = parseLimitInfo("per-app-api-usage=17/250(appName=sample); api-usage=5/10");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->max, 10);
  EXPECT_FALSE(parseLimitInfo("api-usage=abc/100"));
  EXPECT_FALSE(parseLimitInfo("api-usage=5/0"));
  EXPECT_FALSE(parseLimitInfo(""));
}

TEST(QueryPage, ParsesRecordedShape) {
  const FieldTypes types{{"SystemModstamp", "datetime"}, {"Email", "email"}};
  auto page = parseQueryPage(readData("query_page.json"), types);
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->totalSize, 4213);
  EXPECT_FALSE(page->done);
  EXPECT_EQ(page->nextRecordsUrl, "/services/data/v60.0/query/01gRO00000ABCdeYAH-2000");
  ASSERT_EQ(page->records.size(), 2u);
  const auto& first = page->records[0];
  EXPECT_FALSE(first.contains("attributes"));
  ASSERT_TRUE(first.find("SystemModstamp")->isDateTime());
  EXPECT_EQ(first.find("SystemModstamp")->asDateTime().toIso(), "2024-03-05T14:07:09.000Z");
  EXPECT_TRUE(first.find("Email")->isNull());
  const auto* account = sdk::findPath(first, "Account.Name");
  ASSERT_NE(account, nullptr);
  EXPECT_EQ(account->asString(), "Northwind d.o.o.");
  EXPECT_FALSE(first.find("Account")->asObject().contains("attributes"));
  EXPECT_TRUE(page->records[1].find("Account")->isNull());
}

TEST(QueryPage, TruncatedAndForeignBodiesAreErrors) {
  const auto full = readData("query_page.json");
  auto truncated = parseQueryPage(full.substr(0, full.size() / 2), {});
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, ErrorCode::kMalformedResponse);
  EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos);
  EXPECT_FALSE(parseQueryPage(R"({"foo":1})", {}));
  EXPECT_FALSE(parseQueryPage(R"({"done":false,"records":[]})", {}));  // no next page
  EXPECT_FALSE(parseQueryPage(R"({"done":true,"records":[1]})", {}));
  EXPECT_FALSE(parseQueryPage("", {}));
}

TEST(Collections, ParsesResultsInOrder) {
  auto results = parseCollectionResults(readData("collection_results.json"), 3);
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_TRUE((*results)[0].success);
  EXPECT_EQ((*results)[0].created, true);
  EXPECT_FALSE((*results)[1].success);
  EXPECT_EQ((*results)[1].errors[0].code, "DUPLICATE_VALUE");
  EXPECT_EQ((*results)[1].errors[0].duplicateIds, std::vector<std::string>{"0035g00000XyZ12AAB"});
  EXPECT_EQ((*results)[2].errors[0].fields, std::vector<std::string>{"LastName"});
}

TEST(Collections, CountMismatchIsMalformed) {
  auto results = parseCollectionResults(readData("collection_results.json"), 2);
  ASSERT_FALSE(results);
  EXPECT_EQ(results.error().code, ErrorCode::kMalformedResponse);
  EXPECT_FALSE(parseCollectionResults(R"([{"id":"1"}])", 1));  // no success flag
}

TEST(Bulk, JobAndLocator) {
  auto job = parseBulkJob(
      R"({"id":"7505g00000Qr1XyAAJ","operation":"query","object":"Contact","state":"UploadComplete"})");
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, "UploadComplete");
  EXPECT_FALSE(parseBulkJob(R"({"state":"Open"})"));
  EXPECT_EQ(nextLocator({{"Sforce-Locator", "MTAwMDA"}}), "MTAwMDA");
  EXPECT_EQ(nextLocator({{"sforce-locator", "null"}}), "");
  EXPECT_EQ(nextLocator({}), "");
}

TEST(Encoding, PercentAndForm) {
  EXPECT_EQ(percentEncode("SELECT Id FROM Contact WHERE Name = 'a+b'"),
            "SELECT%20Id%20FROM%20Contact%20WHERE%20Name%20%3D%20%27a%2Bb%27");
  EXPECT_EQ(percentEncodedLength("a b+č"), percentEncode("a b+č").size());
  EXPECT_EQ(formEncode({{"grant_type", "password"}, {"password", "p&ss=1 x"}}),
            "grant_type=password&password=p%26ss%3D1%20x");
}

TEST(Encoding, HttpDate) {
  const auto t = parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, 784111777000);
  EXPECT_FALSE(parseHttpDate("yesterday"));
}

}  // namespace
}  // namespace ferry::plugins::salesforce
