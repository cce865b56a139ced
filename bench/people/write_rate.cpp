// Sustained write rate into People through the connector: the sandbox on loopback with People's
// real per-endpoint limits (upsert: 5 requests/s, 1000 persons each = 5000 persons/s ceiling),
// the host's HTTP client with the connector's token buckets. Prints persons/s, the share of the
// ceiling and the 429s seen, for one writer and for two writers sharing the connection's buckets.
// Build it in Release: in Debug the sandbox needs longer than the 200 ms between calls to apply
// 1000 persons, and that latency, not the limit, sets the rate.
//
//   bench_people_write [persons per run, default 60000]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ferry/host/http/http_client.hpp"
#include "ferry/plugins/people/connector.hpp"
#include "ferry/sandbox/people/service.hpp"
#include "ferry/sandbox/server.hpp"
#include "ferry/sdk/testing/fake_host.hpp"

namespace {

using namespace ferry;

std::vector<sdk::WriteOp> batchOf(int start, int count) {
  std::vector<sdk::WriteOp> ops;
  ops.reserve(count);
  for (int i = start; i < start + count; ++i) {
    sdk::WriteOp op;
    op.idempotencyKey = "bench-" + std::to_string(i);
    op.fields =
        sdk::Object{{"firstName", "First" + std::to_string(i)},
                    {"lastName", "Last" + std::to_string(i)},
                    {"city", "Zagreb"},
                    {"contactInformation",
                     sdk::Object{{"email", sdk::List{"bench" + std::to_string(i) + "@example.com"}},
                                 {"phone", sdk::List{"+3859" + std::to_string(10'000'000 + i)}}}}};
    ops.push_back(std::move(op));
  }
  return ops;
}

struct Figures {
  double seconds = 0;
  double steadyRate = 0;  // persons/s between the first and the last completed batch
  long written = 0;
  long rejected = 0;
  std::uint64_t throttled = 0;
};

Figures run(int writers, int persons) {
  sandbox::SandboxServer server;
  server.addService(sandbox::people::makePeopleService({}));  // real rate limits on
  server.start();
  host::HttpClientOptions options;
  options.connection = "people-bench";
  host::PocoHttpClient http(options);
  sdk::testing::FakeHost host;
  (void)host.secrets.put("api_key", "sandbox-people-key");
  const sdk::Object settings{{"base_url", server.baseUrl()}, {"reconcile_interval", 0}};

  std::vector<std::unique_ptr<sdk::HostContext>> contexts;
  std::vector<std::unique_ptr<plugins::people::PeopleConnector>> connectors;
  for (int w = 0; w < writers; ++w) {
    contexts.push_back(std::make_unique<sdk::HostContext>(host.context(settings, "people")));
    contexts.back()->http = &http;  // one connection: its buckets are shared by every writer
    auto c = plugins::people::PeopleConnector::create(*contexts.back());
    if (!c || !c.value()->start()) {
      std::fprintf(stderr, "cannot create the connector\n");
      std::exit(1);
    }
    connectors.push_back(std::move(c).value());
  }
  // Batches prepared up front so the timing covers the connector and the wire only.
  const int perWriter = persons / writers;
  std::vector<std::vector<std::vector<sdk::WriteOp>>> work(writers);
  for (int w = 0; w < writers; ++w) {
    for (int start = 0; start < perWriter; start += 1000) {
      work[w].push_back(batchOf(w * perWriter + start, std::min(1000, perWriter - start)));
    }
  }
  Figures f;
  std::vector<long> written(writers, 0);
  std::vector<long> rejected(writers, 0);
  const auto started = std::chrono::steady_clock::now();
  std::mutex doneMutex;
  std::vector<std::chrono::steady_clock::time_point> done;  // completion time of every batch
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      for (const auto& batch : work[w]) {
        auto results = connectors[w]->write("Customer", batch);
        if (!results) {
          std::fprintf(stderr, "write failed: %s\n", results.error().message.c_str());
          std::exit(1);
        }
        for (const auto& r : *results) {
          (r.outcome == sdk::WriteResult::Outcome::kCreated ? written[w] : rejected[w])++;
        }
        std::lock_guard lock(doneMutex);
        done.push_back(std::chrono::steady_clock::now());
      }
    });
  }
  for (auto& t : threads) t.join();
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (int w = 0; w < writers; ++w) {
    f.written += written[w];
    f.rejected += rejected[w];
  }
  std::sort(done.begin(), done.end());
  // N calls spaced by the bucket take N-1 intervals: measuring from the first completion on
  // gives the sustained rate without that fencepost.
  if (done.size() > 1) {
    f.steadyRate = 1000.0 * static_cast<double>(done.size() - 1) /
                   std::chrono::duration<double>(done.back() - done.front()).count();
  }
  f.throttled = http.stats().callsWithStatus(429);
  server.stop();
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const int persons = argc > 1 ? std::atoi(argv[1]) : 60'000;
  if (persons < 1000) {
    std::fprintf(stderr, "usage: bench_people_write [persons >= 1000]\n");
    return 2;
  }
  constexpr double kCeiling = 5000.0;  // 5 upserts/s x 1000 persons
  std::printf(
      "People v3 upsert through the connector, sandbox limits on (ceiling %.0f persons/s)\n",
      kCeiling);
  std::printf("%-8s %10s %9s %12s %14s %8s %6s\n", "writers", "persons", "seconds", "persons/s",
              "sustained/s", "ceiling", "429s");
  for (const int writers : {1, 2}) {
    const Figures f = run(writers, persons);
    const double rate = f.written / f.seconds;
    std::printf("%-8d %10ld %9.2f %12.0f %14.0f %7.1f%% %6llu\n", writers, f.written, f.seconds,
                rate, f.steadyRate, 100.0 * f.steadyRate / kCeiling,
                static_cast<unsigned long long>(f.throttled));
    if (f.rejected != 0) std::printf("  (%ld rejected)\n", f.rejected);
  }
  return 0;
}
