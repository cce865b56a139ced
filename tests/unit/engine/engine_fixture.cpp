#include "engine_fixture.hpp"

#include <unistd.h>
#include <atomic>

#ifdef FERRY_ENGINE_TESTS_HAVE_SUPPORT
#include "ferry/testing/postgres.hpp"
#endif

namespace ferry::host::engine::testing {

std::unique_ptr<StateStore> openTestStore(const std::string& backend, std::string* skipReason) {
  std::string url;
  if (backend == "sqlite") {
    static std::atomic<int> counter{0};
    const auto dir = std::filesystem::temp_directory_path() /
                     ("ferry-engine-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = dir / ("state-" + std::to_string(counter++) + ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(file.string() + suffix);
    }
    url = "sqlite://" + file.string();
  } else {
#ifdef FERRY_ENGINE_TESTS_HAVE_SUPPORT
    url = ::ferry::testing::freshPostgresDatabase();
    if (url.empty()) {
      *skipReason = "PostgreSQL unavailable: " + ::ferry::testing::postgresUnavailableReason();
      return nullptr;
    }
#else
    *skipReason = "PostgreSQL test harness not built";
    return nullptr;
#endif
  }
  auto store = openStateStore(url);
  if (!store) {
    *skipReason = "cannot open " + backend + " store: " + store.error().describe();
    return nullptr;
  }
  return std::move(*store);
}

std::shared_ptr<TestMapping> contactMapping(sdk::Object constants) {
  return std::make_shared<TestMapping>(std::vector<TestMapping::Pair>{{"FirstName", "firstName"},
                                                                      {"LastName", "lastName"},
                                                                      {"Email", "email"},
                                                                      {"Phone", "phone"}},
                                       std::move(constants));
}

void EngineTest::SetUp() {
  std::string why;
  store_ = openTestStore(GetParam(), &why);
  if (!store_) {
    if (GetParam() == "sqlite") FAIL() << why;
    GTEST_SKIP() << why;
  }
}

FlowDef EngineTest::makeFlow(const std::string& name, SyncMode mode,
                             std::shared_ptr<const CompiledMapping> mapping) {
  FlowDef flow;
  flow.name = name;
  flow.source = {"crm", "Contact", {}};
  flow.sink = {"people", "Person", {}};
  flow.mode = mode;
  flow.match = {{"Email", "email"}};
  flow.mapping = mapping ? std::move(mapping) : contactMapping();
  flow.errors.maxAttempts = 3;
  flow.errors.baseDelay = std::chrono::milliseconds(1000);
  flow.errors.maxDelay = std::chrono::milliseconds(4000);
  return flow;
}

std::unique_ptr<FlowRunner> EngineTest::makeRunner(const FlowDef& flow) {
  return makeRunner(flow, crm_, people_);
}

std::unique_ptr<FlowRunner> EngineTest::makeRunner(const FlowDef& flow, MemorySystem& source,
                                                   MemorySystem& sink) {
  Endpoint from{&source, &source, flow.source.entity, "Id"};
  Endpoint to{&sink, &sink, flow.sink.entity, "id"};
  return std::make_unique<FlowRunner>(flow, from, to, *store_, clock_,
                                      getenv("ENGINE_DEBUG") ? &debugLogger_ : nullptr);
}

RunSummary EngineTest::runOnce(FlowRunner& runner) {
  RunSummary s = runner.run();
  EXPECT_EQ(s.status, RunStatus::kSucceeded) << s.error;
  return s;
}

int EngineTest::runUntilQuiet(FlowRunner& runner, int maxRuns) {
  for (int i = 1; i <= maxRuns; ++i) {
    const int before = crm_.writeOps() + people_.writeOps();
    RunSummary s = runner.run();
    if (s.status != RunStatus::kSucceeded) continue;
    if (crm_.writeOps() + people_.writeOps() == before) return i;
  }
  return maxRuns + 1;
}

}  // namespace ferry::host::engine::testing
