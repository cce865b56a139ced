#include "test_support.hpp"

#include <regex>

namespace ferry::sandbox::salesforce::testing {
namespace {

class SObjectTest : public SalesforceTest {};

Poco::JSON::Object::Ptr fieldOf(const Reply& describe, const std::string& name) {
  auto fields = describe.object()->getArray("fields");
  for (size_t i = 0; i < fields->size(); ++i) {
    auto field = fields->getObject(static_cast<unsigned>(i));
    if (field->getValue<std::string>("name") == name) return field;
  }
  return nullptr;
}

TEST_F(SObjectTest, VersionListNeedsNoTokenAndCarriesNoUsage) {
  Reply reply = call("GET", "/services/data/");
  ASSERT_EQ(reply.status, 200);
  auto versions = reply.array();
  ASSERT_GT(versions->size(), 10u);
  auto last = versions->getObject(static_cast<unsigned>(versions->size() - 1));
  EXPECT_EQ(last->getValue<std::string>("version"), "62.0");
  EXPECT_EQ(last->getValue<std::string>("url"), "/services/data/v62.0");
  EXPECT_EQ(last->getValue<std::string>("label"), "Winter '25");
  EXPECT_EQ(reply.header("Sforce-Limit-Info"), "");
  EXPECT_EQ(api("GET", "/services/data/v99.0/limits").status, 404);
}

TEST_F(SObjectTest, DescribeHasRealisticMetadata) {
  Reply lead = api("GET", "/sobjects/Lead/describe");
  ASSERT_EQ(lead.status, 200);
  EXPECT_EQ(lead.object()->getValue<std::string>("keyPrefix"), "00Q");
  auto lastName = fieldOf(lead, "LastName");
  EXPECT_FALSE(lastName->getValue<bool>("nillable"));
  EXPECT_TRUE(lastName->getValue<bool>("createable"));
  EXPECT_FALSE(lastName->getValue<bool>("defaultedOnCreate"));
  EXPECT_EQ(lastName->getValue<int>("length"), 80);
  auto status = fieldOf(lead, "Status");
  EXPECT_TRUE(status->getValue<bool>("defaultedOnCreate"));
  EXPECT_EQ(status->getValue<std::string>("type"), "picklist");
  EXPECT_GT(status->getArray("picklistValues")->size(), 2u);
  EXPECT_FALSE(fieldOf(lead, "IsConverted")->getValue<bool>("createable"));
  for (const char* object : {"Lead", "Contact", "Account"}) {
    Reply describe = api("GET", std::string("/sobjects/") + object + "/describe");
    auto external = fieldOf(describe, "Ferry_External_Id__c");
    ASSERT_TRUE(external) << object;
    EXPECT_TRUE(external->getValue<bool>("externalId"));
    EXPECT_TRUE(external->getValue<bool>("custom"));
    EXPECT_TRUE(external->getValue<bool>("unique"));
    EXPECT_FALSE(fieldOf(describe, "SystemModstamp")->getValue<bool>("updateable"));
  }
  Reply contact = api("GET", "/sobjects/Contact/describe");
  auto accountId = fieldOf(contact, "AccountId");
  EXPECT_EQ(accountId->getValue<std::string>("type"), "reference");
  EXPECT_EQ(accountId->getArray("referenceTo")->getElement<std::string>(0), "Account");
  EXPECT_EQ(accountId->getValue<std::string>("relationshipName"), "Account");
  EXPECT_EQ(fieldOf(contact, "Email")->getValue<std::string>("type"), "email");
  Reply notModified = api("GET", "/sobjects/Contact/describe", "",
                          {{"If-Modified-Since", "Wed, 01 Jan 2025 00:00:00 GMT"}});
  EXPECT_EQ(notModified.status, 304);
  EXPECT_EQ(api("GET", "/sobjects/Widget__c/describe").status, 404);
}

TEST_F(SObjectTest, CrudWithRealisticIdsAndStamps) {
  Reply created = api("POST", "/sobjects/Contact",
                      R"({"LastName":"Novak","firstname":"Marko","Email":"m@example.com"})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = created.object()->getValue<std::string>("id");
  EXPECT_TRUE(created.object()->getValue<bool>("success"));
  EXPECT_TRUE(std::regex_match(id, std::regex("003[0-9A-Za-z]{12}[A-Z0-5]{3}"))) << id;
  EXPECT_EQ(created.header("Sforce-Limit-Info").rfind("api-usage=", 0), 0u);

  Reply got = api("GET", "/sobjects/Contact/" + id + "?fields=Id,FirstName,Name,CreatedDate");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.object()->getValue<std::string>("Name"), "Marko Novak");
  EXPECT_EQ(got.object()->getValue<std::string>("CreatedDate"), "2026-01-01T00:00:00.000+0000");
  EXPECT_FALSE(got.object()->has("Email"));
  EXPECT_EQ(api("GET", "/sobjects/Contact/" + id + "?fields=Nope").errorCode(), "INVALID_FIELD");

  advance(61000);
  Reply patched = api("PATCH", "/sobjects/Contact/" + id, R"({"Email":"marko@example.com"})");
  EXPECT_EQ(patched.status, 204);
  EXPECT_TRUE(patched.body.empty());
  auto after = api("GET", "/sobjects/Contact/" + id).object();
  EXPECT_EQ(after->getValue<std::string>("SystemModstamp"), "2026-01-01T00:01:01.000+0000");
  EXPECT_EQ(after->getValue<std::string>("LastModifiedDate"), "2026-01-01T00:01:01.000+0000");
  EXPECT_EQ(after->getValue<std::string>("CreatedDate"), "2026-01-01T00:00:00.000+0000");
  EXPECT_EQ(after->getValue<std::string>("Email"), "marko@example.com");
  EXPECT_EQ(api("GET", "/sobjects/Contact/" + id.substr(0, 15)).status, 200);  // 15-char form

  EXPECT_EQ(api("DELETE", "/sobjects/Contact/" + id).status, 204);
  EXPECT_EQ(api("GET", "/sobjects/Contact/" + id).status, 404);
  Reply again = api("PATCH", "/sobjects/Contact/" + id, R"({"Email":"x@example.com"})");
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(again.errorCode(), "ENTITY_IS_DELETED");
  EXPECT_EQ(api("GET", "/sobjects/Contact/003000000000000AAA").status, 404);
  EXPECT_EQ(api("PUT", "/sobjects/Contact/" + id, "{}").status, 405);
}

TEST_F(SObjectTest, ValidationErrorsMatchTheRealOnes) {
  Reply missing = api("POST", "/sobjects/Lead", R"({"FirstName":"Ana"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(
      missing.body,
      R"([{"message":"Required fields are missing: [LastName, Company]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName","Company"]}])");
  Reply email = api("POST", "/sobjects/Contact", R"({"LastName":"X","Email":"not-an-email"})");
  EXPECT_EQ(email.errorCode(), "INVALID_EMAIL_ADDRESS");
  EXPECT_EQ(email.array()->getObject(0)->getArray("fields")->getElement<std::string>(0), "Email");
  Reply tooLong =
      api("POST", "/sobjects/Contact", R"({"LastName":")" + std::string(81, 'x') + R"("})");
  EXPECT_EQ(tooLong.errorCode(), "STRING_TOO_LONG");
  EXPECT_NE(tooLong.body.find("max length=80"), std::string::npos);
  // 80 multi-byte characters are still 80 characters.
  std::string accents;
  for (int i = 0; i < 80; ++i) accents += "\xC3\xA9";
  EXPECT_EQ(api("POST", "/sobjects/Contact", R"({"LastName":")" + accents + R"("})").status, 201);
  EXPECT_EQ(api("POST", "/sobjects/Contact", R"({"LastName":"X","Bogus__c":1})").errorCode(),
            "INVALID_FIELD");
  EXPECT_EQ(api("POST", "/sobjects/Contact", R"({"LastName":"X","Name":"Y"})").errorCode(),
            "INVALID_FIELD_FOR_INSERT_UPDATE");
  EXPECT_EQ(
      api("POST", "/sobjects/Contact", R"({"LastName":"X","Birthdate":"yesterday"})").errorCode(),
      "INVALID_TYPE_ON_FIELD_IN_RECORD");
  EXPECT_EQ(api("POST", "/sobjects/Contact", R"({"LastName":"X","AccountId":"001000000000000AAA"})")
                .errorCode(),
            "INVALID_CROSS_REFERENCE_KEY");
  EXPECT_EQ(api("POST", "/sobjects/Lead", R"({"LastName":"X","Company":"Y","Status":"Bogus"})")
                .errorCode(),
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
  std::string id = create("Contact", R"({"LastName":"Keep"})");
  EXPECT_EQ(api("PATCH", "/sobjects/Contact/" + id, R"({"LastName":null})").errorCode(),
            "REQUIRED_FIELD_MISSING");
}

TEST_F(SObjectTest, MalformedJsonGetsTheJsonParserError) {
  for (std::string body : {std::string("{\"LastName\":"), std::string("[1,2]"),
                           std::string("nonsense"), std::string("{\"LastName\":{\"nested\":1}}")}) {
    Reply reply = api("POST", "/sobjects/Contact", body);
    EXPECT_EQ(reply.status, 400) << body;
    EXPECT_EQ(reply.errorCode(), "JSON_PARSER_ERROR") << body << " -> " << reply.body;
  }
  Reply xml = api("POST", "/sobjects/Contact", "<Contact/>", {{"Content-Type", "application/xml"}});
  EXPECT_EQ(xml.status, 415);
}

TEST_F(SObjectTest, ExternalIdUniquenessAndDuplicateRule) {
  create("Contact", R"({"LastName":"A","Ferry_External_Id__c":"ib-1","Email":"dup@example.com"})");
  Reply duplicate =
      api("POST", "/sobjects/Contact", R"({"LastName":"B","Ferry_External_Id__c":"IB-1"})");
  EXPECT_EQ(duplicate.errorCode(), "DUPLICATE_VALUE");  // external ids match case-insensitively
  EXPECT_EQ(
      api("POST", "/sobjects/Contact", R"({"LastName":"C","Email":"DUP@example.com"})").status,
      201);
  ASSERT_EQ(adminCall("PUT", "/knobs", R"({"duplicateRule":true})").status, 200);
  Reply blocked = api("POST", "/sobjects/Contact", R"({"LastName":"D","Email":"dup@example.com"})");
  EXPECT_EQ(blocked.status, 400);
  EXPECT_EQ(blocked.errorCode(), "DUPLICATES_DETECTED");
  auto matches = blocked.array()
                     ->getObject(0)
                     ->getObject("duplicateResult")
                     ->getArray("matchResults")
                     ->getObject(0)
                     ->getArray("matchRecords");
  EXPECT_EQ(matches->size(), 2u);
}

TEST_F(SObjectTest, UpsertByExternalId) {
  Reply created =
      api("PATCH", "/sobjects/Contact/Ferry_External_Id__c/ib-42", R"({"LastName":"Novak"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_TRUE(created.object()->getValue<bool>("created"));
  std::string id = created.object()->getValue<std::string>("id");
  Reply updated = api("PATCH", "/sobjects/Contact/Ferry_External_Id__c/ib-42",
                      R"({"LastName":"Novak-Horvat"})");
  ASSERT_EQ(updated.status, 200);
  EXPECT_FALSE(updated.object()->getValue<bool>("created"));
  EXPECT_EQ(updated.object()->getValue<std::string>("id"), id);
  EXPECT_EQ(api("PATCH", "/services/data/v45.0/sobjects/Contact/Ferry_External_Id__c/ib-42",
                R"({"Title":"CEO"})")
                .status,
            204);
  EXPECT_EQ(api("GET", "/sobjects/Contact/Ferry_External_Id__c/ib-42")
                .object()
                ->getValue<std::string>("Title"),
            "CEO");
  // A non-unique external id matching two records answers 300 with both URLs.
  create("Contact", R"({"LastName":"P1","People_Person_Id__c":"p-1"})");
  create("Contact", R"({"LastName":"P2","People_Person_Id__c":"p-1"})");
  Reply several = api("PATCH", "/sobjects/Contact/People_Person_Id__c/p-1", R"({"Title":"x"})");
  EXPECT_EQ(several.status, 300);
  EXPECT_EQ(several.array()->size(), 2u);
  EXPECT_EQ(api("PATCH", "/sobjects/Contact/LastName/x", R"({"Title":"x"})").errorCode(),
            "NOT_FOUND");
  EXPECT_EQ(api("PATCH", "/sobjects/Contact/Ferry_External_Id__c/new-one?updateOnly=true",
                R"({"LastName":"N"})")
                .status,
            404);
  Reply viaId = api("POST", "/sobjects/Contact/Id", R"({"LastName":"Inserted"})");
  EXPECT_EQ(viaId.status, 201) << viaId.body;
  EXPECT_EQ(api("PATCH", "/sobjects/Contact/Ferry_External_Id__c/ib-42",
                R"({"Ferry_External_Id__c":"other"})")
                .errorCode(),
            "INVALID_FIELD");
}

TEST_F(SObjectTest, UnableToLockRowKnob) {
  std::string id = create("Contact", R"({"LastName":"Locked"})");
  ASSERT_EQ(adminCall("PUT", "/knobs", R"({"unableToLockRowNext":1})").status, 200);
  Reply locked = api("PATCH", "/sobjects/Contact/" + id, R"({"Title":"x"})");
  EXPECT_EQ(locked.status, 400);
  EXPECT_EQ(locked.errorCode(), "UNABLE_TO_LOCK_ROW");
  EXPECT_EQ(api("PATCH", "/sobjects/Contact/" + id, R"({"Title":"x"})").status,
            204);  // the retry succeeds
}

TEST_F(SObjectTest, DailyAllowanceAndLimitInfo) {
  ASSERT_EQ(adminCall("PUT", "/knobs", R"({"dailyApiLimit":5,"apiUsage":0})").status, 200);
  for (int i = 1; i <= 5; ++i) {
    Reply reply = api("GET", "/limits");
    ASSERT_EQ(reply.status, 200);
    EXPECT_EQ(reply.header("Sforce-Limit-Info"), "api-usage=" + std::to_string(i) + "/5");
    if (i == 5) {
      EXPECT_EQ(reply.object()->getObject("DailyApiRequests")->getValue<int>("Remaining"), 0);
    }
  }
  Reply refused = api("GET", "/limits");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.errorCode(), "REQUEST_LIMIT_EXCEEDED");
  EXPECT_EQ(refused.header("Sforce-Limit-Info"), "api-usage=5/5");
  advance(25LL * 3600 * 1000);  // rolling 24 h window
  token_ = passwordToken();
  EXPECT_EQ(api("GET", "/limits").status, 200);
}

TEST_F(SObjectTest, UpdatedAndDeletedReplication) {
  std::string a = create("Contact", R"({"LastName":"A"})");
  advance(120000);
  std::string b = create("Contact", R"({"LastName":"B"})");
  advance(120000);
  api("DELETE", "/sobjects/Contact/" + a);
  advance(120000);
  std::string start = enc("2026-01-01T00:00:30+00:00"), end = enc("2026-01-01T00:10:00Z");
  Reply updated = api("GET", "/sobjects/Contact/updated/?start=" + start + "&end=" + end);
  ASSERT_EQ(updated.status, 200) << updated.body;
  auto ids = updated.object()->getArray("ids");
  ASSERT_EQ(ids->size(),
            1u);  // A's create is before the window (seconds ignored: 00:00), A is deleted
  EXPECT_EQ(ids->getElement<std::string>(0), b);
  EXPECT_EQ(updated.object()->getValue<std::string>("latestDateCovered"),
            "2026-01-01T00:06:00.000+0000");
  Reply deleted = api("GET", "/sobjects/Contact/deleted/?start=" + start + "&end=" + end);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  auto records = deleted.object()->getArray("deletedRecords");
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(records->getObject(0)->getValue<std::string>("id"), a);
  EXPECT_EQ(records->getObject(0)->getValue<std::string>("deletedDate"),
            "2026-01-01T00:04:00.000+0000");
  EXPECT_EQ(api("GET", "/sobjects/Contact/updated/?start=bad&end=" + end).errorCode(),
            "INVALID_REPLICATION_DATE");
  EXPECT_EQ(api("GET", "/sobjects/Contact/updated/").errorCode(), "MISSING_ARGUMENT");
}

TEST_F(SObjectTest, LeadConversionAndMergeAsUserActions) {
  std::string lead = create(
      "Lead",
      R"({"FirstName":"Ana","LastName":"Kralj","Company":"Adriatic","Email":"ana@adriatic.example"})");
  Reply converted = adminCall("POST", "/convert-lead", R"({"leadId":")" + lead + R"("})");
  ASSERT_EQ(converted.status, 200) << converted.body;
  std::string contact = converted.object()->getValue<std::string>("contactId");
  auto after = api("GET", "/sobjects/Lead/" + lead).object();
  EXPECT_TRUE(after->getValue<bool>("IsConverted"));
  EXPECT_EQ(after->getValue<std::string>("ConvertedContactId"), contact);
  EXPECT_EQ(after->getValue<std::string>("Status"), "Closed - Converted");
  EXPECT_EQ(after->getValue<std::string>("ConvertedDate"), "2026-01-01");
  auto newContact = api("GET", "/sobjects/Contact/" + contact).object();
  EXPECT_EQ(newContact->getValue<std::string>("Email"), "ana@adriatic.example");
  EXPECT_EQ(newContact->getValue<std::string>("AccountId"),
            converted.object()->getValue<std::string>("accountId"));
  EXPECT_EQ(api("PATCH", "/sobjects/Lead/" + lead, R"({"Title":"x"})").errorCode(),
            "CANNOT_UPDATE_CONVERTED_LEAD");
  EXPECT_EQ(adminCall("POST", "/convert-lead", R"({"leadId":")" + lead + R"("})").status, 400);

  std::string loser = create("Contact", R"({"LastName":"Kralj duplicate"})");
  ASSERT_EQ(adminCall("POST", "/merge",
                      R"({"masterId":")" + contact + R"(","duplicateIds":[")" + loser + R"("]})")
                .status,
            200);
  Reply merged = query(
      "SELECT Id, IsDeleted, MasterRecordId FROM Contact WHERE Id = '" + loser + "'", {}, true);
  auto record = merged.object()->getArray("records")->getObject(0);
  EXPECT_TRUE(record->getValue<bool>("IsDeleted"));
  EXPECT_EQ(record->getValue<std::string>("MasterRecordId"), contact);
  EXPECT_EQ(adminCall("POST", "/merge",
                      R"({"masterId":")" + contact + R"(","duplicateIds":[")" + lead + R"("]})")
                .status,
            400);
}

TEST_F(SObjectTest, AdminSeedIsDeterministicAndDumpable) {
  ASSERT_EQ(adminCall("POST", "/seed", R"({"Account":2,"Contact":3,"Lead":2,"seed":7})").status,
            200);
  std::string first = adminCall("GET", "/dump?object=Contact").body;
  ASSERT_EQ(call("POST", "/__sandbox/reset").status, 200);
  token_ = passwordToken();
  ASSERT_EQ(adminCall("POST", "/seed", R"({"Account":2,"Contact":3,"Lead":2,"seed":7})").status,
            200);
  EXPECT_EQ(adminCall("GET", "/dump?object=Contact").body, first);
  EXPECT_EQ(Poco::JSON::Parser()
                .parse(first)
                .extract<Poco::JSON::Object::Ptr>()
                ->getArray("Contact")
                ->size(),
            3u);
  Reply user = adminCall("POST", "/records/Contact", R"({"LastName":"FromTheUi"})");
  ASSERT_EQ(user.status, 201) << user.body;
  EXPECT_EQ(adminCall("POST", "/records/Contact", R"({"FirstName":"NoLast"})").status, 400);
  EXPECT_EQ(adminCall("POST", "/seed", R"({"Contact":-1})").status, 400);
}

TEST_F(SObjectTest, SnapshotRoundTripKeepsRecordsAndRefreshTokens) {
  std::string id = create("Contact", R"({"LastName":"Persisted","Birthdate":"1990-01-02"})");
  Reply snapshot = call("GET", "/__sandbox/snapshot");
  ASSERT_EQ(snapshot.status, 200);
  ASSERT_EQ(call("POST", "/__sandbox/reset").status, 200);
  token_ = passwordToken();
  EXPECT_EQ(api("GET", "/sobjects/Contact/" + id).status, 404);
  ASSERT_EQ(call("PUT", "/__sandbox/snapshot", snapshot.body).status, 200);
  token_ = passwordToken();
  auto record = api("GET", "/sobjects/Contact/" + id).object();
  EXPECT_EQ(record->getValue<std::string>("Birthdate"), "1990-01-02");
  EXPECT_EQ(record->getValue<std::string>("CreatedDate"), "2026-01-01T00:00:00.000+0000");
  // New ids continue after the restored ones.
  EXPECT_GT(create("Contact", R"({"LastName":"Next"})"), id);
}

TEST_F(SObjectTest, CountersSeeEndpointTemplates) {
  std::string id = create("Contact", R"({"LastName":"Counted"})");
  api("GET", "/sobjects/Contact/" + id);
  api("GET", "/sobjects/Contact/" + id);
  auto counters = call("GET", "/__sandbox/counters").object()->getObject("endpoints");
  auto get = counters->getObject("salesforce GET /services/data/vXX.X/sobjects/Contact/{id}");
  ASSERT_TRUE(get) << call("GET", "/__sandbox/counters").body;
  EXPECT_EQ(get->getValue<int>("calls"), 2);
  EXPECT_EQ(get->getObject("status")->getValue<int>("200"), 2);
}

}  // namespace
}  // namespace ferry::sandbox::salesforce::testing
