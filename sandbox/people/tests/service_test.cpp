// Drives the People emulator through Service::handle()/admin() directly (no sockets): the API's
// semantics, validation and error envelopes.
#include <gtest/gtest.h>

#include <regex>

#include "test_support.hpp"

namespace ferry::sandbox::people {
namespace {

using testing::kKey;
using testing::makeRequest;
using testing::ManualClocks;
using testing::parseObject;
using testing::serviceException;
using Query = std::vector<std::pair<std::string, std::string>>;

class PeopleServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { make(false); }

  void make(bool rateLimits, std::vector<ApiKey> keys = {{kKey, {}}}) {
    PeopleOptions options;
    options.apiKeys = std::move(keys);
    options.rateLimits = rateLimits;
    clocks_.install(options);
    service_ = makePeopleService(options);
  }

  Response call(const std::string& method, const std::string& path, Query query = {},
                std::string body = {}) {
    return service_->handle(makeRequest(method, path, std::move(query), std::move(body)));
  }
  Response admin(const std::string& method, const std::string& sub, std::string body = {},
                 Query query = {}) {
    return service_->admin(
        makeRequest(method, "/__sandbox/people" + sub, std::move(query), std::move(body)), sub);
  }
  Poco::JSON::Object::Ptr create(const std::string& body) {
    const auto response = call("POST", "/people/2/persons", {}, body);
    EXPECT_EQ(response.status, 200) << response.body;
    return parseObject(response.body);
  }
  Poco::JSON::Object::Ptr get(const std::string& type, const std::string& identifier) {
    const auto response =
        call("GET", "/people/2/persons", {{"type", type}, {"identifier", identifier}});
    EXPECT_EQ(response.status, 200) << response.body;
    return parseObject(response.body);
  }
  void define(const std::string& name, const std::string& type, const std::string& extra = "") {
    const auto response =
        call("POST", "/people/2/customAttributes", {},
             R"({"name":")" + name + R"(","dataType":")" + type + "\"" + extra + "}");
    ASSERT_EQ(response.status, 200) << response.body;
  }
  std::vector<std::string> listLastNames(Query query) {
    const auto response = call("GET", "/people/2/persons", std::move(query));
    EXPECT_EQ(response.status, 200) << response.body;
    std::vector<std::string> names;
    const auto persons = parseObject(response.body)->getArray("persons");
    for (size_t i = 0; i < persons->size(); ++i) {
      names.push_back(persons->getObject(i)->optValue<std::string>("lastName", ""));
    }
    return names;
  }

  ManualClocks clocks_;
  std::unique_ptr<Service> service_;
};

constexpr const char* kUnauthorized =
    R"({"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Unauthorized"}}})";

TEST_F(PeopleServiceTest, RejectsMissingWrongOrForeignCredentialsWithTheLegacyEnvelope) {
  for (const std::string auth : {"", "App wrong-key", "Basic dXNlcjpwYXNz", "Bearer nope", "App"}) {
    const auto response = service_->handle(makeRequest("GET", "/people/2/persons", {}, {}, auth));
    EXPECT_EQ(response.status, 401) << auth;
    EXPECT_EQ(response.body, kUnauthorized) << auth;
  }
  EXPECT_EQ(call("GET", "/people/2/persons").status, 200);
}

TEST_F(PeopleServiceTest, ScopedKeyMayReadButNotWrite) {
  make(false, {{kKey, {"people:read"}}});
  EXPECT_EQ(call("GET", "/people/2/persons").status, 200);
  EXPECT_EQ(call("POST", "/people/2/persons/match", {},
                 R"({"identities":[{"type":"EMAIL","identifier":"a@b.co"}]})")
                .status,
            200);
  const auto denied = call("POST", "/people/2/persons", {}, R"({"firstName":"Ana"})");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(serviceException(denied.body)->getValue<std::string>("messageId"), "FORBIDDEN");
}

TEST_F(PeopleServiceTest, OAuthClientCredentialsTokenWorksUntilItExpires) {
  auto tokenRequest = makeRequest(
      "POST", "/auth/1/oauth2/token", {},
      "client_id=sandbox-client&client_secret=sandbox-secret&grant_type=client_credentials", "");
  const auto issued = service_->handle(tokenRequest);
  ASSERT_EQ(issued.status, 200) << issued.body;
  const auto token = parseObject(issued.body);
  EXPECT_EQ(token->getValue<int>("expires_in"), 3600);
  EXPECT_EQ(token->getValue<std::string>("token_type"), "Bearer");
  const std::string bearer = "Bearer " + token->getValue<std::string>("access_token");
  EXPECT_EQ(service_->handle(makeRequest("GET", "/people/2/persons", {}, {}, bearer)).status, 200);
  clocks_.advanceWall(std::chrono::seconds(3601));
  EXPECT_EQ(service_->handle(makeRequest("GET", "/people/2/persons", {}, {}, bearer)).status, 401);

  tokenRequest.body = "client_id=sandbox-client&client_secret=wrong&grant_type=client_credentials";
  EXPECT_EQ(service_->handle(tokenRequest).status, 401);
  tokenRequest.body = "client_id=sandbox-client&client_secret=sandbox-secret&grant_type=password";
  EXPECT_EQ(service_->handle(tokenRequest).status, 400);

  tokenRequest.body =
      "client_id=sandbox-client&client_secret=sandbox-secret&grant_type=client_credentials";
  const auto second =
      parseObject(service_->handle(tokenRequest).body)->getValue<std::string>("access_token");
  service_->expireTokens();
  EXPECT_EQ(
      service_->handle(makeRequest("GET", "/people/2/persons", {}, {}, "Bearer " + second)).status,
      401);
}

