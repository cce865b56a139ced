// The People emulator behind the real sandbox server on loopback port 0, driven by a real HTTP
// client: credentials, upsert and paging, 429 under load and recovery, webhook delivery to a
// local receiver, malformed input.
#include <gtest/gtest.h>

#include <mutex>
#include <regex>
#include <sstream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/server.hpp"
#include "test_support.hpp"

namespace ferry::sandbox::people {
namespace {

using testing::kKey;
using testing::ManualClocks;
using testing::parseObject;

struct Reply {
  int status = 0;
  std::string body;
  Poco::JSON::Object::Ptr json() const { return parseObject(body); }
};

// Records what the People webhook posts; answers 500 to the first `failFirst` deliveries.
class WebhookReceiver {
 public:
  explicit WebhookReceiver(int failFirst = 0) : failuresLeft_(failFirst) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    auto params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(2);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
    server_->start();
  }
  ~WebhookReceiver() { server_->stopAll(true); }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/hooks/people";
  }
  std::vector<Poco::JSON::Object::Ptr> events() {
    std::lock_guard lock(mutex_);
    std::vector<Poco::JSON::Object::Ptr> out;
    for (const auto& body : bodies_) out.push_back(parseObject(body));
    return out;
  }
  int requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(WebhookReceiver& owner) : owner_(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      std::string body;
      Poco::StreamCopier::copyToString(request.stream(), body);
      bool fail = false;
      {
        std::lock_guard lock(owner_.mutex_);
        ++owner_.requests_;
        if (request.getURI() != "/hooks/people" || request.getMethod() != "POST" ||
            request.getContentType() != "application/json") {
          fail = true;
        } else if (owner_.failuresLeft_ > 0) {
          --owner_.failuresLeft_;
          fail = true;
        } else {
          owner_.bodies_.push_back(body);
        }
      }
      response.setStatus(fail ? Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR
                              : Poco::Net::HTTPResponse::HTTP_OK);
      response.setContentLength(0);
      response.send();
    }

   private:
    WebhookReceiver& owner_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(WebhookReceiver& owner) : owner_(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(owner_);
    }

   private:
    WebhookReceiver& owner_;
  };

  std::mutex mutex_;
  std::vector<std::string> bodies_;
  int requests_ = 0;
  int failuresLeft_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

class PeopleHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PeopleOptions options;
    options.apiKeys = {{kKey, {}}};
    options.webhookRetryDelay = std::chrono::milliseconds(5);
    clocks_.install(options);
    server_.addService(makePeopleService(options));
    server_.start();
  }

  Reply call(const std::string& method, const std::string& uri, const std::string& body = "",
             const std::string& auth = "App " + kKey,
             const std::string& contentType = "application/json") {
    Poco::Net::HTTPClientSession session("127.0.0.1", server_.port());
    Poco::Net::HTTPRequest request(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!auth.empty()) request.set("Authorization", auth);
    if (!body.empty() || method != "GET") {
      request.setContentType(contentType);
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Reply reply;
    reply.status = response.getStatus();
    Poco::StreamCopier::copyToString(in, reply.body);
    return reply;
  }
  Reply admin(const std::string& method, const std::string& sub, const std::string& body = "") {
    return call(method, "/__sandbox/people" + sub, body, "");
  }
  void setRateLimits(bool enabled) {
    ASSERT_EQ(admin("PUT", "/rateLimits", enabled ? R"({"enabled":true})" : R"({"enabled":false})")
                  .status,
              200);
  }

  ManualClocks clocks_;
  SandboxServer server_;
};

TEST_F(PeopleHttpTest, EveryCallNeedsAKeyOrAnOAuthToken) {
  const auto anonymous = call("GET", "/people/2/persons", "", "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(
      anonymous.body,
      R"({"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Unauthorized"}}})");
  EXPECT_EQ(call("GET", "/people/2/persons", "", "App other").status, 401);

  const auto token =
      call("POST", "/auth/1/oauth2/token",
           "client_id=sandbox-client&client_secret=sandbox-secret&grant_type=client_credentials",
           "", "application/x-www-form-urlencoded");
  ASSERT_EQ(token.status, 200) << token.body;
  const std::string bearer = "Bearer " + token.json()->getValue<std::string>("access_token");
  EXPECT_EQ(call("GET", "/people/2/persons", "", bearer).status, 200);
  ASSERT_EQ(call("POST", "/__sandbox/expire-tokens", "", "").status, 200);
  EXPECT_EQ(call("GET", "/people/2/persons", "", bearer).status, 401);
}

