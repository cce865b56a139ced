// People webhooks through `ferry serve`'s inbound endpoint, end to end: the real binary, the
// People and Salesforce plugins, and both sandboxes in this process. The People sandbox posts its
// webhook to /api/v1/inbound/people; a People -> Salesforce flow polling only every 10 minutes must
// carry an edit and a deletion across within seconds, so only the push can explain it. Forged,
// oversized and malformed webhooks are refused with a 4xx and start no run.
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <Poco/URI.h>
#include <gtest/gtest.h>

#include "ferry/sandbox/people/service.hpp"
#include "ferry/sandbox/salesforce/service.hpp"
#include "ferry/sandbox/server.hpp"
#include "ferry/sdk/value.hpp"
#include "ferry/testing/files.hpp"
#include "ferry/testing/http_client.hpp"
#include "ferry/testing/json_access.hpp"
#include "ferry/testing/sandbox_connections.hpp"
#include "ferry/testing/serve_config.hpp"
#include "ferry/testing/serve_process.hpp"
#include "ferry/testing/wait_for.hpp"

namespace ferry::testing {
namespace {

using namespace std::chrono_literals;
using sdk::Value;

constexpr const char* kAdminToken = "push-admin-token-0123456789abcdef";
constexpr const char* kClientSecret = "push-sandbox-client-secret-42e1";
// Base64-like, so it travels percent-encoded in the webhook URL.
constexpr const char* kInboundSecret = "people+inbound/secret=9f3a71c0";
constexpr const char* kPeopleKey = "push-people-api-key-5b7d";
constexpr const char* kMasterKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
constexpr int kMaxBodyBytes = 65536;
// Well before the flow's 10-minute poll; generous for a loaded two-core machine.
constexpr auto kPushDeadline = 8s;

const char* kFlow = R"(flow: customers-to-contacts
description: People Customers become Salesforce Contacts; People's webhook wakes the flow
source: { connection: people, entity: Customer }
sink: { connection: salesforce, entity: Contact }
direction: one-way
schedule: { every: 10m }
map:
  id: Ferry_External_Id__c
  firstName: FirstName
  lastName: LastName
deletes: propagate
)";

// The shipped contacts-to-customers flow's shape: Salesforce is the source, People the sink, and
// People's side comes back through the reverse pass.
const char* kTwoWayFlow = R"(flow: contacts-customers
source: { connection: salesforce, entity: Contact }
sink: { connection: people, entity: Customer }
direction: two-way
schedule: { every: 10m }
match:
  - { source: Id, sink: externalId }
map:
  Id: { to: externalId, reverse: false }
  FirstName: firstName
  LastName: lastName
conflicts: newest-wins
deletes: propagate
)";

std::string urlEncoded(const std::string& raw) {
  std::string out;
  Poco::URI::encode(raw, "+/=&?#", out);
  return out;
}

// A People webhook event as the sandbox sends it (§11), for forged deliveries.
std::string attributeChanged(const std::string& personId) {
  return Value(sdk::Object{{"type", "PERSON_ATTRIBUTE_CHANGED"},
                           {"timestamp", "2026-01-01T00:00:00.000+00:00"},
                           {"payload", sdk::Object{{"person", sdk::Object{{"id", personId}}},
                                                   {"attributeName", "lastName"}}}})
      .toJson();
}

class ServePushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox::salesforce::SalesforceOptions sf;
    sf.clientSecret = kClientSecret;
    sandbox::people::PeopleOptions people;
    people.apiKeys = {{kPeopleKey, {}}};
    people.webhookRetryDelay = 50ms;
    sandbox_ = std::make_unique<sandbox::SandboxServer>();
    sandbox_->addService(sandbox::salesforce::makeSalesforceService(sf));
    sandbox_->addService(sandbox::people::makePeopleService(people));
    sandbox_->start();
    clientId_ = sf.clientId;

    dir_.writePrivate("tokens", std::string(kAdminToken) + "\n");
    // The People plugin checks its own webhook token too: point it at the same secret the host
    // checks, so one `?token=` in the webhook URL satisfies both.
    dir_.write("flows/connections/people.yaml", R"(connection: people
plugin: people
credentials: people
settings:
  base_url: ${FERRY_TEST_PEOPLE}
  api_key: { secret: api_key }
  webhook_token: { secret: inbound_secret }
)");
    dir_.write("flows/connections/salesforce.yaml", salesforceSandboxConnection("FERRY_TEST_SF"));
    ServeConfig config = ServeConfig::inFolder(dir_, FERRY_PLUGIN_DIR);
    config.logFormat = "json";
    config.logLevel = "debug";
    config.maxBodyBytes = kMaxBodyBytes;
    config.node = "push";
    dir_.write("ferry.yaml", config.yaml());
  }

  void TearDown() override {
    server_.reset();
    sandbox_->stop();
  }

  void startServer() {
    server_ = std::make_unique<ServeProcess>(
        FERRY_BINARY, dir_.file("ferry.yaml"),
        std::vector<std::string>{"FERRY_MASTER_KEY=" + std::string(kMasterKey),
                                 "FERRY_TEST_PEOPLE=" + sandbox_->baseUrl(),
                                 "FERRY_TEST_SF=" + sandbox_->baseUrl()});
    ASSERT_TRUE(server_->ready()) << readFile(dir_.file("ferry.log"));
  }

  // For failure messages: ferry flushes debug and info lines at exit, so it is stopped first.
  std::string logAfterStop() {
    if (server_) server_->terminate();
    return readFile(dir_.file("ferry.log"));
  }

  HttpAnswer admin(const std::string& method, const std::string& path, const std::string& body = {},
                   const std::string& type = "application/json") {
    return httpCall(server_->base(), method, path, kAdminToken, body, type);
  }

  HttpAnswer inbound(const std::string& token, const std::string& body) {
    return httpCall(server_->base(), "POST", "/api/v1/inbound/people?token=" + urlEncoded(token),
                    "", body);
  }

  Value people(const std::string& method, const std::string& path, const std::string& body = {}) {
    const HttpAnswer a =
        httpCall(sandbox_->baseUrl(), method, "/__sandbox/people/" + path, "", body);
    EXPECT_LT(a.status, 300) << method << " " << path << ": " << a.body;
    return json(a.body);
  }

  // Credentials through the admin API, then the flow deployed and activated (its first run starts
  // at once).
  void deployAndActivate(const std::string& flow, const std::string& name) {
    const HttpAnswer sf = admin(
        "PUT", "/api/v1/credentials/salesforce",
        Value(sdk::Object{{"client_id", clientId_}, {"client_secret", kClientSecret}}).toJson());
    ASSERT_EQ(sf.status, 201) << sf.body;
    const HttpAnswer people = admin(
        "PUT", "/api/v1/credentials/people",
        Value(sdk::Object{{"api_key", kPeopleKey}, {"inbound_secret", kInboundSecret}}).toJson());
    ASSERT_EQ(people.status, 201) << people.body;
    const HttpAnswer deployed = admin("POST", "/api/v1/flows", flow, "application/yaml");
    ASSERT_EQ(deployed.status, 201) << deployed.body;
    ASSERT_EQ(admin("POST", "/api/v1/flows/" + name + "/activate").status, 200);
  }

  void sendWebhooksToFerry() {
    people("PUT", "webhook",
           Value(sdk::Object{{"url", server_->base() + "/api/v1/inbound/people?token=" +
                                         urlEncoded(kInboundSecret)}})
               .toJson());
  }

  Value sandboxAdmin(const std::string& path, const std::string& body) {
    const HttpAnswer a = httpCall(sandbox_->baseUrl(), "POST", "/__sandbox/" + path, "", body);
    EXPECT_LT(a.status, 300) << path << ": " << a.body;
    return json(a.body);
  }

  // The id of the People person whose externalId is `externalId` ("" when there is none).
  std::string personWithExternalId(const std::string& externalId) {
    const Value dump = json(httpCall(sandbox_->baseUrl(), "GET", "/__sandbox/people/dump").body);
    const Value* list = at(dump, {"persons"});
    if (list == nullptr || !list->isList()) return {};
    for (const auto& p : list->asList()) {
      const Value* id = at(p, {"id"});
      if (text(at(p, {"externalId"})) == externalId && id != nullptr && id->isInteger()) {
        return std::to_string(id->asInteger());
      }
    }
    return {};
  }

  Value contactById(const std::string& id) {
    const Value dump = json(
        httpCall(sandbox_->baseUrl(), "GET", "/__sandbox/salesforce/dump?object=Contact").body);
    const Value* list = at(dump, {"Contact"});
    if (list == nullptr || !list->isList()) return Value();
    for (const auto& c : list->asList()) {
      if (text(at(c, {"Id"})) == id) return c;
    }
    return Value();
  }

  // The sandbox Contact carrying this People id, or null when there is none.
  Value contactOf(const std::string& personId) {
    const Value dump = json(
        httpCall(sandbox_->baseUrl(), "GET", "/__sandbox/salesforce/dump?object=Contact").body);
    const Value* list = at(dump, {"Contact"});
    if (list == nullptr || !list->isList()) return Value();
    for (const auto& c : list->asList()) {
      if (text(at(c, {"Ferry_External_Id__c"})) == personId) return c;
    }
    return Value();
  }

  std::int64_t runs(const std::string& flow = "customers-to-contacts") {
    const Value status = json(admin("GET", "/api/v1/flows/" + flow + "/status").body);
    const Value* n = at(status, {"runs"});
    return n != nullptr && n->isInteger() ? n->asInteger() : -1;
  }

  bool idle(const std::string& flow = "customers-to-contacts") {
    const Value status = json(admin("GET", "/api/v1/flows/" + flow + "/status").body);
    const Value* running = at(status, {"running"});
    return running != nullptr && running->isBool() && !running->asBool();
  }

  TempDir dir_;
  std::unique_ptr<sandbox::SandboxServer> sandbox_;
  std::unique_ptr<ServeProcess> server_;
  std::string clientId_;
};