TEST_F(PeopleServiceTest, CreateThenGetByEveryIdentifierType) {
  const auto created =
      create(R"({"externalId":"sf-003A","type":"LEAD","firstName":"Ana","lastName":"Horvat",
      "contactInformation":{"email":[{"address":"Ana.Horvat@Example.com"}],"phone":[{"number":"385911234567"}]},
      "tags":["VIP"]})");
  const auto id = created->getValue<int64_t>("id");
  EXPECT_EQ(created->getValue<std::string>("type"), "LEAD");
  EXPECT_EQ(created->getValue<std::string>("origin"), "API");
  EXPECT_EQ(created->getValue<std::string>("modifiedFrom"), "API");
  EXPECT_EQ(created->getValue<std::string>("createdAt"), "2024-03-05T14:07:09");
  EXPECT_TRUE(std::regex_match(created->getValue<std::string>("modifiedAt"),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)")));
  EXPECT_EQ(get("EXTERNAL_ID", "sf-003A")->getValue<int64_t>("id"), id);
  EXPECT_EQ(get("EMAIL", "ana.horvat@example.COM")->getValue<int64_t>("id"),
            id);  // case-insensitive
  EXPECT_EQ(get("PHONE", "385911234567")->getValue<int64_t>("id"), id);
  EXPECT_EQ(get("ID", std::to_string(id))->getValue<std::string>("lastName"), "Horvat");

  const auto missing =
      call("GET", "/people/2/persons", {{"type", "EXTERNAL_ID"}, {"identifier", "nobody"}});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(serviceException(missing.body)->getValue<std::string>("messageId"), "NOT_FOUND");
  EXPECT_EQ(call("GET", "/people/2/persons", {{"identifier", "x"}}).status, 400);
  EXPECT_EQ(call("GET", "/people/2/persons", {{"type", "FAX"}, {"identifier", "x"}}).status, 400);
  EXPECT_EQ(call("GET", "/people/2/persons", {{"type", "ID"}, {"identifier", "12a"}}).status, 400);
  EXPECT_EQ(call("GET", "/people/2/persons", {{"type", "WHATSAPP"}, {"identifier", "x"}}).status,
            400);

  EXPECT_EQ(
      call("DELETE", "/people/2/persons", {{"type", "ID"}, {"identifier", std::to_string(id)}})
          .status,
      200);
  EXPECT_EQ(
      call("GET", "/people/2/persons", {{"type", "PHONE"}, {"identifier", "385911234567"}}).status,
      404);
}

TEST_F(PeopleServiceTest, PutOverwritesEverythingWhilePatchAppendsTagsAndContacts) {
  define("Tier", "STRING");
  create(R"({"externalId":"p1","firstName":"Ana","lastName":"Horvat","city":"Zagreb","tags":["A"],
      "customAttributes":{"Tier":"Gold"},"contactInformation":{"email":[{"address":"ana@example.com"}]}})");
  const Query who = {{"type", "EXTERNAL_ID"}, {"identifier", "p1"}};

  auto patched = call(
      "PATCH", "/people/2/persons", who,
      R"({"lastName":"Kovac","tags":["B"],"contactInformation":{"email":[{"address":"ana2@example.com"}]}})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  auto person = parseObject(patched.body);
  EXPECT_EQ(person->getValue<std::string>("firstName"), "Ana");  // kept
  EXPECT_EQ(person->getValue<std::string>("lastName"), "Kovac");
  EXPECT_EQ(person->getValue<std::string>("city"), "Zagreb");
  EXPECT_EQ(person->getArray("tags")->size(), 2u);  // appended
  EXPECT_EQ(person->getObject("contactInformation")->getArray("email")->size(), 2u);
  EXPECT_EQ(person->getObject("customAttributes")->getValue<std::string>("Tier"), "Gold");

  auto put = call("PUT", "/people/2/persons", who,
                  R"({"externalId":"p1","firstName":"Ana","tags":["C"]})");
  ASSERT_EQ(put.status, 200) << put.body;
  person = parseObject(put.body);
  EXPECT_FALSE(person->has("lastName"));
  EXPECT_FALSE(person->has("city"));
  EXPECT_EQ(person->getValue<std::string>("type"), "CUSTOMER");
  ASSERT_EQ(person->getArray("tags")->size(), 1u);
  EXPECT_EQ(person->getArray("tags")->getElement<std::string>(0), "C");
  EXPECT_EQ(person->getObject("contactInformation")->getArray("email")->size(), 0u);
  EXPECT_EQ(person->getObject("customAttributes")->size(), 0u);
  // The emails released by the PUT can now be used by someone else.
  create(R"({"contactInformation":{"email":[{"address":"ANA@example.com"}]}})");
}

TEST_F(PeopleServiceTest, IdentifiersAreUniqueAcrossTheAccountAndConflictsNameTheHolder) {
  const auto first =
      create(R"({"externalId":"x1","contactInformation":{"email":[{"address":"ana@example.com"}],
      "phone":[{"number":"385911234567"}]}})");
  const auto holder = std::to_string(first->getValue<int64_t>("id"));

  auto conflict = call("POST", "/people/2/persons", {},
                       R"({"contactInformation":{"email":[{"address":"ANA@EXAMPLE.COM"}]}})");
  ASSERT_EQ(conflict.status, 409);
  auto error = serviceException(conflict.body);
  EXPECT_EQ(error->getValue<std::string>("text"),
            "Destination(email) ANA@EXAMPLE.COM already exists.");
  EXPECT_EQ(error->getObject("validationErrors")
                ->getArray("contactInformation.email")
                ->getElement<std::string>(0),
            "already belongs to person " + holder);

  EXPECT_EQ(call("POST", "/people/2/persons", {}, R"({"externalId":"x1"})").status, 409);
  EXPECT_EQ(call("POST", "/people/2/persons", {},
                 R"({"contactInformation":{"phone":[{"number":"385911234567"}]}})")
                .status,
            409);
  // externalId is case-sensitive.
  create(R"({"externalId":"X1"})");
  // A PATCH that adds someone else's email is refused too, and changes nothing.
  create(R"({"externalId":"x2"})");
  EXPECT_EQ(
      call(
          "PATCH", "/people/2/persons", {{"type", "EXTERNAL_ID"}, {"identifier", "x2"}},
          R"({"firstName":"Changed","contactInformation":{"email":[{"address":"ana@example.com"}]}})")
          .status,
      409);
  EXPECT_FALSE(get("EXTERNAL_ID", "x2")->has("firstName"));
}

TEST_F(PeopleServiceTest, ValidationErrorsListEveryBadPropertyWithItsPath) {
  const auto response = call(
      "POST", "/people/2/persons", {},
      R"({"type":"PROSPECT","firstName":")" + std::string(256, 'a') + R"(","middleName":")" +
          std::string(51, 'b') +
          R"(","birthDate":"2023-02-30","gender":"X","preferredLanguage":"english","favouriteColour":"red",
      "contactInformation":{"email":[{"address":"joe@bad"}],"phone":[{"number":"+385911234567"}]}})");
  ASSERT_EQ(response.status, 400);
  const auto error = serviceException(response.body);
  EXPECT_EQ(error->getValue<std::string>("messageId"), "BAD_REQUEST");
  const auto violations = error->getObject("validationErrors");
  for (const char* property :
       {"type", "firstName", "middleName", "birthDate", "gender", "preferredLanguage",
        "favouriteColour", "contactInformation.email[0].address",
        "contactInformation.phone[0].number"}) {
    EXPECT_TRUE(violations->has(property)) << property << " in " << response.body;
  }
  EXPECT_EQ(parseObject(call("GET", "/people/2/persons", {{"includeTotalCount", "true"}}).body)
                ->getValue<int>("totalCount"),
            0);
}

