// Wire formats on the shapes recorded in the API reference (§5, §9, §11, §12).
#include <gtest/gtest.h>

#include "ferry/plugins/people/api.hpp"

namespace ferry::plugins::people {
namespace {

using sdk::ErrorCode;

TEST(PeopleErrors, LegacyEnvelopeNamesMessageIdAndValidationPaths) {
  const auto e = errorFromResponse("create person", 400, R"({"requestError":{"serviceException":{
      "messageId":"BAD_REQUEST","text":"Bad request",
      "validationErrors":{"contactInformation.email[0].address":["must be a well-formed email address"]}}}})");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(e.retriable);
  EXPECT_EQ(e.remoteCode, "BAD_REQUEST");
  EXPECT_EQ(
      e.message,
      "create person: HTTP 400 BAD_REQUEST: Bad request (contactInformation.email[0].address: "
      "must be a well-formed email address)");
}

TEST(PeopleErrors, PlatformEnvelopeForThrottling) {
  const auto e = errorFromResponse("upsert persons", 429, R"({"errorCode":"E429",
      "description":"Too many requests sent.","action":"Check request rate limit",
      "violations":[{"property":"size","violation":"must be less than or equal to 1000"}]})");
  EXPECT_EQ(e.code, ErrorCode::kRateLimited);
  EXPECT_TRUE(e.retriable);
  EXPECT_EQ(e.remoteCode, "E429");
  EXPECT_NE(e.message.find("Too many requests sent. (size: must be less than or equal to 1000)"),
            std::string::npos);
}

TEST(PeopleErrors, LegacyThrottlingAndV3EnvelopeAndGarbage) {
  const auto legacy = errorFromResponse(
      "list persons", 429,
      R"({"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS","text":"Too many requests"}}})");
  EXPECT_EQ(legacy.code, ErrorCode::kRateLimited);
  EXPECT_EQ(legacy.remoteCode, "TOO_MANY_REQUESTS");

  const auto v3 = errorFromResponse(
      "upsert persons", 400,
      R"({"code":"400104","message":"Missing property","details":[{"property":"persons","message":"must not be null"}]})");
  EXPECT_EQ(v3.remoteCode, "400104");
  EXPECT_EQ(v3.message,
            "upsert persons: HTTP 400 400104: Missing property (persons: must not be null)");

  const auto html = errorFromResponse("list persons", 502, "<html>\nBad gateway</html>");
  EXPECT_EQ(html.code, ErrorCode::kUnavailable);
  EXPECT_TRUE(html.retriable);
  EXPECT_EQ(html.message,
            "list persons: HTTP 502 with an unrecognised body: <html> Bad gateway</html>");

  EXPECT_EQ(errorFromResponse("x", 401, "").code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(errorFromResponse("x", 403, "").code, ErrorCode::kPermissionDenied);
}

TEST(PeopleUpsert, ParsesTheReferenceAnswer) {
  const char* body = R"({"results":[{"id":1473820,"index":0,"status":"UPDATED"}],
    "errors":[{"index":1,"code":400100,"message":"One or more properties of the person are invalid",
      "details":[{"property":"persons[1].contactInformation[0].identifier","message":"Email address is invalid"}]}]})";
  auto outcomes = parseUpsertAnswer(body, 2);
  ASSERT_TRUE(outcomes) << outcomes.error().message;
  EXPECT_EQ((*outcomes)[0].status, "UPDATED");
  EXPECT_EQ((*outcomes)[0].id, "1473820");
  EXPECT_EQ((*outcomes)[1].code, "400100");
  EXPECT_EQ((*outcomes)[1].property, "contactInformation[0].identifier");

  auto entry = buildUpsertPerson(
      sdk::Object{{"contactInformation", sdk::Object{{"email", "joe@bad"}}}}, "CUSTOMER");
  ASSERT_TRUE(entry);
  EXPECT_EQ(fieldOfProperty((*outcomes)[1].property, *entry), "contactInformation.email");

  const auto updated = toWriteResult((*outcomes)[0]);
  EXPECT_EQ(updated.outcome, sdk::WriteResult::Outcome::kUpdated);
  EXPECT_EQ(updated.id, "1473820");
  const auto rejected = toWriteResult((*outcomes)[1]);
  ASSERT_EQ(rejected.outcome, sdk::WriteResult::Outcome::kRejected);
  EXPECT_EQ(rejected.error->code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(rejected.error->remoteCode, "400100");
  EXPECT_NE(rejected.error->message.find("Email address is invalid"), std::string::npos);
}