TEST_F(ServePushTest, WebhooksWakeThePeopleFlowAndForgedOrBrokenOnesAreRefused) {
  const Value seeded =
      people("POST", "seed", R"({"count":4,"seed":7,"type":"CUSTOMER"})");  // no webhooks
  ASSERT_EQ(at(seeded, {"created"})->asInteger(), 4) << Value(seeded).toJson();
  const std::string first = std::to_string(at(seeded, {"firstId"})->asInteger());
  const std::string last = std::to_string(at(seeded, {"lastId"})->asInteger());

  startServer();
  ASSERT_NO_FATAL_FAILURE(deployAndActivate(kFlow, "customers-to-contacts"));

  // The initial load (the activation's run) copies the seeded persons.
  ASSERT_TRUE(eventually([&] { return !contactOf(last).isNull(); })) << logAfterStop();
  ASSERT_TRUE(eventually([&] { return idle() && runs() == 1; })) << runs();
  const std::string seededLastName = text(at(contactOf(first), {"LastName"}));
  ASSERT_FALSE(seededLastName.empty());

  // The webhook goes to ferry's inbound endpoint for the connection.
  sendWebhooksToFerry();

  // 1. An edit in the People portal reaches Salesforce through the push, not the 10-minute poll.
  const auto edited = std::chrono::steady_clock::now();
  people("PATCH", "persons?identifier=" + first + "&type=ID", R"({"lastName":"Pushed"})");
  ASSERT_TRUE(eventually([&] { return text(at(contactOf(first), {"LastName"})) == "Pushed"; },
                         kPushDeadline))
      << logAfterStop();
  const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - edited);
  std::cout << "[ measured ] People edit -> Salesforce via webhook: " << latency.count() << " ms\n";
  const Value delivered = people("GET", "webhook");
  EXPECT_GE(at(delivered, {"delivered"})->asInteger(), 1) << Value(delivered).toJson();
  EXPECT_EQ(at(delivered, {"failed"})->asInteger(), 0) << Value(delivered).toJson();

  // 2. A deletion in the portal: PERSON_DELETED carries the id, the flow propagates it.
  ASSERT_FALSE(contactOf(last).isNull());
  people("DELETE", "persons?identifier=" + last + "&type=ID");
  ASSERT_TRUE(eventually(
      [&] {
        return at(contactOf(last), {"IsDeleted"}) != nullptr &&
               at(contactOf(last), {"IsDeleted"})->asBool();
      },
      kPushDeadline))
      << Value(contactOf(last)).toJson() << logAfterStop();
  ASSERT_TRUE(people("POST", "webhook/flush", R"({"timeoutMs":5000})").isObject());
  ASSERT_TRUE(eventually([&] { return idle(); }));

  // 3. Forged, oversized and malformed deliveries. The webhook is switched off and a person is
  // edited, so only an accepted delivery could carry the change across.
  people("PUT", "webhook", R"({"url":null})");
  const std::string second = std::to_string(at(seeded, {"firstId"})->asInteger() + 1);
  const std::string secondLastName = text(at(contactOf(second), {"LastName"}));
  ASSERT_FALSE(secondLastName.empty());
  people("PATCH", "persons?identifier=" + second + "&type=ID", R"({"lastName":"Quiet"})");
  const std::int64_t runsBefore = runs();
  const std::string event = attributeChanged(second);

  const HttpAnswer forged = inbound("wrong-secret-0000000000", event);
  EXPECT_TRUE(forged.status == 401 || forged.status == 403) << forged.status << " " << forged.body;
  EXPECT_EQ(forged.body.find(kInboundSecret), std::string::npos);
  const HttpAnswer anonymous =
      httpCall(server_->base(), "POST", "/api/v1/inbound/people", "", event);
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  const HttpAnswer otherConnection =
      httpCall(server_->base(), "POST", "/api/v1/inbound/nope?token=" + urlEncoded(kInboundSecret),
               "", event);
  EXPECT_EQ(otherConnection.status, 401) << otherConnection.body;

  const HttpAnswer oversized = inbound(kInboundSecret, std::string(kMaxBodyBytes + 1024, ' '));
  EXPECT_EQ(oversized.status, 413) << oversized.body;
  const HttpAnswer malformed = inbound(kInboundSecret, "{\"type\": \"PERSON_");
  EXPECT_EQ(malformed.status, 400) << malformed.body;
  EXPECT_NE(malformed.body.find("People webhook body"), std::string::npos) << malformed.body;
  const HttpAnswer untyped = inbound(kInboundSecret, R"({"payload":{"person":{"id":"1"}}})");
  EXPECT_EQ(untyped.status, 400) << untyped.body;
  EXPECT_NE(untyped.body.find("type\\\" is missing"), std::string::npos) << untyped.body;
  const HttpAnswer anonymousPerson = inbound(kInboundSecret, R"({"type":"PERSON_DELETED"})");
  EXPECT_EQ(anonymousPerson.status, 400) << anonymousPerson.body;

  // Nothing ran and nothing changed: no run started, the edit is still on the People side only.
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(runs(), runsBefore);
  EXPECT_EQ(text(at(contactOf(second), {"LastName"})), secondLastName);
  EXPECT_FALSE(at(contactOf(first), {"IsDeleted"})->asBool());

  // The same event with the right secret is accepted and carries the edit (the control).
  const HttpAnswer accepted = inbound(kInboundSecret, event);
  EXPECT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_NE(accepted.body.find("\"accepted\":1"), std::string::npos) << accepted.body;
  EXPECT_TRUE(eventually([&] { return text(at(contactOf(second), {"LastName"})) == "Quiet"; },
                         kPushDeadline))
      << logAfterStop();

  EXPECT_EQ(server_->terminate(), 0);
  // The push events were logged (with their connection), the secrets never.
  const std::string log = readFile(dir_.file("ferry.log"));
  EXPECT_NE(log.find("\"push event\""), std::string::npos);
  for (const char* secret : {kInboundSecret, kPeopleKey, kClientSecret, kAdminToken}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "secret in the log: " << secret;
  }
  // Percent-encoded, as it travels in the webhook URL.
  EXPECT_EQ(log.find(urlEncoded(kInboundSecret)), std::string::npos);
}