TEST_F(PeopleHttpTest, ThousandPersonUpsertIsIdempotentAndPagesBackOneBased) {
  setRateLimits(false);
  std::string body = R"({"persons":[)";
  for (int i = 0; i < 1000; ++i) {
    body += std::string(i ? "," : "") + R"({"externalId":"sf-)" + std::to_string(i) +
            R"(","lastName":"L)" + std::to_string(i) +
            R"(","contactInformation":[{"type":"EMAIL","identifier":"p)" + std::to_string(i) +
            R"(@example.com"}]})";
  }
  body += "]}";
  auto first = call("PUT", "/people/3/persons/upsert", body);
  ASSERT_EQ(first.status, 200) << first.body.substr(0, 300);
  auto results = first.json()->getArray("results");
  ASSERT_EQ(results->size(), 1000u);
  EXPECT_EQ(results->getObject(999)->getValue<std::string>("status"), "CREATED");
  auto second = call("PUT", "/people/3/persons/upsert", body);
  ASSERT_EQ(second.status, 200);
  results = second.json()->getArray("results");
  for (size_t i = 0; i < results->size(); ++i) {
    ASSERT_EQ(results->getObject(i)->getValue<std::string>("status"), "NOT_MODIFIED") << i;
  }
  const auto page1 = call(
      "GET", "/people/2/persons?limit=1000&page=1&orderBy=lastName:asc&includeTotalCount=true");
  ASSERT_EQ(page1.status, 200);
  EXPECT_EQ(page1.json()->getArray("persons")->size(), 1000u);
  EXPECT_EQ(page1.json()->getValue<int>("totalCount"), 1000);
  EXPECT_EQ(call("GET", "/people/2/persons?limit=1000&page=2").json()->getArray("persons")->size(),
            0u);
  const std::string filter =
      percentEncode(R"({"#and":[{"#startsWith":{"lastName":"L99"}},{"#ne":{"lastName":"L99"}}]})");
  const auto filtered = call("GET", "/people/2/persons?limit=100&filter=" + filter);
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  EXPECT_EQ(filtered.json()->getArray("persons")->size(), 10u);  // L990..L999
  const auto byEmail =
      call("GET", "/people/2/persons?type=EMAIL&identifier=" + percentEncode("P7@Example.com"));
  ASSERT_EQ(byEmail.status, 200);
  EXPECT_EQ(byEmail.json()->getValue<std::string>("externalId"), "sf-7");
}

TEST_F(PeopleHttpTest, LoadBeyondTheRateGets429UntilTheBucketRefills) {
  int ok = 0, limited = 0;
  for (int i = 0; i < 20; ++i) {
    const auto reply = call("GET", "/people/2/persons");
    if (reply.status == 200) ++ok;
    if (reply.status == 429) {
      ++limited;
      EXPECT_EQ(reply.json()
                    ->getObject("requestError")
                    ->getObject("serviceException")
                    ->getValue<std::string>("messageId"),
                "TOO_MANY_REQUESTS");
    }
  }
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(limited, 15);
  const auto counters = call("GET", "/__sandbox/counters", "", "").json();
  const auto endpoint = counters->getObject("endpoints")->getObject("people GET /people/2/persons");
  ASSERT_TRUE(endpoint) << counters;
  EXPECT_EQ(endpoint->getObject("status")->getValue<int>("429"), 15);
  EXPECT_EQ(endpoint->getObject("status")->getValue<int>("200"), 5);

  clocks_.advance(std::chrono::seconds(1));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(call("GET", "/people/2/persons").status, 200) << i;
  EXPECT_EQ(call("GET", "/people/2/persons").status, 429);
  setRateLimits(false);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(call("GET", "/people/2/persons").status, 200);
}