TEST(PeopleUpsert, ConflictsNameTheHolderAndMissingOutcomesAreMalformed) {
  auto outcomes = parseUpsertAnswer(R"({"results":[],"errors":[{"index":0,"code":"409100",
      "message":"Destination(email) ana@example.com already exists.",
      "details":[{"property":"persons[0]","message":"belongs to person 1000001"}]}]})",
                                    1);
  ASSERT_TRUE(outcomes);
  const auto r = toWriteResult((*outcomes)[0]);
  EXPECT_EQ(r.error->code, ErrorCode::kConflict);
  EXPECT_EQ(r.conflictingId, "1000001");
  EXPECT_FALSE(r.error->retriable);

  auto missing = parseUpsertAnswer(R"({"results":[{"id":1,"index":0,"status":"CREATED"}]})", 2);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kMalformedResponse);
  EXPECT_FALSE(parseUpsertAnswer("[1,2]", 1));
  EXPECT_FALSE(parseUpsertAnswer(R"({"results":[{"id":1,"index":7,"status":"CREATED"}]})", 1));
  UpsertOutcome unchanged;
  unchanged.id = "5";
  unchanged.status = "NOT_MODIFIED";
  EXPECT_EQ(toWriteResult(unchanged).outcome, sdk::WriteResult::Outcome::kUnchanged);
  EXPECT_EQ(toWriteResult(unchanged).id, "5");
  UpsertOutcome failed;
  failed.code = "500100";
  failed.message = "Internal error";
  const auto transient = toWriteResult(failed);
  EXPECT_EQ(transient.error->code, ErrorCode::kUnavailable);
  EXPECT_TRUE(transient.error->retriable);
}

TEST(PeopleRecords, BuildsAPartialV3Person) {
  const sdk::Object fields{
      {"externalId", "sf-003A"},
      {"firstName", "Ana"},
      {"middleName", nullptr},
      {"birthDate", sdk::Date{1990, 4, 17}},
      {"tags", "VIP"},
      {"contactInformation",
       sdk::Object{{"email", sdk::List{"ana@example.com", "ana@work.example.com"}},
                   {"phone", sdk::List{"+385911234567"}}}},
      {"customAttributes", sdk::Object{{"Contract End", sdk::Date{2025, 1, 31}}, {"Tier", "Gold"}}},
      {"modifiedAt", sdk::DateTime{1}}};  // read-only: ignored
  auto entry = buildUpsertPerson(fields, "LEAD");
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(
      sdk::Value(entry->person).toJson(),
      R"({"birthDate":"1990-04-17","contactInformation":[{"identifier":"ana@example.com","type":"EMAIL"},)"
      R"({"identifier":"ana@work.example.com","type":"EMAIL"},{"identifier":"385911234567","type":"PHONE"}],)"
      R"("customAttributes":{"Contract End":"2025-01-31","Tier":"Gold"},"externalId":"sf-003A",)"
      R"("firstName":"Ana","middleName":null,"tags":["VIP"],"type":"LEAD"})");
  EXPECT_EQ(entry->contactPaths,
            (std::vector<std::string>{"contactInformation.email", "contactInformation.email",
                                      "contactInformation.phone"}));
  EXPECT_EQ(fieldOfProperty("contactInformation[2].identifier", *entry),
            "contactInformation.phone");
  EXPECT_EQ(fieldOfProperty("customAttributes.Tier", *entry), "customAttributes.Tier");
  EXPECT_EQ(fieldOfProperty("firstName", *entry), "firstName");

  auto unknown = buildUpsertPerson(sdk::Object{{"nickname", "x"}}, "CUSTOMER");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "\"nickname\" is not a People person attribute");
  auto wrong = buildUpsertPerson(sdk::Object{{"firstName", 5}}, "CUSTOMER");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message, "firstName must be text, not 5");
  EXPECT_FALSE(buildUpsertPerson(sdk::Object{{"contactInformation", sdk::Object{{"push", "x"}}}},
                                 "CUSTOMER"));
}

TEST(PeopleRecords, FlatDottedKeysAreNested) {
  const sdk::Object flat{{"contactInformation.email", sdk::List{"a@example.com"}},
                         {"customAttributes", sdk::Object{{"A", 1}}},
                         {"customAttributes.B", true},
                         {"lastName", "X"}};
  EXPECT_EQ(
      sdk::Value(nestDotted(flat)).toJson(),
      R"({"contactInformation":{"email":["a@example.com"]},"customAttributes":{"A":1,"B":true},"lastName":"X"})");
}

