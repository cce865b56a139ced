// Seeded garbage through Service::handle (no HTTP, so thousands of cases stay fast): every
// answer must be a well-formed response, never an exception; and random SOQL must either parse
// and run or fail with a SoqlError.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include "ferry/sandbox/fake_data.hpp"
#include "ferry/sandbox/salesforce/service.hpp"
#include "model.hpp"
#include "soql.hpp"

namespace ferry::sandbox::salesforce {
namespace {

std::string token(Service& service) {
  Request request;
  request.method = "POST";
  request.path = "/services/oauth2/token";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Host", "127.0.0.1:1"}};
  SalesforceOptions defaults;
  request.body = "grant_type=client_credentials&client_id=" + defaults.clientId +
                 "&client_secret=" + defaults.clientSecret;
  auto response = service.handle(request);
  return Poco::JSON::Parser()
      .parse(response.body)
      .extract<Poco::JSON::Object::Ptr>()
      ->getValue<std::string>("access_token");
}

TEST(Robustness, MutatedRequestsAlwaysGetAWellFormedAnswer) {
  SalesforceOptions options;
  options.clock = [] { return int64_t{1767225600000}; };
  auto service = makeSalesforceService(options);
  Request seed;
  seed.method = "POST";
  service->admin(Request{"POST",
                         "/__sandbox/salesforce/seed",
                         {},
                         {},
                         R"({"Account":3,"Contact":20,"Lead":5})",
                         ""},
                 "/seed");
  std::string bearer = "Bearer " + token(*service);
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"POST", "/services/data/v60.0/sobjects/Contact"},
      {"PATCH", "/services/data/v60.0/sobjects/Contact/0035g0000000001AAA"},
      {"PATCH", "/services/data/v60.0/sobjects/Contact/Ferry_External_Id__c/x"},
      {"POST", "/services/data/v60.0/composite/sobjects"},
      {"PATCH", "/services/data/v60.0/composite/sobjects"},
      {"PATCH", "/services/data/v60.0/composite/sobjects/Contact/Ferry_External_Id__c"},
      {"POST", "/services/data/v60.0/composite/sobjects/Contact"},
      {"POST", "/services/data/v60.0/jobs/ingest"},
      {"POST", "/services/data/v60.0/jobs/query"},
      {"POST", "/services/oauth2/token"},
      {"POST", "/services/oauth2/revoke"},
      {"GET", "/services/data/v60.0/query"},
      {"GET", "/services/data/v60.0/sobjects/Contact/updated"},
  };
  const std::vector<std::string> seeds = {
      R"({"allOrNone":true,"records":[{"attributes":{"type":"Contact"},"LastName":"A","Email":"a@b.co","Birthdate":"2020-01-01"}]})",
      R"({"LastName":"X","AccountId":"0015g0000000001AAA","NumberOfEmployees":5,"AnnualRevenue":1.5,"DoNotCall":true})",
      R"({"object":"Contact","operation":"upsert","externalIdFieldName":"Ferry_External_Id__c","query":"SELECT Id FROM Contact"})",
      "grant_type=refresh_token&refresh_token=x&client_id=y"};
  const std::string noise = "{}[]\":,\\'0aZ\x01\xff\xc3 tnf-+.eE";
  SeededRandom random(2024);
  int answered = 0;
  for (int round = 0; round < 3000; ++round) {
    const auto& [method, path] = endpoints[random.below(endpoints.size())];
    std::string body = seeds[random.below(seeds.size())];
    int edits = static_cast<int>(random.below(6));
    for (int e = 0; e < edits && !body.empty(); ++e) {
      size_t at = random.below(body.size());
      switch (random.below(3)) {
        case 0:
          body.erase(at, 1 + random.below(4));
          break;
        case 1:
          body.insert(at, 1, noise[random.below(noise.size())]);
          break;
        default:
          body[at] = noise[random.below(noise.size())];
      }
    }
    Request request;
    request.method = method;
    request.path = path;
    request.headers = {
        {"Authorization", bearer}, {"Host", "127.0.0.1:1"}, {"Content-Type", "application/json"}};
    if (path.find("oauth2") != std::string::npos)
      request.headers.back().second = "application/x-www-form-urlencoded";
    request.query = {{"q", body}, {"start", body}, {"end", body}, {"ids", body}};
    request.body = body;
    Response response;
    ASSERT_NO_THROW(response = service->handle(request)) << method << " " << path << " " << body;
    ASSERT_GE(response.status, 200);
    ASSERT_LT(response.status, 600);
    if (response.contentType.find("json") != std::string::npos && !response.body.empty()) {
      ASSERT_NO_THROW(Poco::JSON::Parser().parse(response.body)) << response.body;
    }
    ++answered;
  }
  EXPECT_EQ(answered, 3000);
}

