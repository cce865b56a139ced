// Shared set-up for engine tests: a state store (SQLite in a temporary file, or PostgreSQL when
// the harness provides one), a manual clock, a CRM-like source and a People-like sink in memory,
// and helpers to build flows and runners.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "ferry/host/engine/flow_runner.hpp"
#include "ferry/host/state/store.hpp"
#include "ferry/sdk/testing/memory_services.hpp"
#include "memory_system.hpp"
#include "test_mapping.hpp"

namespace ferry::host::engine::testing {

// Opens a fresh store for one test. `backend` is "sqlite" or "postgresql"; returns nullptr (and
// records a skip reason) when the backend cannot be provided here.
std::unique_ptr<StateStore> openTestStore(const std::string& backend, std::string* skipReason);

// Source fields FirstName/LastName/Email/Phone <-> sink firstName/lastName/email/phone.
std::shared_ptr<TestMapping> contactMapping(sdk::Object constants = {});

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;

  FlowDef makeFlow(const std::string& name, SyncMode mode,
                   std::shared_ptr<const CompiledMapping> mapping = nullptr);
  std::unique_ptr<FlowRunner> makeRunner(const FlowDef& flow);
  std::unique_ptr<FlowRunner> makeRunner(const FlowDef& flow, MemorySystem& source,
                                         MemorySystem& sink);
  // Runs until a run makes no writes on either side (at most `maxRuns`); returns the runs made.
  int runUntilQuiet(FlowRunner& runner, int maxRuns = 6);
  RunSummary runOnce(FlowRunner& runner);

  std::unique_ptr<StateStore> store_;
  sdk::testing::ManualClock clock_;
  // Set ENGINE_DEBUG=1 to see the runner's log lines on stderr.
  struct StderrLogger final : sdk::Logger {
    void log(sdk::LogLevel, std::string_view m) override {
      fprintf(stderr, "%.*s\n", int(m.size()), m.data());
    }
  } debugLogger_;
  std::int64_t tick_ = 1'700'000'000'000;
  MemorySystem crm_{"C", "Id", [this] { return ++tick_; }};
  MemorySystem people_{"P", "id", [this] { return ++tick_; }};
};

// Instantiates an EngineTest suite for each backend.
#define FERRY_ENGINE_BACKENDS(Suite)                                                   \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::Values("sqlite", "postgresql"), \
                           [](const auto& info) { return info.param; })

}  // namespace ferry::host::engine::testing