TEST(PeopleRecords, ReadsTheReferencePerson) {
  const auto json =
      sdk::Value::fromJson(R"({"id":1473820,"externalId":"sf-0035g00000XyZ12AAB","type":"CUSTOMER",
    "firstName":"Ana","lastName":"Horvat","gender":"FEMALE","birthDate":"1990-04-17","city":"Zagreb",
    "origin":"API","modifiedFrom":"PORTAL","createdAt":"2024-02-01T09:12:44","modifiedAt":"2024-03-05T14:07:09",
    "tags":["Newsletter","VIP"],"customAttributes":{"Loyalty Tier":"Gold","Contract End":"2025-01-31"},
    "contactInformation":{"phone":[{"number":"385911234567"}],"email":[{"address":"ana.horvat@example.com"}],
      "push":[{"applicationId":"a"}]}})");
  ASSERT_TRUE(json);
  const auto record =
      personToRecord(json->asObject(), {{"Contract End", "DATE"}, {"Loyalty Tier", "STRING"}});
  EXPECT_EQ(*record.find("id"), sdk::Value("1473820"));
  EXPECT_EQ(*record.find("birthDate"), sdk::Value(sdk::Date{1990, 4, 17}));
  EXPECT_EQ(record.find("modifiedAt")->asDateTime().toIso(), "2024-03-05T14:07:09.000Z");
  EXPECT_EQ(*sdk::findPath(record, "contactInformation.phone"),
            sdk::Value(sdk::List{"+385911234567"}));
  EXPECT_EQ(*sdk::findPath(record, "contactInformation.email"),
            sdk::Value(sdk::List{"ana.horvat@example.com"}));
  EXPECT_EQ(*sdk::findPath(record, "customAttributes.Contract End"),
            sdk::Value(sdk::Date{2025, 1, 31}));
  EXPECT_EQ(*record.find("tags"), sdk::Value(sdk::List{"Newsletter", "VIP"}));
  EXPECT_EQ(*record.find("modifiedFrom"), sdk::Value("PORTAL"));
  EXPECT_EQ(*record.find("type"), sdk::Value("CUSTOMER"));
}

TEST(PeopleRecords, CompaniesBothWays) {
  auto body = buildCompany(sdk::Object{{"name", "Northwind"},
                                       {"domains", "northwind.example.com"},
                                       {"id", "5"},
                                       {"customerStage", "Customer"}});
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(
      sdk::Value(*body).toJson(),
      R"({"customerStage":"Customer","domains":["northwind.example.com"],"name":"Northwind"})");
  EXPECT_FALSE(buildCompany(sdk::Object{{"website", "x"}}));
  const auto json = sdk::Value::fromJson(
      R"({"id":7,"name":"Acme","domains":["acme.example"],"modifiedAt":"2024-03-05T14:07:09"})");
  const auto record = companyToRecord(json->asObject());
  EXPECT_EQ(*record.find("id"), sdk::Value("7"));
  EXPECT_EQ(*record.find("domains"), sdk::Value(sdk::List{"acme.example"}));
  EXPECT_EQ(*record.find("tags"), sdk::Value(sdk::List{}));
}

TEST(PeopleTimes, PeopleTimestampsAreUtcWithoutZone) {
  EXPECT_EQ(parsePeopleTime("2024-03-05T14:07:09"),
            sdk::DateTime::parseIso("2024-03-05T14:07:09Z")->epochMs);
  EXPECT_FALSE(parsePeopleTime("2024-03-05"));
  EXPECT_FALSE(parsePeopleTime("yesterday at noon"));
  EXPECT_EQ(percentEncode("ana.horvat@example.com"), "ana.horvat%40example.com");
  EXPECT_EQ(percentEncode("{\"#or\":[1]}"), "%7B%22%23or%22%3A%5B1%5D%7D");
}

TEST(PeopleWebhook, ParsesOneEventOrMany) {
  auto one = parseWebhook(R"({"type":"PERSON_DELETED","timestamp":"2025-09-10T13:47:40.032+00:00",
      "payload":{"person":{"id":"1473820","externalId":"sf-1"},"personType":"LEAD","source":"PORTAL"}})");
  ASSERT_TRUE(one) << one.error().message;
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].type, "PERSON_DELETED");
  EXPECT_EQ((*one)[0].personId, "1473820");
  EXPECT_EQ((*one)[0].personType, "LEAD");

  auto many = parseWebhook(R"([{"type":"PERSON_CREATED","payload":{"person":{"id":"1"}}},
                               {"type":"PEOPLE_CUSTOM_AND_TEMPLATE_EVENTS"}])");
  ASSERT_TRUE(many);
  EXPECT_EQ(many->size(), 2u);

  auto bad = parseWebhook(R"([{"type":"PERSON_CREATED","payload":{}}])");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "People webhook body: PERSON_CREATED without payload.person.id");
  EXPECT_FALSE(parseWebhook("not json"));
  EXPECT_FALSE(parseWebhook(R"({"payload":{}})"));
}

}  // namespace
}  // namespace ferry::plugins::people
