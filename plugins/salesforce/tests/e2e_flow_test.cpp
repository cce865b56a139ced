// End to end through the sync engine: the example flows (examples/*.yaml, validated by the flow
// module) run "Salesforce Contacts -> jsonl" and "jsonl -> Salesforce Contacts" against the
// sandbox, with a SQLite state store, and count the API calls they use.
#include <fstream>
#include <iostream>

#include "ferry/host/engine/flow_runner.hpp"
#include "ferry/plugins/salesforce/catalogue.hpp"
#include "ferry/testing/jsonl_flow_fixture.hpp"
#include "sandbox_fixture.hpp"

namespace ferry::plugins::salesforce::testing {
namespace {

class EndToEndTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(e2e_.setUp("salesforce.yaml", {{"SALESFORCE_LOGIN_URL", baseUrl()}}));

    // The connector made from the validated connection settings.
    sfContext_ = host_.context(e2e_.settings("salesforce"), "salesforce");
    sfContext_.http = http_.get();
    auto sf = SalesforceConnector::create(sfContext_);
    ASSERT_TRUE(sf) << sf.error().message;
    salesforce_ = std::move(*sf);
    ASSERT_TRUE(salesforce_->start());
    files_ = e2e_.files();
  }
  void TearDown() override {
    salesforce_.reset();
    SandboxTest::TearDown();
  }

  host::FlowDef flow(const char* file) { return e2e_.flow(file); }
  std::vector<sdk::Object> jsonLines(const std::string& entity) { return e2e_.jsonLines(entity); }

  ferry::testing::JsonlFlowFixture e2e_{
      host::PluginSchema{"salesforce", settingsSchema(), staticEntitySchemas()}, FERRY_SF_EXAMPLES};
  sdk::HostContext sfContext_;
  std::unique_ptr<SalesforceConnector> salesforce_;
  jsonl::JsonlConnector* files_ = nullptr;
};

TEST_F(EndToEndTest, SalesforceContactsToJsonl) {
  auto def = flow("contacts-to-jsonl.yaml");
  ASSERT_FALSE(def.name.empty());
  host::engine::FlowRunner runner(def, {salesforce_.get(), nullptr, "Contact"},
                                  {nullptr, files_, "Contact"}, e2e_.store(), host_.clock,
                                  &host_.logger);
  // Initial load of an empty org establishes the watermark.
  auto first = runner.run();
  ASSERT_EQ(first.status, host::RunStatus::kSucceeded) << first.error;

  host_.clock.advance(std::chrono::minutes(10));
  admin("POST", "seed", R"({"Contact":10000})");
  host_.clock.advance(std::chrono::seconds(5));
  const auto before = calls();
  auto run = runner.run();
  const auto used = calls() - before;
  ASSERT_EQ(run.status, host::RunStatus::kSucceeded) << run.error;
  EXPECT_EQ(run.counts.created, 10000);
  std::cout << "engine run Salesforce Contacts -> jsonl: 10,000 changed Contacts read with " << used
            << " API calls" << std::endl;
  EXPECT_LE(used, 6u);

  // Changes, a delete and a merge flow through; re-reading the overlap window writes nothing.
  auto lines = jsonLines("Contact");
  ASSERT_EQ(lines.size(), 10000u);
  const std::string someId = lines[17].find("salesforceId")->asString();
  const std::string otherId = lines[18].find("salesforceId")->asString();
  host_.clock.advance(std::chrono::minutes(10));
  admin("PATCH", "records/Contact/" + someId, R"({"MailingCity":"Zagreb"})");
  admin("DELETE", "records/Contact/" + otherId);
  auto next = runner.run();
  ASSERT_EQ(next.status, host::RunStatus::kSucceeded) << next.error;
  EXPECT_EQ(next.counts.updated, 1);
  EXPECT_EQ(next.counts.deleted, 1);
  host_.clock.advance(std::chrono::seconds(20));
  auto idle = runner.run();
  EXPECT_EQ(idle.counts.created + idle.counts.updated + idle.counts.deleted, 0);
}

TEST_F(EndToEndTest, JsonlToSalesforceContacts) {
  {
    std::ofstream out(e2e_.dataDir() / "Person.jsonl");
    for (int i = 0; i < 9999; ++i) {
      out << R"({"id":"p)" << i << R"(","firstName":"First)" << i << R"(","lastName":"Last)" << i
          << R"(","email":" Person)" << i << R"(@Example.com "})"
          << "\n";
    }
    out << R"({"id":"bad","lastName":"Broken","email":"not-an-email"})"
        << "\n";
  }
  auto def = flow("jsonl-to-contacts.yaml");
  ASSERT_FALSE(def.name.empty());
  host::engine::FlowRunner runner(def, {files_, nullptr, "Person"},
                                  {nullptr, salesforce_.get(), "Contact"}, e2e_.store(),
                                  host_.clock, &host_.logger);
  const auto before = calls();
  auto run = runner.run();
  const auto used = calls() - before;
  ASSERT_EQ(run.status, host::RunStatus::kSucceeded) << run.error;
  EXPECT_EQ(run.counts.created, 9999);
  EXPECT_EQ(run.counts.rejected, 1);  // kept as a dead letter with Salesforce's reason
  std::cout << "engine run jsonl -> Salesforce Contacts: 10,000 records (9,999 created, 1 "
               "rejected) written with "
            << used << " API calls (incl. token + describe)" << std::endl;
  EXPECT_LE(used, 52u);

  auto dump = admin("GET", "dump?object=Contact");
  const std::string text = dump.toJson();
  EXPECT_NE(text.find("person42@example.com"), std::string::npos);  // trimmed and lowered
  // Running again writes nothing new.
  const auto again = calls();
  auto rerun = runner.run();
  EXPECT_EQ(rerun.counts.created, 0);
  EXPECT_LE(calls() - again, 1u);
}

}  // namespace
}  // namespace ferry::plugins::salesforce::testing
