// State store throughput: commitBatch with 1000-link batches (new links, then updates of the
// same links) and 1000-id link lookups, on SQLite (WAL, synchronous=NORMAL) and on PostgreSQL
// (a throwaway local server from tests/support with durable defaults, or the server given by
// --postgres URL). Prints one table.
//
//   state_bench [--batches N] [--postgres postgresql://user@127.0.0.1:5432/db]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "ferry/host/state/store.hpp"
#include "ferry/testing/postgres.hpp"
#include "ferry/testing/temp_sqlite.hpp"

namespace {

using ferry::host::BatchCommit;
using ferry::host::Direction;
using ferry::host::Link;
using ferry::host::StateStore;
using Clock = std::chrono::steady_clock;

constexpr int kLinksPerBatch = 1000;

Link benchLink(int n, int generation) {
  const std::string id = std::to_string(n);
  ferry::sdk::Object base{{"email", ferry::sdk::Value("person" + id + "@example.com")},
                          {"firstName", ferry::sdk::Value("First" + id)},
                          {"lastName", ferry::sdk::Value("Last" + id)},
                          {"phone", ferry::sdk::Value("+4930" + id)},
                          {"generation", ferry::sdk::Value(generation)}};
  return Link{"",
              "003" + id,
              "p-" + id,
              std::move(base),
              1700000000000 + generation,
              1700000000000 + generation,
              0};
}

BatchCommit batch(int index, int generation, std::int64_t runId) {
  BatchCommit b;
  b.flow = "bench";
  b.cursor = std::pair{Direction::kForward,
                       "cursor-" + std::to_string(generation) + "-" + std::to_string(index)};
  for (int i = 0; i < kLinksPerBatch; ++i)
    b.upsertLinks.push_back(benchLink(index * kLinksPerBatch + i, generation));
  b.runId = runId;
  b.countsDelta.read = kLinksPerBatch;
  b.countsDelta.created = kLinksPerBatch;
  return b;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void fail(const std::string& what, const ferry::sdk::Error& e) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), e.describe().c_str());
  std::exit(1);
}

void bench(const char* backend, const std::string& url, int batches) {
  auto opened = ferry::host::openStateStore(url);
  if (!opened) fail(std::string("open ") + backend, opened.error());
  StateStore& store = **opened;
  auto run = store.startRun("bench", "bench-node", 1);
  if (!run) fail("startRun", run.error());

  // Prebuilt so that only the store is timed.
  std::vector<BatchCommit> inserts, updates;
  for (int i = 0; i < batches; ++i) {
    inserts.push_back(batch(i, 1, *run));
    updates.push_back(batch(i, 2, *run));
  }
  auto timeBatches = [&](std::vector<BatchCommit>& list) {
    const auto start = Clock::now();
    for (auto& b : list) {
      if (auto s = store.commitBatch(b); !s) fail("commitBatch", s.error());
    }
    return seconds(Clock::now() - start);
  };
  const double insertSecs = timeBatches(inserts);
  const double updateSecs = timeBatches(updates);

  std::vector<std::string> ids;
  for (const auto& l : inserts.back().upsertLinks) ids.push_back(l.sourceId);
  const int lookups = 20;
  const auto start = Clock::now();
  for (int i = 0; i < lookups; ++i) {
    auto found = store.linksBySource("bench", ids);
    if (!found) fail("linksBySource", found.error());
    if (found->size() != ids.size()) {
      std::fprintf(stderr, "lookup found %zu of %zu links\n", found->size(), ids.size());
      std::exit(1);
    }
  }
  const double lookupSecs = seconds(Clock::now() - start);
  auto count = store.linkCount("bench");
  if (!count || *count != static_cast<std::int64_t>(batches) * kLinksPerBatch) {
    std::fprintf(stderr, "unexpected link count\n");
    std::exit(1);
  }

  const double links = static_cast<double>(batches) * kLinksPerBatch;
  std::printf("%-11s %8d %12.1f %12.0f %12.1f %12.0f %14.1f\n", backend, batches,
              1000 * insertSecs / batches, links / insertSecs, 1000 * updateSecs / batches,
              links / updateSecs, 1000 * lookupSecs / lookups);
}

}  // namespace

int main(int argc, char** argv) {
  int batches = 20;
  std::string postgresUrl;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--batches") == 0 && i + 1 < argc) {
      batches = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--postgres") == 0 && i + 1 < argc) {
      postgresUrl = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--batches N] [--postgres URL]\n", argv[0]);
      return 2;
    }
  }
  if (batches <= 0) {
    std::fprintf(stderr, "--batches must be positive\n");
    return 2;
  }

  std::printf(
      "commitBatch with %d links per batch (cursor, links, run counts in one transaction)\n",
      kLinksPerBatch);
  std::printf("%-11s %8s %12s %12s %12s %12s %14s\n", "backend", "batches", "insert ms/b",
              "insert l/s", "update ms/b", "update l/s", "lookup1000 ms");

  ferry::testing::TempSqliteFile sqlite;
  bench("sqlite", sqlite.url(), batches);

  std::unique_ptr<ferry::testing::PostgresServer> server;
  if (postgresUrl.empty()) {
    std::string why;
    server = ferry::testing::PostgresServer::start(&why, /*durable=*/true);
    if (!server) {
      std::printf("postgresql  skipped: %s\n", why.c_str());
      return 0;
    }
    postgresUrl = server->createDatabase("bench");
  }
  bench("postgresql", postgresUrl, batches);
  return 0;
}