TEST_F(PeopleHttpTest, PortalChangesArePostedToTheWebhookButApiWritesAreNot) {
  WebhookReceiver receiver;
  ASSERT_EQ(admin("PUT", "/webhook", R"({"url":")" + receiver.url() + "\"}").status, 200);
  ASSERT_EQ(admin("POST", "/persons",
                  R"({"externalId":"w-1","type":"LEAD","firstName":"Ana","lastName":"Horvat",
      "contactInformation":{"email":[{"address":"ana@example.com"}]}})")
                .status,
            200);
  ASSERT_EQ(admin("PATCH", "/persons?type=EXTERNAL_ID&identifier=w-1",
                  R"({"lastName":"Horvat-Kovac","tags":["VIP"]})")
                .status,
            200);
  // A write through the API is the connector's own change: not echoed by default.
  ASSERT_EQ(
      call("PATCH", "/people/2/persons?type=EXTERNAL_ID&identifier=w-1", R"({"city":"Zagreb"})")
          .status,
      200);
  ASSERT_EQ(admin("DELETE", "/persons?type=EXTERNAL_ID&identifier=w-1").status, 200);
  ASSERT_TRUE(
      admin("POST", "/webhook/flush", R"({"timeoutMs":5000})").json()->getValue<bool>("idle"));

  const auto events = receiver.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0]->getValue<std::string>("type"), "PERSON_CREATED");
  const auto created = events[0]->getObject("payload");
  EXPECT_EQ(created->getValue<std::string>("personType"), "LEAD");
  EXPECT_EQ(created->getValue<std::string>("source"), "PORTAL");
  EXPECT_TRUE(created->getObject("person")->get("id").isString());
  EXPECT_EQ(created->getObject("person")->getArray("email")->getElement<std::string>(0),
            "ana@example.com");
  EXPECT_EQ(created->getObject("invoker")->getValue<std::string>("type"), "user");
  EXPECT_TRUE(std::regex_match(events[0]->getValue<std::string>("timestamp"),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00)")));

  EXPECT_EQ(events[1]->getValue<std::string>("type"), "PERSON_ATTRIBUTE_CHANGED");
  const auto changed = events[1]->getObject("payload");
  EXPECT_EQ(changed->getValue<std::string>("attributeName"), "lastName");
  EXPECT_EQ(changed->getValue<std::string>("from"), "Horvat");
  EXPECT_EQ(changed->getValue<std::string>("to"), "Horvat-Kovac");
  EXPECT_EQ(events[2]->getValue<std::string>("type"), "PERSON_TAG_ADDED");
  EXPECT_EQ(events[2]->getObject("payload")->getValue<std::string>("addedTag"), "VIP");
  EXPECT_EQ(events[3]->getValue<std::string>("type"), "PERSON_DELETED");
  EXPECT_EQ(
      events[3]->getObject("payload")->getObject("person")->getValue<std::string>("externalId"),
      "w-1");

  const auto stats = admin("GET", "/webhook").json();
  EXPECT_EQ(stats->getValue<int>("delivered"), 4);
  EXPECT_EQ(stats->getValue<int>("failed"), 0);
}

TEST_F(PeopleHttpTest, PortalContactChangesAndMergesHaveTheirOwnEvents) {
  WebhookReceiver receiver;
  ASSERT_EQ(
      admin("POST", "/persons",
            R"({"externalId":"m-1","contactInformation":{"phone":[{"number":"385911234567"}]}})")
          .status,
      200);
  const auto second = admin("POST", "/persons", R"({"externalId":"m-2","firstName":"Ana"})");
  ASSERT_EQ(second.status, 200);
  const auto firstId =
      admin("GET", "/persons?type=EXTERNAL_ID&identifier=m-1").json()->getValue<int64_t>("id");
  ASSERT_EQ(admin("PUT", "/webhook", R"({"url":")" + receiver.url() + "\"}").status,
            200);  // only what follows
  ASSERT_EQ(
      admin("PUT", "/persons?type=EXTERNAL_ID&identifier=m-1",
            R"({"externalId":"m-1","contactInformation":{"email":[{"address":"m1@example.com"}]}})")
          .status,
      200);
  const auto merged = admin("POST", "/persons/merge",
                            R"({"ids":[)" + std::to_string(second.json()->getValue<int64_t>("id")) +
                                "," + std::to_string(firstId) + "]}");
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(merged.json()->getValue<int64_t>("id"), firstId);  // the older profile survives
  EXPECT_EQ(merged.json()->getValue<std::string>("firstName"), "Ana");
  ASSERT_TRUE(admin("POST", "/webhook/flush", "").json()->getValue<bool>("idle"));

  const auto events = receiver.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]->getValue<std::string>("type"), "PERSON_CONTACT_INFORMATION_CREATED");
  EXPECT_EQ(
      events[0]->getObject("payload")->getObject("channelData")->getValue<std::string>("type"),
      "EMAIL");
  EXPECT_EQ(
      events[0]->getObject("payload")->getObject("channelData")->getValue<std::string>("value"),
      "m1@example.com");
  EXPECT_EQ(events[1]->getValue<std::string>("type"), "PERSON_CONTACT_INFORMATION_DELETED");
  EXPECT_EQ(
      events[1]->getObject("payload")->getObject("channelData")->getValue<std::string>("type"),
      "MSISDN");
  EXPECT_EQ(events[2]->getValue<std::string>("type"), "PERSON_MERGED");
  EXPECT_EQ(events[2]->getObject("payload")->getObject("person")->getValue<std::string>("id"),
            std::to_string(firstId));
  EXPECT_EQ(admin("POST", "/persons/merge", R"({"ids":[1]})").status, 400);
}