TEST_F(PeopleServiceTest, LengthLimitsCountCharactersNotBytes) {
  std::string name;
  for (int i = 0; i < 255; ++i) name += "\xC4\x8D";  // 255 x U+010D, 510 bytes
  EXPECT_EQ(call("POST", "/people/2/persons", {}, R"({"firstName":")" + name + "\"}").status, 200);
  EXPECT_EQ(call("POST", "/people/2/persons", {}, R"({"firstName":")" + name + "x\"}").status, 400);
  EXPECT_EQ(
      call("POST", "/people/2/persons", {}, R"({"city":")" + std::string(51, 'c') + "\"}").status,
      400);
  EXPECT_EQ(
      call("POST", "/people/2/persons", {}, R"({"externalId":")" + std::string(257, 'e') + "\"}")
          .status,
      400);
  // Not UTF-8: refused, and the error body itself stays valid JSON.
  const auto latin1 = call("POST", "/people/2/persons", {}, "{\"firstName\":\"Kova\xE8\"}");
  EXPECT_EQ(latin1.status, 400);
  EXPECT_NO_THROW(parseObject(latin1.body));
}

TEST_F(PeopleServiceTest, MalformedBodiesGetA400InTheEndpointsEnvelope) {
  for (const std::string body :
       {"", "{", "[1,2]", "{\"firstName\":}", "\"text\"", "{\"tags\":\"VIP\"}",
        "{\"firstName\":12}", "{\"contactInformation\":[]}", "null"}) {
    const auto response = call("POST", "/people/2/persons", {}, body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_EQ(serviceException(response.body)->getValue<std::string>("messageId"), "BAD_REQUEST")
        << body;
  }
  const auto v3 = call("PUT", "/people/3/persons/upsert", {}, "{\"persons\":[");
  ASSERT_EQ(v3.status, 400);
  EXPECT_EQ(parseObject(v3.body)->getValue<std::string>("code"), "400103");
  const auto missing = call("PATCH", "/people/3/persons/upsert", {}, "{}");
  ASSERT_EQ(missing.status, 400);
  EXPECT_EQ(parseObject(missing.body)->getValue<std::string>("code"), "400104");
  EXPECT_EQ(call("GET", "/people/2/nowhere").status, 404);
  EXPECT_EQ(call("PUT", "/people/2/persons/match").status, 405);
}

TEST_F(PeopleServiceTest, BodiesAboveTheSizeLimitAreRefusedWith413) {
  PeopleOptions options;
  options.apiKeys = {{kKey, {}}};
  options.maxBodyBytes = 64;
  clocks_.install(options);
  service_ = makePeopleService(options);
  const std::string big = R"({"firstName":")" + std::string(100, 'a') + "\"}";
  const auto v2 = call("POST", "/people/2/persons", {}, big);
  EXPECT_EQ(v2.status, 413);
  EXPECT_EQ(serviceException(v2.body)->getValue<std::string>("messageId"), "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(call("PUT", "/people/3/persons/upsert", {}, big).status, 413);
  EXPECT_EQ(call("POST", "/people/2/persons", {}, R"({"firstName":"Ana"})").status, 200);
}

TEST_F(PeopleServiceTest, MutatedBodiesNeverCrashAndAlwaysAnswerInAnEnvelope) {
  define("Visits", "INTEGER");
  define("Orders", "LIST_OF_OBJECTS", R"(,"objectSchema":{"product":"STRING"})");
  create(
      R"({"externalId":"base","contactInformation":{"email":[{"address":"base@example.com"}]}})");
  const std::vector<std::pair<std::string, std::string>> seeds = {
      {"POST /people/2/persons",
       R"({"externalId":"a","firstName":"Ana","tags":["T"],"customAttributes":{"Visits":2,"Orders":[{"product":"x"}]},"contactInformation":{"email":[{"address":"a@example.com"}],"phone":[{"number":"385911234567"}]}})"},
      {"PATCH /people/2/persons/batch",
       R"({"people":[{"query":{"type":"EXTERNAL_ID","identifier":"base"},"update":{"lastName":"B","tags":["U"]}}]})"},
      {"PUT /people/3/persons/upsert",
       R"({"persons":[{"externalId":"u","contactInformation":[{"type":"EMAIL","identifier":"u@example.com","primary":true}],"customAttributes":{"Visits":1}}]})"},
      {"POST /people/3/persons/merge", R"({"persons":[{"externalId":"base","city":"Split"}]})"},
      {"POST /people/2/persons/match",
       R"({"identities":[{"type":"EMAIL","identifier":"base@example.com"}]})"},
      {"POST /people/2/companies/batch",
       R"({"companies":[{"name":"C","domains":["c.hr"],"customAttributes":{"k":1}}]})"},
      {"POST /people/2/customAttributes",
       R"({"name":"N","dataType":"LIST_OF_OBJECTS","objectSchema":{"a":"DATE"}})"},
  };
  uint64_t state = 0x9E3779B97F4A7C15ull;  // fixed seed: the same mutations on every run
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const std::string alphabet = "{}[]\":,0123456789.-eEtrufalsn \\#\x01\xff";
  for (int round = 0; round < 3000; ++round) {
    const auto& [target, seed] = seeds[next() % seeds.size()];
    std::string body = seed;
    for (int edits = 1 + static_cast<int>(next() % 4); edits > 0 && !body.empty(); --edits) {
      const size_t at = next() % body.size();
      switch (next() % 3) {
        case 0:
          body[at] = alphabet[next() % alphabet.size()];
          break;
        case 1:
          body.erase(at, 1 + next() % 8);
          break;
        default:
          body.insert(at, 1, alphabet[next() % alphabet.size()]);
      }
    }
    const auto space = target.find(' ');
    const auto response = call(target.substr(0, space), target.substr(space + 1), {}, body);
    ASSERT_TRUE(response.status == 200 || response.status == 207 || response.status == 400 ||
                response.status == 409)
        << target << " " << body << " -> " << response.status << " " << response.body;
    if (!response.body.empty()) {
      ASSERT_NO_THROW(parseObject(response.body)) << response.body;
    }
  }
}

TEST_F(PeopleServiceTest, CustomAttributesMustBeDefinedAndTypeChecked) {
  auto rejected = call("POST", "/people/2/persons", {}, R"({"customAttributes":{"Tier":"Gold"}})");
  ASSERT_EQ(rejected.status, 400);
  EXPECT_TRUE(
      serviceException(rejected.body)->getObject("validationErrors")->has("customAttributes.Tier"));

  define("Tier", "STRING");
  define("Visits", "INTEGER");
  define("Score", "DECIMAL");
  define("Active", "BOOLEAN");
  define("Contract End", "DATE");
  define("Orders", "LIST_OF_OBJECTS", R"(,"objectSchema":{"product":"STRING","price":"DECIMAL"})");
  EXPECT_EQ(call("POST", "/people/2/customAttributes", {}, R"({"name":"Tier","dataType":"STRING"})")
                .status,
            400);
  EXPECT_EQ(call("POST", "/people/2/customAttributes", {}, R"({"name":"a[b]","dataType":"STRING"})")
                .status,
            400);
  EXPECT_EQ(
      call("POST", "/people/2/customAttributes", {}, R"({"name":"L","dataType":"LIST_OF_OBJECTS"})")
          .status,
      400);
  EXPECT_EQ(
      call("POST", "/people/2/customAttributes", {}, R"({"name":"Z","dataType":"MONEY"})").status,
      400);

  for (const std::string bad :
       {R"({"Visits":"12"})", R"({"Visits":1.5})", R"({"Score":"1.5"})", R"({"Active":"yes"})",
        R"({"Contract End":"31.01.2025"})", R"({"Orders":[{"product":"A","colour":"red"}]})",
        R"({"Orders":{"product":"A"}})"}) {
    EXPECT_EQ(call("POST", "/people/2/persons", {}, R"({"customAttributes":)" + bad + "}").status,
              400)
        << bad;
  }
  const auto person =
      create(R"({"externalId":"c1","customAttributes":{"Tier":"Gold","Visits":12,"Score":4.5,
      "Active":true,"Contract End":"2025-01-31","Orders":[{"product":"A","price":9.99}]}})");
  EXPECT_EQ(person->getObject("customAttributes")->getValue<int>("Visits"), 12);

  const auto appended =
      call("POST", "/people/2/customAttributes/Orders/append",
           {{"type", "EXTERNAL_ID"}, {"identifier", "c1"}}, R"({"product":"B","price":1})");
  ASSERT_EQ(appended.status, 200) << appended.body;
  EXPECT_EQ(parseObject(appended.body)->getObject("customAttributes")->getArray("Orders")->size(),
            2u);

  const auto list =
      parseObject(call("GET", "/people/2/customAttributes", {{"includeTotalCount", "true"}}).body);
  EXPECT_EQ(list->getValue<int>("totalCount"), 6);
  EXPECT_EQ(list->getArray("customAttributes")->getObject(0)->getValue<std::string>("name"),
            "Active");
  EXPECT_EQ(call("GET", "/people/2/customAttributes/Tier").status, 200);
  EXPECT_EQ(call("DELETE", "/people/2/customAttributes/Tier").status, 200);
  EXPECT_EQ(call("GET", "/people/2/customAttributes/Tier").status, 404);
  EXPECT_FALSE(get("EXTERNAL_ID", "c1")->getObject("customAttributes")->has("Tier"));
}

