// `ferry serve` gets SIGTERM while its flow's sink is failing (every Salesforce call answers 503)
// in the middle of an initial load: the retries in progress must not hold the stop up for long,
// and once Salesforce is back a restarted server completes the load with every record once.
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

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

constexpr int kRecords = 1'500;
constexpr const char* kAdminToken = "outage-admin-token-0123456789abcd";
constexpr const char* kClientSecret = "outage-client-secret-8c1e";
constexpr const char* kMasterKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
// The engine retries a failed batch a few times with backoff before giving up on the run; a stop
// may wait for that, but not for minutes.
constexpr auto kStopBound = 15s;

class SinkOutageStopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox::salesforce::SalesforceOptions options;
    options.clientSecret = kClientSecret;
    sandbox_.addService(sandbox::salesforce::makeSalesforceService(options));
    sandbox_.start();
    clientId_ = options.clientId;

    dir_.writePrivate("tokens", std::string(kAdminToken) + "\n");
    std::string people;
    for (int i = 0; i < kRecords; ++i) {
      people += Value(sdk::Object{{"id", "p" + std::to_string(i)},
                                  {"lastName", "L" + std::to_string(i)},
                                  {"email", "p" + std::to_string(i) + "@example.test"}})
                    .toJson() +
                "\n";
    }
    dir_.write("data/Person.jsonl", people);
    dir_.write("flows/connections/files.yaml",
               "connection: files\nplugin: jsonl\nsettings:\n"
               "  directory: " +
                   dir_.file("data") +
                   "\n  entities:\n    Person:\n      id: id\n"
                   "      fields:\n        id: string\n"
                   "        lastName: string\n"
                   "        email: email\n");
    dir_.write("flows/connections/salesforce.yaml", salesforceSandboxConnection("FERRY_TEST_SF"));
    dir_.write("flows/people-to-contacts.yaml", R"(flow: people-to-contacts
source: { connection: files, entity: Person }
sink: { connection: salesforce, entity: Contact }
direction: one-way
schedule: { every: 10m }
batch_size: 10
map:
  id: Ferry_External_Id__c
  lastName: LastName
  email: Email
)");
    ServeConfig config = ServeConfig::inFolder(dir_, FERRY_PLUGIN_DIR);
    config.logFormat = "json";
    config.logLevel = "info";
    dir_.write("ferry.yaml", config.yaml());
  }

  std::unique_ptr<ServeProcess> startServer() {
    auto serve = std::make_unique<ServeProcess>(
        FERRY_BINARY, dir_.file("ferry.yaml"),
        std::vector<std::string>{"FERRY_MASTER_KEY=" + std::string(kMasterKey),
                                 "FERRY_TEST_SF=" + sandbox_.baseUrl()});
    EXPECT_TRUE(serve->ready()) << readFile(dir_.file("ferry.log"));
    return serve;
  }

  // Live Contacts per external id (a record created twice would show as a count of 2).
  std::map<std::string, int> contacts() {
    const Value dump =
        json(httpCall(sandbox_.baseUrl(), "GET", "/__sandbox/salesforce/dump?object=Contact"));
    std::map<std::string, int> out;
    const Value* list = at(dump, {"Contact"});
    if (list == nullptr || !list->isList()) return out;
    for (const auto& c : list->asList()) {
      const Value* id = c.asObject().find("Ferry_External_Id__c");
      const Value* deleted = c.asObject().find("IsDeleted");
      if (id != nullptr && id->isString() && !(deleted != nullptr && deleted->asBool())) {
        ++out[id->asString()];
      }
    }
    return out;
  }

  void faults(const std::string& method, const std::string& body = {}) {
    const HttpAnswer a = httpCall(sandbox_.baseUrl(), method, "/__sandbox/faults", "", body);
    ASSERT_LT(a.status, 300) << a.body;
  }

  TempDir dir_;
  sandbox::SandboxServer sandbox_;
  std::string clientId_;
};

TEST_F(SinkOutageStopTest, ServeStopsPromptlyWhileRetryingAFailingSinkAndResumesLater) {
  {
    auto serve = startServer();
    ASSERT_TRUE(serve->ready());
    const HttpAnswer credentials = httpCall(
        serve->base(), "PUT", "/api/v1/credentials/salesforce", kAdminToken,
        Value(sdk::Object{{"client_id", clientId_}, {"client_secret", kClientSecret}}).toJson());
    ASSERT_EQ(credentials.status, 201) << credentials.body;
    // Small batches and a slow Salesforce stretch the load over seconds, so the outage below
    // surely comes while it runs (a fast machine finished it between two polls).
    faults("PUT", R"({"latencyMs":20})");
    ASSERT_EQ(
        httpCall(serve->base(), "POST", "/api/v1/flows/people-to-contacts/activate", kAdminToken)
            .status,
        200);
    ASSERT_TRUE(eventually([&] { return !contacts().empty(); }))
        << readFile(dir_.file("ferry.log"));
    // Salesforce goes down mid-load; the flow is now retrying its batch.
    faults("PUT", R"({"latencyMs":20,"errorShare":1.0,"errorStatus":503})");
    std::this_thread::sleep_for(500ms);
    const std::size_t before = contacts().size();
    ASSERT_LT(before, static_cast<std::size_t>(kRecords)) << "the load ended before the outage";

    const auto signalled = std::chrono::steady_clock::now();
    EXPECT_EQ(serve->terminate(kStopBound + 5s), 0) << readFile(dir_.file("ferry.log"));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - signalled);
    std::cout << "[ measured ] ferry serve stop while the sink answers 503: " << took.count()
              << " ms\n";
    EXPECT_TRUE(took < kStopBound) << took.count() << " ms";
  }

  // Salesforce is back: the restarted server resumes and completes, each record once.
  faults("DELETE");
  auto serve = startServer();
  ASSERT_TRUE(serve->ready());
  std::map<std::string, int> created;
  EXPECT_TRUE(eventually(
      [&] {
        created = contacts();
        return created.size() == static_cast<std::size_t>(kRecords);
      },
      60s))
      << created.size() << "\n"
      << readFile(dir_.file("ferry.log"));
  for (const auto& [id, count] : created) EXPECT_EQ(count, 1) << id << " created " << count;
  EXPECT_EQ(serve->terminate(), 0);
}

}  // namespace
}  // namespace ferry::testing
