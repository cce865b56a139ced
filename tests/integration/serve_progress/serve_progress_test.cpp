// The flow status of `ferry serve` while a run is in progress: records, rate, the source's
// estimate of what is left and the ETA; null once the run ended. The People source estimates
// its initial scan, so a large-enough initial load is observed mid-run.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "ferry/sandbox/people/service.hpp"
#include "ferry/sandbox/server.hpp"
#include "ferry/sdk/value.hpp"
#include "ferry/testing/files.hpp"
#include "ferry/testing/http_client.hpp"
#include "ferry/testing/json_access.hpp"
#include "ferry/testing/serve_config.hpp"
#include "ferry/testing/serve_process.hpp"
#include "ferry/testing/wait_for.hpp"

namespace ferry::testing {
namespace {

using sdk::Value;

constexpr const char* kAdminToken = "test-admin-token-0123456789abcdef";
constexpr const char* kMasterKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
constexpr int kCustomers = 3000;

TEST(ServeProgressTest, StatusShowsTheRunInProgressWithItsEta) {
  sandbox::SandboxServer people;
  people.addService(sandbox::people::makePeopleService());
  people.start();
  sandbox::Request seed;
  seed.method = "POST";
  seed.body = R"({"count":)" + std::to_string(kCustomers) + R"(,"seed":3})";
  ASSERT_EQ(people.service("people")->admin(seed, "seed").status, 200);

  TempDir dir;
  dir.writePrivate("tokens", std::string(kAdminToken) + "\n");
  dir.write("flows/connections/people.yaml",
            "connection: people\nplugin: people\nsettings:\n  base_url: " + people.baseUrl() +
                "\n  api_key: ${FERRY_TEST_PEOPLE_KEY}\n  page_size: 100\n"
                "  reconcile_interval: 0s\n");
  dir.write("flows/connections/files.yaml",
            "connection: files\nplugin: jsonl\nsettings:\n  directory: " + dir.file("data") +
                "\n  entities:\n    Customer:\n      id: id\n      fields:\n        id: string\n"
                "        peopleId: string\n        lastName: string\n");
  dir.write("data/Customer.jsonl", "");
  // Batches of 100 from pages of 100: many committed batches before the load ends.
  dir.write("flows/customers-out.yaml", R"(flow: customers-out
source: { connection: people, entity: Customer }
sink: { connection: files, entity: Customer }
direction: one-way
schedule: { every: 1h }
batch_size: 100
map:
  id: peopleId
  lastName: lastName
)");
  ServeConfig config = ServeConfig::inFolder(dir, FERRY_PLUGIN_DIR);
  config.schedulerThreads = 1;
  config.node = "progress";
  dir.write("ferry.yaml", config.yaml());
  ServeProcess serve(
      FERRY_BINARY, dir.file("ferry.yaml"),
      {"FERRY_MASTER_KEY=" + std::string(kMasterKey), "FERRY_TEST_PEOPLE_KEY=sandbox-people-key"});
  ASSERT_TRUE(serve.ready()) << readFile(dir.file("ferry.log"));
  const auto status = [&] {
    return json(httpCall(serve.base(), "GET", "/api/v1/flows/customers-out/status", kAdminToken));
  };
  EXPECT_TRUE(at(status(), {"progress"}) == nullptr || at(status(), {"progress"})->isNull());

  ASSERT_EQ(
      httpCall(serve.base(), "POST", "/api/v1/flows/customers-out/activate", kAdminToken).status,
      200);
  Value during;
  ASSERT_TRUE(eventually(
      [&] {
        const Value s = status();
        const Value* p = at(s, {"progress"});
        if (p == nullptr || p->isNull()) return false;
        during = *p;
        return true;
      },
      std::chrono::seconds(60)))
      << readFile(dir.file("ferry.log"));
  const Value* records = at(during, {"records"});
  const Value* remaining = at(during, {"remaining"});
  ASSERT_TRUE(records != nullptr && records->isInteger()) << during.toJson();
  EXPECT_GT(records->asInteger(), 0);
  EXPECT_LE(records->asInteger(), kCustomers);
  ASSERT_TRUE(remaining != nullptr && remaining->isInteger()) << during.toJson();
  // Page by page the estimate is exact: what is left is what was not read yet.
  EXPECT_EQ(records->asInteger() + remaining->asInteger(), kCustomers) << during.toJson();
  ASSERT_NE(at(during, {"etaMs"}), nullptr);
  EXPECT_TRUE(at(during, {"etaMs"})->isInteger() || remaining->asInteger() == 0) << during.toJson();
  EXPECT_EQ(at(during, {"direction"})->asString(), "forward");
  ASSERT_NE(at(during, {"ratePerSecond"}), nullptr);
  EXPECT_TRUE(at(during, {"ratePerSecond"})->isNumber()) << during.toJson();

  // Once the load is done the status shows no run in progress.
  ASSERT_TRUE(eventually(
      [&] {
        const Value s = status();
        const Value* runs = at(s, {"runs"});
        const Value* p = at(s, {"progress"});
        return runs != nullptr && runs->isInteger() && runs->asInteger() >= 1 && p != nullptr &&
               p->isNull();
      },
      std::chrono::seconds(60)))
      << status().toJson();
  EXPECT_EQ(serve.terminate(), 0);
  people.stop();
}

}  // namespace
}  // namespace ferry::testing