// Two-way, People as the sink: the webhook wakes the flow's reverse pass, and a person deleted in
// People deletes its Contact (propagate) through the ids the event reports.
TEST_F(ServePushTest, TwoWayFlowCarriesPeopleEditsAndDeletionsBackToSalesforce) {
  sandboxAdmin("salesforce/seed", R"({"Account":1,"Contact":3,"seed":11})");
  startServer();
  ASSERT_NO_FATAL_FAILURE(deployAndActivate(kTwoWayFlow, "contacts-customers"));
  const Value contacts =
      json(httpCall(sandbox_->baseUrl(), "GET", "/__sandbox/salesforce/dump?object=Contact").body);
  ASSERT_EQ(at(contacts, {"Contact"})->asList().size(), 3U) << Value(contacts).toJson();
  const std::string kept = text(at(at(contacts, {"Contact"})->asList()[0], {"Id"}));
  const std::string doomed = text(at(at(contacts, {"Contact"})->asList()[1], {"Id"}));
  // The initial load creates a person per Contact, carrying the Contact's Id.
  std::string keptPerson;
  std::string doomedPerson;
  ASSERT_TRUE(eventually([&] {
    keptPerson = personWithExternalId(kept);
    doomedPerson = personWithExternalId(doomed);
    return !keptPerson.empty() && !doomedPerson.empty() && idle("contacts-customers");
  })) << logAfterStop();
  const std::int64_t runsAfterLoad = runs("contacts-customers");
  sendWebhooksToFerry();

  people("PATCH", "persons?identifier=" + keptPerson + "&type=ID", R"({"firstName":"Pushed"})");
  EXPECT_TRUE(eventually([&] { return text(at(contactById(kept), {"FirstName"})) == "Pushed"; },
                         kPushDeadline))
      << logAfterStop();

  people("DELETE", "persons?identifier=" + doomedPerson + "&type=ID");
  EXPECT_TRUE(eventually(
      [&] {
        const Value contact = contactById(doomed);
        const Value* deleted = at(contact, {"IsDeleted"});
        return deleted != nullptr && deleted->isBool() && deleted->asBool();
      },
      kPushDeadline))
      << logAfterStop();
  EXPECT_FALSE(at(contactById(kept), {"IsDeleted"})->asBool());
  EXPECT_GT(runs("contacts-customers"), runsAfterLoad);
  EXPECT_EQ(server_->terminate(), 0);
}

}  // namespace
}  // namespace ferry::testing
