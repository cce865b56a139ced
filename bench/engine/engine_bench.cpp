// bench_engine: what the sync engine costs per record, and whether its memory stays flat.
//
// For each size (default 100,000 and 1,000,000 records) a child process runs one initial load
// through the real engine (FlowRunner, real mapping compiled from YAML, SQLite state store):
//   jsonl -> null : the jsonl source and a sink that accepts every write and keeps nothing, so
//                   the figures are the engine's own (read, map, diff, link commit) plus parsing;
//   jsonl -> jsonl: both ends real (the jsonl sink keeps its records and lookup keys in an
//                   on-disk index, so its memory should not grow with the file either);
//   jsonl ~> jsonl: the same, matching every record on email first (a lookup per record, as an
//                   initial load into a populated audience does).
// Each child reports wall time, CPU time (user+sys), records/s per CPU second and peak RSS;
// the parent prints one table.
//
//   bench_engine [--sizes 100000,1000000] [--plugin-dir DIR] [--keep]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "ferry/host/common/clock.hpp"
#include "ferry/host/common/logging.hpp"
#include "ferry/host/engine/connections.hpp"
#include "ferry/host/flow/validator.hpp"
#include "ferry/host/plugins/registry.hpp"

namespace fs = std::filesystem;
using namespace ferry;
using namespace ferry::host;

namespace {

// The pipelines measured, in the order printed.
enum class Pipeline { kNull, kJsonl, kJsonlMatching };

const char* label(Pipeline p) {
  switch (p) {
    case Pipeline::kNull:
      return "jsonl -> null";
    case Pipeline::kJsonl:
      return "jsonl -> jsonl";
    case Pipeline::kJsonlMatching:
      return "jsonl ~> jsonl";
  }
  return "?";
}
const char* argName(Pipeline p) {
  return p == Pipeline::kNull ? "null" : p == Pipeline::kJsonl ? "jsonl" : "match";
}

constexpr const char* kFlowHead = R"(flow: bench
source: { connection: src, entity: Contact }
sink: { connection: dst, entity: Person }
direction: one-way
schedule: { every: 1m }
)";
constexpr const char* kFlowMatch = R"(match:
  - { source: email, sink: email }
)";
constexpr const char* kFlowMap = R"(map:
  id: externalId
  firstName: firstName
  lastName: lastName
  email: { to: email, transform: [trim, lower] }
  city: city
  company: company
)";

sdk::Object jsonlSettings(const fs::path& dir, const std::string& entity) {
  sdk::Object fields{{"externalId", "string"}, {"email", "email"}, {"firstName", "string"},
                     {"lastName", "string"},   {"city", "string"}, {"company", "string"}};
  if (entity == "Contact") fields.erase("externalId");
  return sdk::Object{
      {"directory", dir.string()},
      {"entities", sdk::Object{{entity, sdk::Object{{"id", "id"}, {"fields", fields}}}}}};
}

// Accepts every write, keeps nothing: the engine's own cost without a real sink.
class NullSink final : public sdk::Sink {
 public:
  sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> lookup(
      const std::string&, const std::vector<sdk::LookupQuery>& queries,
      const std::vector<std::string>&) override {
    return std::vector<std::vector<sdk::FoundRecord>>(queries.size());
  }
  sdk::Result<std::vector<sdk::WriteResult>> write(const std::string&,
                                                   const std::vector<sdk::WriteOp>& ops) override {
    std::vector<sdk::WriteResult> out(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) {
      out[i].outcome = sdk::WriteResult::Outcome::kCreated;
      out[i].id = "n" + ops[i].idempotencyKey;
    }
    return out;
  }
  std::size_t maxBatch(const std::string&) const override { return 1000; }
};

void writeInput(const fs::path& file, std::size_t n) {
  std::ofstream out(file);
  char line[256];
  for (std::size_t i = 0; i < n; ++i) {
    const int len =
        std::snprintf(line, sizeof line,
                      R"({"id":"c%09zu","email":" Person%zu@Example.test ","firstName":"First%zu",)"
                      R"("lastName":"Last%zu","city":"City %zu","company":"Company %zu"})"
                      "\n",
                      i, i, i, i % 1000, i % 5000, i % 700);
    out.write(line, len);
  }
}

