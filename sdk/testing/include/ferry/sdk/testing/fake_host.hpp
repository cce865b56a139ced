// FakeHost bundles the test doubles into a HostContext, the way the real host lends services to
// a connector:
//
//   ferry::sdk::testing::FakeHost host;
//   host.secrets.put("api_key", "k");
//   host.http.expect("GET", "https://api.example.com/people/*").respond(200, "{}");
//   auto connector = describePlugin()->create(host.context({{"baseUrl", "https://api..."}}));
//   ...
//   EXPECT_TRUE(host.logger.contains("refreshed token"));
//
// The FakeHost must outlive every connector made from its context.
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ferry/sdk/host.hpp"
#include "ferry/sdk/testing/memory_services.hpp"
#include "ferry/sdk/testing/scripted_http.hpp"

namespace ferry::sdk::testing {

class FakeHost {
 public:
  struct HealthReport {
    ConnectionHealth health;
    std::string reason;
  };

  FakeHost() = default;
  FakeHost(const FakeHost&) = delete;  // the context points into this object
  FakeHost& operator=(const FakeHost&) = delete;

  // A context wired to this host's services.
  HostContext context(Object settings = {}, std::string connectionName = "test");

  std::vector<HealthReport> healthReports() const;

  ScriptedHttpClient http;
  CapturedLogger logger;
  ManualClock clock;
  MemorySecretStore secrets;
  MemoryKeyValueState state;
  RecordingMetrics metrics;

 private:
  static void onHealth(void* cookie, ConnectionHealth health, const char* reason);

  mutable std::mutex mutex_;
  std::vector<HealthReport> health_;
};

}  // namespace ferry::sdk::testing