TEST(Robustness, RandomSoqlParsesAndRunsOrFailsCleanly) {
  const std::vector<std::string> vocabulary = {"SELECT",
                                               "FROM",
                                               "WHERE",
                                               "AND",
                                               "OR",
                                               "NOT",
                                               "IN",
                                               "LIKE",
                                               "ORDER",
                                               "BY",
                                               "ASC",
                                               "DESC",
                                               "NULLS",
                                               "FIRST",
                                               "LAST",
                                               "LIMIT",
                                               "OFFSET",
                                               "COUNT()",
                                               "Contact",
                                               "Lead",
                                               "Account",
                                               "Id",
                                               "LastName",
                                               "Email",
                                               "Birthdate",
                                               "SystemModstamp",
                                               "IsDeleted",
                                               "NumberOfEmployees",
                                               "Account.Name",
                                               "AccountId",
                                               "=",
                                               "!=",
                                               "<",
                                               ">=",
                                               "(",
                                               ")",
                                               ",",
                                               "'x'",
                                               "'%a_'",
                                               "null",
                                               "true",
                                               "5",
                                               "2.5",
                                               "2024-01-01",
                                               "2024-01-01T00:00:00Z",
                                               "'0035g0000000001AAA'"};
  SalesforceOptions options;
  options.clock = [] { return int64_t{1767225600000}; };
  auto service = makeSalesforceService(options);
  service->admin(Request{"POST",
                         "/__sandbox/salesforce/seed",
                         {},
                         {},
                         R"({"Account":2,"Contact":10,"Lead":3})",
                         ""},
                 "/seed");
  std::string bearer = "Bearer " + token(*service);
  SeededRandom random(77);
  auto run = [&](const std::string& soql) {
    Request request{"GET",
                    "/services/data/v60.0/query",
                    {{"q", soql}},
                    {{"Authorization", bearer}, {"Host", "h"}},
                    "",
                    ""};
    Response response;
    EXPECT_NO_THROW(response = service->handle(request)) << soql;
    EXPECT_TRUE(response.status == 200 || response.status == 400)
        << soql << " -> " << response.body;
    return response.status == 200;
  };
  // Word salad: exercises the tokenizer and parser error paths.
  for (int round = 0; round < 1500; ++round) {
    std::string soql = round % 2 ? "SELECT Id FROM Contact WHERE " : "SELECT ";
    int words = 1 + static_cast<int>(random.below(10));
    for (int w = 0; w < words; ++w) soql += vocabulary[random.below(vocabulary.size())] + " ";
    run(soql);
  }
  // Well-formed shapes with random fields, operators and literals: exercises binding (type
  // checks) and evaluation over real records.
  const std::vector<std::string> fields = {
      "Id",        "LastName",  "Email",        "Birthdate",          "SystemModstamp",
      "IsDeleted", "AccountId", "Account.Name", "HasOptedOutOfEmail", "CreatedDate"};
  const std::vector<std::string> ops = {"=", "!=", "<", "<=", ">", ">=", "LIKE", "IN", "NOT IN"};
  const std::vector<std::string> literals = {
      "'x%'", "null", "true", "2024-01-01", "2024-01-01T00:00:00Z", "'a'", "5"};
  int ok = 0;
  for (int round = 0; round < 1500; ++round) {
    std::string literal = literals[random.below(literals.size())];
    std::string op = ops[random.below(ops.size())];
    if (op == "IN" || op == "NOT IN") literal = "(" + literal + ")";
    std::string soql = "SELECT Id, " + fields[random.below(fields.size())] +
                       " FROM Contact WHERE " + fields[random.below(fields.size())] + " " + op +
                       " " + literal + " ORDER BY " + fields[random.below(fields.size())] +
                       (random.below(2) ? " DESC" : " ASC NULLS LAST") + " LIMIT " +
                       std::to_string(1 + random.below(20));
    ok += run(soql);
  }
  EXPECT_GT(ok, 50);  // plenty of the shaped queries are valid and ran
}

}  // namespace
}  // namespace ferry::sandbox::salesforce