TEST_F(PeopleServiceTest, ListPagesAreOneBasedOrderedAndBounded) {
  for (int i = 0; i < 25; ++i) {
    char name[8];
    std::snprintf(name, sizeof name, "N%02d", i);
    create(std::string(R"({"lastName":")") + name + "\"}");
    clocks_.advanceWall(std::chrono::seconds(1));
  }
  EXPECT_EQ(listLastNames({{"limit", "10"}, {"page", "3"}}).size(), 5u);
  EXPECT_EQ(listLastNames({}).size(), 20u);  // default limit
  const auto desc = listLastNames({{"limit", "3"}, {"page", "1"}, {"orderBy", "lastName:desc"}});
  EXPECT_EQ(desc, (std::vector<std::string>{"N24", "N23", "N22"}));
  const auto newest =
      listLastNames({{"limit", "2"}, {"page", "2"}, {"orderBy", "modifiedAt:desc"}});
  EXPECT_EQ(newest, (std::vector<std::string>{"N22", "N21"}));
  const auto page = parseObject(call("GET", "/people/2/persons",
                                     {{"limit", "10"},
                                      {"page", "2"},
                                      {"includeTotalCount", "true"},
                                      {"orderBy", "createdAt:asc"}})
                                    .body);
  EXPECT_EQ(page->getValue<int>("totalCount"), 25);
  EXPECT_EQ(page->getValue<int>("page"), 2);
  EXPECT_EQ(page->getValue<int>("limit"), 10);
  EXPECT_EQ(page->getValue<std::string>("orderBy"), "createdAt:asc");
  EXPECT_EQ(page->getArray("persons")->getObject(0)->getValue<std::string>("lastName"), "N10");
  EXPECT_TRUE(listLastNames({{"page", "9"}}).empty());
  for (const Query& bad :
       {Query{{"limit", "1001"}}, Query{{"limit", "0"}}, Query{{"page", "0"}},
        Query{{"limit", "ten"}}, Query{{"orderBy", "city:asc"}}, Query{{"orderBy", "lastName:up"}},
        Query{{"includeTotalCount", "yes"}}}) {
    EXPECT_EQ(call("GET", "/people/2/persons", bad).status, 400)
        << bad.front().first << "=" << bad.front().second;
  }
  EXPECT_EQ(listLastNames({{"limit", "1000"}}).size(), 25u);
}