TEST_F(PeopleHttpTest, FailedWebhookDeliveriesAreRetriedWithoutBlockingRequests) {
  WebhookReceiver receiver(2);  // first two attempts answer 500
  ASSERT_EQ(
      admin("PUT", "/webhook", R"({"url":")" + receiver.url() + R"(","onApiChanges":true})").status,
      200);
  ASSERT_EQ(call("POST", "/people/2/persons", R"({"externalId":"r-1"})").status, 200);
  ASSERT_TRUE(admin("POST", "/webhook/flush", "").json()->getValue<bool>("idle"));
  const auto events = receiver.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->getObject("payload")->getValue<std::string>("source"), "API");
  EXPECT_EQ(receiver.requests(), 3);
  const auto stats = admin("GET", "/webhook").json();
  EXPECT_EQ(stats->getValue<int>("attempts"), 3);
  EXPECT_EQ(stats->getValue<int>("delivered"), 1);
  EXPECT_EQ(admin("PUT", "/webhook", R"({"url":"ftp://x"})").status, 400);
  // The receiver's token is a secret: admin answers show the URL with it masked.
  const auto put = admin("PUT", "/webhook", R"({"url":")" + receiver.url() + R"(?token=s3cret"})");
  ASSERT_EQ(put.status, 200);
  const std::string shown = admin("GET", "/webhook").json()->getValue<std::string>("url");
  EXPECT_EQ(shown.find("s3cret"), std::string::npos) << shown;
  EXPECT_NE(shown.find("token=***"), std::string::npos) << shown;
}

TEST_F(PeopleHttpTest, MalformedInputGetsEnvelopedErrorsAndTheServerStaysUp) {
  setRateLimits(false);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"POST /people/2/persons", "{\"firstName\":\"Ana\""},
      {"POST /people/2/persons", std::string("\xff\xfe\x00{", 4)},
      {"POST /people/2/persons/batch", "{\"people\":{}}"},
      {"PATCH /people/2/persons/batch", "{\"people\":[1,2,3]}"},
      {"POST /people/2/persons/match", "[]"},
      {"PUT /people/3/persons/upsert", "{\"persons\":[1]}"},
      {"PATCH /people/3/persons/upsert", "{\"persons\":\"all\"}"},
      {"POST /people/3/persons/merge", ""},
      {"POST /people/2/customAttributes", "{\"name\":5}"},
      {"POST /people/2/companies", "{\"name\":[\"x\"]}"},
  };
  for (const auto& [target, body] : cases) {
    const auto space = target.find(' ');
    const auto reply = call(target.substr(0, space), target.substr(space + 1), body);
    EXPECT_TRUE(reply.status == 400 || reply.status == 207)
        << target << " " << reply.status << " " << reply.body;
    EXPECT_NO_THROW(reply.json()) << target;
  }
  const auto bad = call("GET", "/people/2/persons?limit=99999999999999999999&page=-1");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.json()
                  ->getObject("requestError")
                  ->getObject("serviceException")
                  ->getObject("validationErrors")
                  ->has("limit"));
  EXPECT_EQ(call("GET", "/people/2/persons").status, 200);
}

TEST_F(PeopleHttpTest, SnapshotThroughTheServerRoundTripsPeopleState) {
  ASSERT_EQ(admin("POST", "/seed", R"({"count":20,"seed":3})").status, 200);
  const auto saved = call("GET", "/__sandbox/snapshot", "", "");
  ASSERT_EQ(saved.status, 200);
  ASSERT_EQ(call("POST", "/__sandbox/reset", "", "").status, 200);
  EXPECT_EQ(admin("GET", "/dump").json()->getArray("persons")->size(), 0u);
  ASSERT_EQ(call("PUT", "/__sandbox/snapshot", saved.body, "").status, 200);
  EXPECT_EQ(admin("GET", "/dump").json()->getArray("persons")->size(), 20u);
}

}  // namespace
}  // namespace ferry::sandbox::people