struct Figures {
  double wallS = 0;
  double cpuS = 0;
  long peakRssKb = 0;
  long baselineRssKb = 0;
  long long created = 0;
  int status = 1;
};

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long peakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Runs one initial load in this (child) process; prints "created wall cpu rss baseline".
int runChild(const fs::path& work, Pipeline pipeline, const std::string& pluginDir) {
  const bool nullSink = pipeline == Pipeline::kNull;
  (void)configureLogging(LogConfig{LogFormat::kText, sdk::LogLevel::kWarn, ""});
  PluginRegistry plugins;
  plugins.loadDirectory(pluginDir, true);
  const LoadedPlugin* jsonl = plugins.find("jsonl");
  if (jsonl == nullptr) {
    std::cerr << "jsonl plugin not found in " << pluginDir << "\n";
    return 2;
  }
  auto store = openStateStore("sqlite://" + (work / "state.db").string());
  if (!store) {
    std::cerr << store.error().describe() << "\n";
    return 2;
  }
  ConnectionDef src{"src", "jsonl", jsonlSettings(work / "in", "Contact"), "", {}};
  ConnectionDef dst{"dst", "jsonl", jsonlSettings(work / "out", "Person"), "", {}};
  ConnectionSet connections;
  connections.add(src);
  connections.add(dst);
  engine::ConnectionServices services;
  services.plugins = &plugins;
  services.store = store->get();
  services.clock = &systemClock();
  engine::ConnectionFactory factory(services);
  // jsonl's entities come from its settings (describe), not its static catalogue.
  std::vector<sdk::EntitySchema> entities;
  for (const ConnectionDef* def : {&src, &dst}) {
    auto live = factory.open(*def);
    if (!live) {
      std::cerr << live.error().describe() << "\n";
      return 2;
    }
    auto described = (*live)->connector().describe();
    if (described) entities.insert(entities.end(), described->begin(), described->end());
  }
  StaticSchemaProvider schemas;
  schemas.add(PluginSchema{jsonl->name(), jsonl->settings(), entities});
  Diagnostics diags;
  const std::string yaml =
      std::string(kFlowHead) + (pipeline == Pipeline::kJsonlMatching ? kFlowMatch : "") + kFlowMap;
  auto flow = loadFlow(yaml, "bench.yaml", connections, schemas, diags);
  if (!flow) {
    std::cerr << diags.format();
    return 2;
  }
  auto instance =
      engine::FlowInstance::open(*flow, src, dst, factory, **store, systemClock(), "bench");
  if (!instance) {
    std::cerr << instance.error().describe() << "\n";
    return 2;
  }
  NullSink null;
  std::unique_ptr<engine::FlowRunner> nullRunner;
  engine::FlowRunner* runner = &(*instance)->runner();
  if (nullSink) {
    engine::Endpoint from{(*instance)->sourceConnection().connector().source(), nullptr, "Contact",
                          "id"};
    nullRunner = std::make_unique<engine::FlowRunner>(
        *flow, from, engine::Endpoint{nullptr, &null, "Person", "id"}, **store, systemClock());
    runner = nullRunner.get();
  }
  const long baseline = peakRssKb();
  const double cpu0 = cpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  const engine::RunSummary summary = runner->run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpuSeconds() - cpu0;
  if (summary.status != RunStatus::kSucceeded) {
    std::cerr << "run failed: " << summary.error << "\n";
    return 3;
  }
  std::printf("%lld %.3f %.3f %ld %ld\n", static_cast<long long>(summary.counts.created), wall, cpu,
              peakRssKb(), baseline);
  return 0;
}

Figures measure(const std::string& self, std::size_t n, Pipeline pipeline,
                const std::string& pluginDir, bool keep) {
  Figures f;
  const fs::path work =
      fs::temp_directory_path() / ("ferry-bench-engine-" + std::to_string(::getpid()) + "-" +
                                   std::to_string(n) + "-" + argName(pipeline));
  fs::remove_all(work);
  fs::create_directories(work / "in");
  fs::create_directories(work / "out");
  writeInput(work / "in" / "Contact.jsonl", n);
  std::ofstream(work / "out" / "Person.jsonl").close();
  const fs::path result = work / "result.txt";
  const std::string cmd = "'" + self + "' --child '" + work.string() + "' " + argName(pipeline) +
                          " '" + pluginDir + "' > '" + result.string() + "'";
  f.status = std::system(cmd.c_str());
  std::ifstream in(result);
  in >> f.created >> f.wallS >> f.cpuS >> f.peakRssKb >> f.baselineRssKb;
  if (!keep) fs::remove_all(work);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes{100'000, 1'000'000};
  std::string pluginDir = FERRY_BENCH_PLUGIN_DIR;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--child" && i + 3 < argc) {
      const std::string mode = argv[i + 2];
      const Pipeline pipeline = mode == "null"    ? Pipeline::kNull
                                : mode == "jsonl" ? Pipeline::kJsonl
                                                  : Pipeline::kJsonlMatching;
      return runChild(argv[i + 1], pipeline, argv[i + 3]);
    } else if (arg == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::stringstream list(argv[++i]);
      for (std::string item; std::getline(list, item, ',');) sizes.push_back(std::stoul(item));
    } else if (arg == "--plugin-dir" && i + 1 < argc) {
      pluginDir = argv[++i];
    } else if (arg == "--keep") {
      keep = true;
    } else {
      std::cerr << "usage: bench_engine [--sizes N,N...] [--plugin-dir DIR] [--keep]\n";
      return 2;
    }
  }
  const std::string self = fs::canonical("/proc/self/exe").string();
  std::printf("%-14s %10s %9s %9s %14s %16s %12s\n", "pipeline", "records", "wall s", "cpu s",
              "records/cpu-s", "peak RSS MiB", "over start");
  for (Pipeline pipeline : {Pipeline::kNull, Pipeline::kJsonl, Pipeline::kJsonlMatching}) {
    for (std::size_t n : sizes) {
      const Figures f = measure(self, n, pipeline, pluginDir, keep);
      if (f.status != 0 || f.created != static_cast<long long>(n)) {
        std::printf("%-14s %10zu   failed (exit %d, created %lld)\n", label(pipeline), n, f.status,
                    f.created);
        continue;
      }
      std::printf("%-14s %10zu %9.2f %9.2f %14.0f %16.1f %12.1f\n", label(pipeline), n, f.wallS,
                  f.cpuS, static_cast<double>(n) / f.cpuS, f.peakRssKb / 1024.0,
                  (f.peakRssKb - f.baselineRssKb) / 1024.0);
    }
  }
  return 0;
}