TEST_F(PeopleServiceTest, FiltersCombineComparisonsOverStandardCustomAndListAttributes) {
  define("Visits", "INTEGER");
  create(
      R"({"firstName":"Ana","lastName":"Horvat","tags":["VIP","SF-Sync"],"customAttributes":{"Visits":3},
      "contactInformation":{"email":[{"address":"ana@example.com"}]}})");
  clocks_.advanceWall(std::chrono::seconds(60));
  create(
      R"({"firstName":"Ivan","lastName":"Kovac","tags":["SF-Sync"],"customAttributes":{"Visits":10}})");
  create(R"({"firstName":"Ana","lastName":"Babic"})");
  auto names = [&](const std::string& filter) {
    return listLastNames({{"filter", filter}, {"orderBy", "lastName:asc"}});
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(names(R"({"#and":[{"firstName":"Ana"},{"#contains":{"tags":"VIP"}}]})"),
            Names{"Horvat"});
  EXPECT_EQ(names(R"({"#and":[{"#contains":{"tags":"SF-Sync"}}]})"), (Names{"Horvat", "Kovac"}));
  EXPECT_EQ(names(R"({"#or":[{"lastName":"Babic"},{"#gt":{"Visits":5}}]})"),
            (Names{"Babic", "Kovac"}));
  EXPECT_EQ(names(R"({"#ne":{"firstName":"Ana"}})"), Names{"Kovac"});
  EXPECT_EQ(names(R"({"#startsWith":{"lastName":"Ko"}})"), Names{"Kovac"});
  EXPECT_EQ(names(R"({"#endsWith":{"lastName":"vat"}})"), Names{"Horvat"});
  EXPECT_EQ(names(R"({"#notContain":{"tags":"VIP"}})"), (Names{"Babic", "Kovac"}));
  EXPECT_EQ(names(R"({"#lte":{"Visits":3}})"), Names{"Horvat"});
  EXPECT_EQ(names(R"({"#gte":{"modifiedAt":"2024-03-05T14:08:09"}})"), (Names{"Babic", "Kovac"}));
  EXPECT_EQ(names(R"({"#eq":{"email":"ANA@example.com"}})"), Names{"Horvat"});
  EXPECT_EQ(names(R"({"#eq":{"lastName":null}})"), Names{});
  for (const std::string bad :
       {R"({"#gt":{"firstName":"A"}})", R"({"shoeSize":"42"})", R"({"#and":{}})",
        R"({"#gt":{"Visits":"5"}})", R"({"#like":{"firstName":"A"}})", R"({"firstName":)",
        R"({"#gte":{"modifiedAt":"yesterday"}})", R"([])"}) {
    const auto response = call("GET", "/people/2/persons", {{"filter", bad}});
    EXPECT_EQ(response.status, 400) << bad;
  }
}

TEST_F(PeopleServiceTest, BatchCreateReportsOnlyFailedEntriesWith207) {
  create(R"({"contactInformation":{"email":[{"address":"ana.horvat@example.com"}]}})");
  const auto response = call("POST", "/people/2/persons/batch", {}, R"({"people":[
      {"externalId":"sf-003A","lastName":"Horvat","contactInformation":{"email":[{"address":"ana.horvat@example.com"}]}},
      {"externalId":"sf-003B","lastName":"Kovac"},
      {"externalId":"sf-003C","type":"NOPE"},
      {"externalId":"sf-003B"}]})");
  ASSERT_EQ(response.status, 207) << response.body;
  const auto results = parseObject(response.body)->getArray("results");
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ(results->getObject(0)->getValue<int>("index"), 0);
  EXPECT_EQ(results->getObject(0)->getValue<int>("status"), 409);
  EXPECT_EQ(
      results->getObject(0)->getArray("errors")->getObject(0)->getValue<std::string>("message"),
      "Destination(email) ana.horvat@example.com already exists.");
  EXPECT_EQ(results->getObject(1)->getValue<int>("index"), 2);
  EXPECT_EQ(results->getObject(1)->getValue<int>("status"), 400);
  EXPECT_EQ(results->getObject(2)->getValue<int>("index"), 3);  // duplicate of entry 1
  EXPECT_EQ(get("EXTERNAL_ID", "sf-003B")->getValue<std::string>("lastName"), "Kovac");

  const auto ok =
      call("POST", "/people/2/persons/batch", {}, R"({"people":[{"externalId":"sf-003D"}]})");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(parseObject(ok.body)->getArray("results")->size(), 0u);

  std::string tooMany = R"({"people":[)";
  for (int i = 0; i < 1001; ++i) tooMany += std::string(i ? "," : "") + "{}";
  EXPECT_EQ(call("POST", "/people/2/persons/batch", {}, tooMany + "]}").status, 400);
  EXPECT_EQ(call("POST", "/people/2/persons/batch", {}, R"({"people":[]})").status, 400);
}

TEST_F(PeopleServiceTest, BatchUpdateAndDeleteReportUnmatchedQueriesAs409Entries) {
  create(R"({"externalId":"sf-003A","tags":["A"]})");
  const auto update = call("PATCH", "/people/2/persons/batch", {}, R"({"people":[
      {"query":{"type":"EXTERNAL_ID","identifier":"sf-003A"},"update":{"firstName":"Ana","tags":["B"],
        "contactInformation":{"phone":[{"number":"385911234567"}]}}},
      {"query":{"type":"EXTERNAL_ID","identifier":"sf-missing"},"update":{"firstName":"X"}}]})");
  ASSERT_EQ(update.status, 207) << update.body;
  const auto entry = parseObject(update.body)->getArray("results")->getObject(0);
  EXPECT_EQ(entry->getValue<int>("status"), 409);
  EXPECT_FALSE(entry->getValue<bool>("isModified"));
  EXPECT_EQ(entry->getObject("query")->getValue<std::string>("identifier"), "sf-missing");
  EXPECT_EQ(entry->getArray("errors")->getObject(0)->getValue<std::string>("message"),
            "There is no person matching the query");
  const auto person = get("PHONE", "385911234567");
  EXPECT_EQ(person->getValue<std::string>("firstName"), "Ana");
  EXPECT_EQ(person->getArray("tags")->size(), 2u);

  const auto removed = call("DELETE", "/people/2/persons/batch", {}, R"({"people":[
      {"query":{"type":"PHONE","identifier":"385911234567"}},{"query":{"type":"PHONE","identifier":"385900000000"}}]})");
  ASSERT_EQ(removed.status, 207);
  const auto unmatched = parseObject(removed.body)->getArray("results")->getObject(0);
  EXPECT_EQ(unmatched->getValue<int>("status"), 409);
  EXPECT_FALSE(unmatched->has("isModified"));  // only update results say whether they modified
  EXPECT_EQ(unmatched->getObject("query")->getValue<std::string>("identifier"), "385900000000");
  EXPECT_EQ(
      call("GET", "/people/2/persons", {{"type", "EXTERNAL_ID"}, {"identifier", "sf-003A"}}).status,
      404);
}

TEST_F(PeopleServiceTest, UpsertReportsCreatedUpdatedNotModifiedAndPerRecordErrors) {
  define("Loyalty Tier", "STRING");
  const std::string ana = R"({"externalId":"sf-1","firstName":"Ana","lastName":"Horvat",
      "contactInformation":[{"type":"EMAIL","identifier":"ana.horvat@example.com","primary":true}],
      "customAttributes":{"Loyalty Tier":"Gold"}})";
  auto first = call("PATCH", "/people/3/persons/upsert", {}, R"({"persons":[)" + ana + R"(,
      {"firstName":"Joe","contactInformation":[{"type":"EMAIL","identifier":"joe@bad"}]}]})");
  ASSERT_EQ(first.status, 207) << first.body;
  auto body = parseObject(first.body);
  const auto result = body->getArray("results")->getObject(0);
  EXPECT_EQ(result->getValue<std::string>("status"), "CREATED");
  EXPECT_EQ(result->getValue<int>("index"), 0);
  const auto id = result->getValue<int64_t>("id");
  const auto error = body->getArray("errors")->getObject(0);
  EXPECT_EQ(error->getValue<int>("index"), 1);
  EXPECT_EQ(error->getValue<std::string>("code"), "400100");
  EXPECT_EQ(error->getValue<std::string>("message"),
            "One or more properties of the person are invalid");
  EXPECT_EQ(error->getArray("details")->getObject(0)->getValue<std::string>("property"),
            "persons[1].contactInformation[0].identifier");
  EXPECT_EQ(error->getArray("details")->getObject(0)->getValue<std::string>("message"),
            "Email address is invalid");

  const auto modifiedAt = get("ID", std::to_string(id))->getValue<std::string>("modifiedAt");
  clocks_.advanceWall(std::chrono::seconds(30));
  auto again = call("PATCH", "/people/3/persons/upsert", {}, R"({"persons":[)" + ana + "]}");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(
      parseObject(again.body)->getArray("results")->getObject(0)->getValue<std::string>("status"),
      "NOT_MODIFIED");
  EXPECT_EQ(get("ID", std::to_string(id))->getValue<std::string>("modifiedAt"), modifiedAt);

  // Matched by email alone, PATCH keeps what it does not mention.
  auto changed = call(
      "PATCH", "/people/3/persons/upsert", {},
      R"({"persons":[{"lastName":"Kovac","contactInformation":[{"type":"EMAIL","identifier":"ANA.HORVAT@example.com"}]}]})");
  const auto changedResult = parseObject(changed.body)->getArray("results")->getObject(0);
  EXPECT_EQ(changedResult->getValue<std::string>("status"), "UPDATED");
  EXPECT_EQ(changedResult->getValue<int64_t>("id"), id);
  auto person = get("ID", std::to_string(id));
  EXPECT_EQ(person->getValue<std::string>("firstName"), "Ana");
  EXPECT_EQ(person->getValue<std::string>("lastName"), "Kovac");
  EXPECT_NE(person->getValue<std::string>("modifiedAt"), modifiedAt);

  // PUT is a full upsert: what it omits is cleared.
  auto full = call("PUT", "/people/3/persons/upsert", {},
                   R"({"persons":[{"externalId":"sf-1","lastName":"Horvat"}]})");
  EXPECT_EQ(
      parseObject(full.body)->getArray("results")->getObject(0)->getValue<std::string>("status"),
      "UPDATED");
  person = get("ID", std::to_string(id));
  EXPECT_FALSE(person->has("firstName"));
  EXPECT_EQ(person->getObject("contactInformation")->getArray("email")->size(), 0u);
  EXPECT_EQ(person->getObject("customAttributes")->size(), 0u);
}

TEST_F(PeopleServiceTest, UpsertRefusesIdentifiersOfDifferentPersonsAndBadBatches) {
  create(R"({"externalId":"sf-1"})");
  create(R"({"contactInformation":{"phone":[{"number":"385911234567"}]}})");
  const auto response = call("PATCH", "/people/3/persons/upsert", {}, R"({"persons":[
      {"externalId":"sf-1","contactInformation":[{"type":"PHONE","identifier":"385911234567"}]},
      {"firstName":"No identifier"},
      {"externalId":"sf-2","tags":["A","A"]},
      {"externalId":"sf-3","contactInformation":[{"type":"FACEBOOK","identifier":"x"}]},
      {"externalId":"sf-4","customAttributes":{"Undefined":1}}]})");
  ASSERT_EQ(response.status, 207);
  const auto body = parseObject(response.body);
  EXPECT_EQ(body->getArray("results")->size(), 0u);
  const auto errors = body->getArray("errors");
  ASSERT_EQ(errors->size(), 5u);
  EXPECT_EQ(errors->getObject(0)->getValue<std::string>("code"), "409100");
  EXPECT_EQ(errors->getObject(0)->getArray("details")->size(), 2u);
  for (size_t i = 1; i < 5; ++i) {
    EXPECT_EQ(errors->getObject(i)->getValue<std::string>("code"), "400100");
    EXPECT_EQ(errors->getObject(i)->getValue<size_t>("index"), i);
  }
  std::string tooMany = R"({"persons":[)";
  for (int i = 0; i < 1001; ++i)
    tooMany += std::string(i ? "," : "") + R"({"externalId":"e)" + std::to_string(i) + "\"}";
  EXPECT_EQ(call("PUT", "/people/3/persons/upsert", {}, tooMany + "]}").status, 400);
}

TEST_F(PeopleServiceTest, MatchResolvesKnownIdentitiesOnce) {
  const auto id =
      create(
          R"({"externalId":"sf-003A","contactInformation":{"email":[{"address":"ana@example.com"}]}})")
          ->getValue<int64_t>("id");
  const auto response = call("POST", "/people/2/persons/match", {}, R"({"identities":[
      {"type":"EXTERNAL_ID","identifier":"sf-003A"},{"type":"EMAIL","identifier":"ana@example.com"},
      {"type":"EMAIL","identifier":"ANA@example.com"},{"type":"PHONE","identifier":"385900000000"}]})");
  ASSERT_EQ(response.status, 200) << response.body;
  const auto matches = parseObject(response.body)->getArray("matches");
  ASSERT_EQ(matches->size(), 2u);
  EXPECT_EQ(matches->getObject(0)->getValue<std::string>("type"), "EXTERNAL_ID");
  EXPECT_EQ(matches->getObject(1)->getValue<int64_t>("personId"), id);
  EXPECT_EQ(call("POST", "/people/2/persons/match", {},
                 R"({"identities":[{"type":"SHOE","identifier":"x"}]})")
                .status,
            400);
}

TEST_F(PeopleServiceTest, MergeFoldsEveryProfileSharingAnIdentifierIntoTheOldest) {
  const auto older =
      create(R"({"externalId":"sf-1","firstName":"Ana","tags":["A"]})")->getValue<int64_t>("id");
  create(
      R"({"lastName":"Horvat","tags":["B"],"contactInformation":{"email":[{"address":"ana@example.com"}]}})");
  const auto response = call("POST", "/people/3/persons/merge", {}, R"({"persons":[
      {"externalId":"sf-1","city":"Zagreb","contactInformation":[{"type":"EMAIL","identifier":"ana@example.com"}]},
      {"externalId":"sf-new"}]})");
  ASSERT_EQ(response.status, 200) << response.body;
  const auto results = parseObject(response.body)->getArray("results");
  EXPECT_EQ(results->getObject(0)->getValue<int64_t>("id"), older);
  const auto person = get("EMAIL", "ana@example.com");
  EXPECT_EQ(person->getValue<int64_t>("id"), older);
  EXPECT_EQ(person->getValue<std::string>("lastName"), "Horvat");
  EXPECT_EQ(person->getValue<std::string>("city"), "Zagreb");
  EXPECT_EQ(person->getArray("tags")->size(), 2u);
  EXPECT_EQ(parseObject(call("GET", "/people/2/persons", {{"includeTotalCount", "true"}}).body)
                ->getValue<int>("totalCount"),
            2);
}

TEST_F(PeopleServiceTest, ContactInformationEndpointsReplaceAddAndRemove) {
  create(
      R"({"externalId":"c","contactInformation":{"email":[{"address":"a@example.com"}],"phone":[{"number":"385911111111"}]}})");
  const Query who = {{"type", "EXTERNAL_ID"}, {"identifier", "c"}};
  auto contacts = [&](const Response& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    const auto info = parseObject(r.body)->getObject("contactInformation");
    return std::make_pair(info->getArray("email")->size(), info->getArray("phone")->size());
  };
  EXPECT_EQ(contacts(call("PATCH", "/people/2/persons/contactInformation", who,
                          R"({"contactInformation":{"email":[{"address":"b@example.com"}]}})")),
            std::make_pair(size_t{2}, size_t{1}));
  EXPECT_EQ(contacts(call("DELETE", "/people/2/persons/contactInformation", who,
                          R"({"contactInformation":{"email":[{"address":"A@example.com"}]}})")),
            std::make_pair(size_t{1}, size_t{1}));
  EXPECT_EQ(contacts(call("PUT", "/people/2/persons/contactInformation", who,
                          R"({"contactInformation":{"phone":[{"number":"385922222222"}]}})")),
            std::make_pair(size_t{0}, size_t{1}));
  EXPECT_EQ(get("PHONE", "385922222222")->getValue<std::string>("externalId"), "c");
  EXPECT_EQ(call("PATCH", "/people/2/persons/contactInformation", who, R"({})").status, 400);
}

TEST_F(PeopleServiceTest, TagsAreListedAssignedAndRemoved) {
  create(R"({"externalId":"t1","tags":["Auto"]})");
  create(R"({"externalId":"t2"})");
  const auto tag = call("POST", "/people/2/tags", {}, R"({"name":"VIP"})");
  ASSERT_EQ(tag.status, 200);
  EXPECT_EQ(parseObject(tag.body)->getValue<std::string>("name"), "VIP");
  EXPECT_EQ(call("POST", "/people/2/tags", {}, R"({"name":"VIP"})").status, 400);
  const auto list =
      parseObject(call("GET", "/people/2/tags", {{"includeTotalCount", "true"}}).body);
  EXPECT_EQ(list->getValue<int>("totalCount"), 2);  // "Auto" was created by the person write
  const auto assign = call("PATCH", "/people/2/tags/VIP/persons", {}, R"({"people":[
      {"query":{"type":"EXTERNAL_ID","identifier":"t1"}},{"query":{"type":"EXTERNAL_ID","identifier":"t2"}},
      {"query":{"type":"EXTERNAL_ID","identifier":"t3"}}]})");
  EXPECT_EQ(assign.status, 207);
  EXPECT_EQ(get("EXTERNAL_ID", "t2")->getArray("tags")->getElement<std::string>(0), "VIP");
  EXPECT_EQ(call("DELETE", "/people/2/tags/VIP/persons", {},
                 R"({"people":[{"query":{"type":"EXTERNAL_ID","identifier":"t2"}}]})")
                .status,
            200);
  EXPECT_EQ(get("EXTERNAL_ID", "t2")->getArray("tags")->size(), 0u);
  EXPECT_EQ(call("DELETE", "/people/2/tags/VIP").status, 200);
  EXPECT_EQ(get("EXTERNAL_ID", "t1")->getArray("tags")->size(), 1u);
  EXPECT_EQ(call("GET", "/people/2/tags/VIP").status, 404);
  EXPECT_EQ(call("PATCH", "/people/2/tags/VIP/persons", {}, R"({"people":[]})").status, 404);
}

TEST_F(PeopleServiceTest, CompaniesAreUniqueByNameAndLinkPersons) {
  const auto created = call("POST", "/people/2/companies", {},
                            R"({"name":"Acme d.o.o.","domains":["acme.hr"],"tags":["A"]})");
  ASSERT_EQ(created.status, 200) << created.body;
  const auto id = parseObject(created.body)->getValue<int64_t>("id");
  EXPECT_EQ(call("POST", "/people/2/companies", {}, R"({"name":"ACME D.O.O."})").status, 409);
  EXPECT_EQ(call("POST", "/people/2/companies", {}, R"({"domains":["x.hr"]})").status, 400);
  EXPECT_EQ(parseObject(call("GET", "/people/2/companies", {{"domain", "ACME.hr"}}).body)
                ->getValue<int64_t>("id"),
            id);
  EXPECT_EQ(
      call("GET", "/people/2/companies", {{"domain", "acme.hr"}, {"name", "Acme d.o.o."}}).status,
      400);

  auto patched = call("PATCH", "/people/2/companies", {{"id", std::to_string(id)}},
                      R"({"tags":["B"],"industry":"Retail"})");
  ASSERT_EQ(patched.status, 200);
  EXPECT_EQ(parseObject(patched.body)->getArray("tags")->size(), 2u);
  patched = call("PATCH", "/people/2/companies",
                 {{"id", std::to_string(id)}, {"replaceTags", "true"}}, R"({"tags":["C"]})");
  EXPECT_EQ(parseObject(patched.body)->getArray("tags")->size(), 1u);

  const auto person = create(R"({"externalId":"emp-1"})")->getValue<int64_t>("id");
  EXPECT_EQ(call("PATCH", "/people/2/companies/persons", {{"name", "acme d.o.o."}},
                 R"({"people":[{"query":{"type":"EXTERNAL_ID","identifier":"emp-1"}}]})")
                .status,
            200);
  auto dump = parseObject(admin("GET", "/dump").body);
  ASSERT_EQ(dump->getArray("companyLinks")->size(), 1u);
  EXPECT_EQ(dump->getArray("companyLinks")->getObject(0)->getValue<int64_t>("personId"), person);

  const auto batch = call("POST", "/people/2/companies/batch", {},
                          R"({"companies":[{"name":"Beta"},{"name":"acme D.O.O."}]})");
  ASSERT_EQ(batch.status, 207);
  EXPECT_EQ(parseObject(batch.body)->getArray("results")->getObject(1)->getValue<int>("status"),
            409);
  const auto list =
      parseObject(call("GET", "/people/2/companies", {{"includeTotalCount", "true"}}).body);
  EXPECT_EQ(list->getValue<int>("totalCount"), 2);
  EXPECT_EQ(call("DELETE", "/people/2/companies", {{"externalId", "none"}}).status, 404);
  EXPECT_EQ(call("DELETE", "/people/2/companies", {{"id", std::to_string(id)}}).status, 200);
  EXPECT_EQ(parseObject(admin("GET", "/dump").body)->getArray("companyLinks")->size(), 0u);
}

TEST_F(PeopleServiceTest, RateLimitsAnswer429PerEndpointAndRecoverAsTokensRefill) {
  make(true);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(call("GET", "/people/2/persons").status, 200) << i;
  const auto limited = call("GET", "/people/2/persons");
  ASSERT_EQ(limited.status, 429);
  EXPECT_EQ(serviceException(limited.body)->getValue<std::string>("messageId"),
            "TOO_MANY_REQUESTS");
  // Other endpoints have their own buckets; create allows 10/s.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(
        call("POST", "/people/2/persons", {}, R"({"externalId":"r)" + std::to_string(i) + "\"}")
            .status,
        200)
        << i;
  }
  EXPECT_EQ(call("POST", "/people/2/persons", {}, "{}").status, 429);
  for (int i = 0; i < 5; ++i)
    call("PATCH", "/people/3/persons/upsert", {}, R"({"persons":[{"externalId":"u"}]})");
  const auto v3 =
      call("PATCH", "/people/3/persons/upsert", {}, R"({"persons":[{"externalId":"u"}]})");
  ASSERT_EQ(v3.status, 429);
  EXPECT_EQ(parseObject(v3.body)->getValue<std::string>("errorCode"), "E429");

  clocks_.advance(std::chrono::milliseconds(200));  // one token at 5/s
  EXPECT_EQ(call("GET", "/people/2/persons").status, 200);
  EXPECT_EQ(call("GET", "/people/2/persons").status, 429);

  EXPECT_EQ(admin("PUT", "/rateLimits", R"({"enabled":false})").status, 200);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(call("GET", "/people/2/persons").status, 200);
  EXPECT_EQ(admin("PUT", "/rateLimits", R"({"enabled":"no"})").status, 400);
}

