// API economy: calls the sandbox counts to read 10,000 changed Contacts and to write 10,000,
// through the connector's Source/Sink exactly as the engine drives them. Prints the figures.
#include <iostream>

#include "sandbox_fixture.hpp"

namespace ferry::plugins::salesforce::testing {
namespace {

class ApiCallsTest : public SandboxTest {
 protected:
  // The org's daily-allowance counter (token calls to the login host do not count against it).
  std::int64_t allowanceUsed() {
    const auto knobs = admin("GET", "knobs");
    return knobs.asObject().find("apiUsage")->asInteger();
  }
};

TEST_F(ApiCallsTest, ReadTenThousandChangedContacts) {
  auto c = connect();
  auto initial = readAll(*c, "Contact", "", {"FirstName", "LastName", "Email", "MobilePhone"});
  ASSERT_TRUE(initial.changes.empty());
  host_.clock.advance(std::chrono::minutes(10));
  admin("POST", "seed", R"({"Contact":10000})");
  host_.clock.advance(std::chrono::seconds(5));

  // Warm: token and describe cached (any run after the first).
  const auto before = calls();
  const auto allowanceBefore = allowanceUsed();
  auto warm =
      readAll(*c, "Contact", initial.cursor, {"FirstName", "LastName", "Email", "MobilePhone"});
  const auto warmCalls = calls() - before;
  const auto warmAllowance = allowanceUsed() - allowanceBefore;
  ASSERT_EQ(warm.changes.size(), 10000u);

  // Cold: a new process with no token and no describe cache.
  (void)host_.secrets.erase("access_token");
  for (const auto& [key, value] : host_.state.snapshot()) (void)host_.state.erase(key);
  auto cold = connect();
  const auto beforeCold = calls();
  const auto allowanceBeforeCold = allowanceUsed();
  auto again =
      readAll(*cold, "Contact", initial.cursor, {"FirstName", "LastName", "Email", "MobilePhone"});
  const auto coldCalls = calls() - beforeCold;
  const auto coldAllowance = allowanceUsed() - allowanceBeforeCold;
  ASSERT_EQ(again.changes.size(), 10000u);

  std::cout << "API calls to read 10,000 changed Contacts: " << warmCalls
            << " (token and describe cached), " << coldCalls
            << " (cold: + token + describe); daily allowance used: " << warmAllowance << " / "
            << coldAllowance << std::endl;
  EXPECT_LE(warmCalls, 6u);
  EXPECT_LE(coldCalls, 7u);
}

TEST_F(ApiCallsTest, WriteTenThousandContacts) {
  for (const bool upsert : {false, true}) {
    sdk::Object settings;
    if (upsert) settings.set("upsert_external_id_field", "Ferry_External_Id__c");
    auto c = connect(settings);
    const auto before = calls();
    const auto allowanceBefore = allowanceUsed();
    std::size_t created = 0;
    std::vector<sdk::WriteOp> batch;
    const std::size_t max = c->maxBatch("Contact");
    for (int i = 0; i < 10000; ++i) {
      sdk::WriteOp op;
      op.kind = sdk::WriteOp::Kind::kCreate;
      op.fields = {{"LastName", "Person " + std::to_string(i)},
                   {"Email", "p" + std::to_string(i) + (upsert ? "u" : "") + "@example.com"}};
      op.idempotencyKey = "jsonl-" + std::to_string(i);
      batch.push_back(std::move(op));
      if (batch.size() == max || i == 9999) {
        auto results = c->write("Contact", batch);
        ASSERT_TRUE(results) << results.error().message;
        for (const auto& r : *results) created += r.outcome == sdk::WriteResult::Outcome::kCreated;
        batch.clear();
      }
    }
    const auto used = calls() - before;
    const auto allowance = allowanceUsed() - allowanceBefore;
    EXPECT_EQ(created, 10000u);
    std::cout << "API calls to write 10,000 Contacts ("
              << (upsert ? "upsert by Ferry_External_Id__c" : "plain creates")
              << ", first write of the connection incl. token + describe): " << used
              << "; daily allowance used: " << allowance << std::endl;
    EXPECT_LE(allowance, 51);
    EXPECT_LE(used, 52u);
    (void)host_.secrets.erase("access_token");
    for (const auto& [key, value] : host_.state.snapshot()) (void)host_.state.erase(key);
  }
}

}  // namespace
}  // namespace ferry::plugins::salesforce::testing