TEST_F(PeopleServiceTest, SnapshotRestoresTheWholeAccount) {
  define("Visits", "INTEGER");
  create(R"({"externalId":"s1","tags":["VIP"],"customAttributes":{"Visits":2},
      "contactInformation":{"email":[{"address":"s1@example.com"}]}})");
  call("POST", "/people/2/companies", {}, R"({"name":"Acme"})");
  const std::string saved = service_->snapshot();
  service_->reset();
  EXPECT_EQ(
      call("GET", "/people/2/persons", {{"type", "EXTERNAL_ID"}, {"identifier", "s1"}}).status,
      404);
  service_->restore(saved);
  const auto person = get("EMAIL", "S1@example.com");
  EXPECT_EQ(person->getObject("customAttributes")->getValue<int>("Visits"), 2);
  EXPECT_EQ(service_->snapshot(), saved);
  // New ids continue after the restored ones.
  EXPECT_GT(create("{}")->getValue<int64_t>("id"), person->getValue<int64_t>("id"));

  EXPECT_THROW(service_->restore("{\"version\":1,\"persons\":7}"), std::runtime_error);
  EXPECT_THROW(service_->restore("not json"), std::runtime_error);
  EXPECT_EQ(get("EXTERNAL_ID", "s1")->getValue<std::string>("externalId"), "s1");  // unchanged
}

TEST_F(PeopleServiceTest, SeedIsDeterministicAndPortalWritesAreMarked) {
  const auto seeded = admin("POST", "/seed", R"({"count":50,"seed":7,"externalIdPrefix":"seed-"})");
  ASSERT_EQ(seeded.status, 200) << seeded.body;
  EXPECT_EQ(parseObject(seeded.body)->getValue<int>("created"), 50);
  const auto firstDump = admin("GET", "/dump").body;
  service_->reset();
  admin("POST", "/seed", R"({"count":50,"seed":7,"externalIdPrefix":"seed-"})");
  EXPECT_EQ(admin("GET", "/dump").body, firstDump);
  const auto person = get("EXTERNAL_ID", "seed-3");
  EXPECT_TRUE(person->getObject("contactInformation")->getArray("email")->size() == 1);
  // Seeding the same sequence again collides with every identifier and creates nothing.
  EXPECT_EQ(parseObject(
                admin("POST", "/seed", R"({"count":50,"seed":7,"externalIdPrefix":"seed-"})").body)
                ->getValue<int>("skipped"),
            50);

  const auto portal = admin("POST", "/persons", R"({"firstName":"Portal","externalId":"p-1"})");
  ASSERT_EQ(portal.status, 200);
  EXPECT_EQ(parseObject(portal.body)->getValue<std::string>("origin"), "PORTAL");
  EXPECT_EQ(admin("POST", "/seed", R"({"count":0})").status, 400);
  EXPECT_EQ(admin("POST", "/seed", R"({"count":"10"})").status, 400);
  EXPECT_EQ(admin("POST", "/seed", R"({"tags":"VIP"})").status, 400);
  EXPECT_EQ(admin("GET", "/nothing").status, 404);
}

TEST_F(PeopleServiceTest, EndpointNamesGroupPathsIntoTemplates) {
  EXPECT_EQ(service_->endpointName(makeRequest("GET", "/people/2/tags/VIP")),
            "GET /people/2/tags/{name}");
  EXPECT_EQ(service_->endpointName(makeRequest("PATCH", "/people/3/persons/upsert")),
            "PATCH /people/3/persons/upsert");
  const auto fault = service_->faultResponse(429, makeRequest("GET", "/people/2/persons"));
  EXPECT_EQ(fault.status, 429);
  EXPECT_EQ(serviceException(fault.body)->getValue<std::string>("messageId"), "TOO_MANY_REQUESTS");
  EXPECT_EQ(
      parseObject(service_->faultResponse(503, makeRequest("PUT", "/people/3/persons/upsert")).body)
          ->getValue<std::string>("code"),
      "500100");
}

}  // namespace
}  // namespace ferry::sandbox::people
