// Host-services benchmark: what the HTTP client's keep-alive, gzip and bookkeeping cost, and
// what logging redaction and metrics cost on the hot path. Prints one table per figure.
//
//   ferry_http_bench [requests]     (default 2000; loopback server in the same process)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/DeflatingStream.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include "ferry/host/common/logging.hpp"
#include "ferry/host/common/metrics.hpp"
#include "ferry/host/common/redaction.hpp"
#include "ferry/host/http/http_client.hpp"

namespace {

using namespace ferry;
using Clock = std::chrono::steady_clock;

std::string jsonPage(std::size_t records) {
  std::string s = "[";
  for (std::size_t i = 0; i < records; ++i) {
    if (i > 0) s += ',';
    s += R"({"Id":"003000000000)" + std::to_string(100000 + i) + R"(","Email":"person)" +
         std::to_string(i) + R"(@example.com","LastName":"Example"})";
  }
  return s + "]";
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(const std::string& small, const std::string& big, const std::string& bigGzip)
      : small_(small), big_(big), bigGzip_(bigGzip) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    const bool big = req.getURI().rfind("/big", 0) == 0;
    const bool gzip = big && req.get("Accept-Encoding", "").find("gzip") != std::string::npos &&
                      req.getURI() == "/big";
    const std::string& body = big ? (gzip ? bigGzip_ : big_) : small_;
    if (gzip) resp.set("Content-Encoding", "gzip");
    resp.setContentType("application/json");
    resp.setContentLength(static_cast<std::streamsize>(body.size()));
    resp.send().write(body.data(), static_cast<std::streamsize>(body.size()));
  }

 private:
  const std::string& small_;
  const std::string& big_;
  const std::string& bigGzip_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(const std::string& s, const std::string& b, const std::string& g) : s_(s), b_(b), g_(g) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(s_, b_, g_);
  }

 private:
  const std::string& s_;
  const std::string& b_;
  const std::string& g_;
};

struct RunResult {
  double seconds = 0;
  std::vector<double> latenciesMs;
  host::HttpStats stats;
};

RunResult run(const std::string& url, int requests, int threads, std::size_t maxIdle) {
  host::HttpClientOptions o;
  o.connection = "bench";
  o.maxIdlePerOrigin = maxIdle;
  host::PocoHttpClient client(o);
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(threads));
  std::atomic<int> failures{0};
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      sdk::HttpRequest req;
      req.url = url;
      for (int i = 0; i < requests / threads; ++i) {
        const auto s = Clock::now();
        auto r = client.send(req);
        lat[static_cast<std::size_t>(t)].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - s).count());
        if (!r.ok() || r->status != 200) ++failures;
      }
    });
  }
  for (auto& th : pool) th.join();
  RunResult result;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& v : lat) result.latenciesMs.insert(result.latenciesMs.end(), v.begin(), v.end());
  std::sort(result.latenciesMs.begin(), result.latenciesMs.end());
  result.stats = client.stats();
  if (failures > 0) std::printf("  !! %d failed requests\n", failures.load());
  return result;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1,
                         static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

void printRun(const char* name, const RunResult& r) {
  std::printf(
      "  %-34s %8.0f req/s  p50 %6.3f ms  p99 %6.3f ms  connections %4llu  bytes in %9llu\n", name,
      static_cast<double>(r.latenciesMs.size()) / r.seconds, percentile(r.latenciesMs, 0.5),
      percentile(r.latenciesMs, 0.99), static_cast<unsigned long long>(r.stats.connectionsOpened),
      static_cast<unsigned long long>(r.stats.bytesIn));
}

template <typename Fn>
double nsPerOp(int iterations, Fn&& fn) {
  const auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) fn(i);
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / iterations;
}

}  // namespace

int main(int argc, char** argv) {
  const int requests = argc > 1 ? std::max(100, std::atoi(argv[1])) : 2000;
  host::LogConfig quiet;
  quiet.level = sdk::LogLevel::kError;
  (void)host::configureLogging(quiet);

  const std::string small = jsonPage(10);  // ~0.7 KB
  const std::string big = jsonPage(2000);  // ~140 KB, a Salesforce-sized page
  std::ostringstream z;
  {
    Poco::DeflatingOutputStream gz(z, Poco::DeflatingStreamBuf::STREAM_GZIP);
    gz << big;
    gz.close();
  }
  const std::string bigGzip = z.str();

  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(8);
  params->setMaxKeepAliveRequests(0);
  Poco::Net::HTTPServer server(new Factory(small, big, bigGzip), socket, params);
  server.start();
  const std::string base = "http://127.0.0.1:" + std::to_string(socket.address().port());

  std::printf("HTTP client, loopback, %d requests each (1 core of the server shared)\n", requests);
  printRun("keep-alive, 1 thread", run(base + "/small", requests, 1, 4));
  printRun("new connection per request", run(base + "/small", requests, 1, 0));
  printRun("keep-alive, 4 threads", run(base + "/small", requests, 4, 4));
  const int bigRequests = std::max(50, requests / 10);
  const auto plain = run(base + "/big-plain", bigRequests, 1, 4);
  const auto gz = run(base + "/big", bigRequests, 1, 4);
  std::printf("Large page (%zu bytes JSON), %d requests\n", big.size(), bigRequests);
  printRun("identity", plain);
  printRun("gzip (inflated by the client)", gz);
  std::printf("  wire bytes per page: identity %zu, gzip %zu (%.1fx smaller)\n", big.size(),
              bigGzip.size(),
              static_cast<double>(big.size()) / static_cast<double>(bigGzip.size()));
  server.stopAll(true);

  std::printf("Metrics hot path\n");
  host::MetricsRegistry registry;
  auto& family = registry.counter("bench_total", "Bench.", {"connection", "bucket", "status"});
  auto& cached = family.labels({"c", "b", "200"});
  std::printf("  Counter::inc on a held series        %8.1f ns\n",
              nsPerOp(2'000'000, [&](int) { cached.inc(); }));
  std::printf("  labels() lookup + inc (3 labels)     %8.1f ns\n", nsPerOp(500'000, [&](int) {
                family.labels({"c", "b", "200"}).inc();
              }));
  auto& hist = registry.histogram("bench_seconds", "Bench.", {"connection"}).labels({"c"});
  std::printf("  Histogram::observe                   %8.1f ns\n", nsPerOp(2'000'000, [&](int i) {
                hist.observe(static_cast<double>(i % 1000) / 1000.0);
              }));
  auto& wide = registry.counter("bench_wide_total", "Bench.", {"flow", "outcome"});
  for (int i = 0; i < 1000; ++i) wide.labels({"flow-" + std::to_string(i), "created"}).inc();
  std::string text;
  const double renderUs = nsPerOp(20, [&](int) { text = registry.renderPrometheus(); }) / 1000.0;
  std::printf("  renderPrometheus, 1003 series        %8.1f us (%zu bytes)\n", renderUs,
              text.size());

  std::printf("Log redaction (200-byte line)\n");
  const std::string line =
      "POST https://login.example.com/services/oauth2/token: HTTP 400 invalid_grant for client "
      "3MVG9-abcdef while refreshing the access token of connection salesforce-prod; retry 1/3";
  for (int secrets : {0, 10, 100}) {
    host::Redactor r;
    for (int i = 0; i < secrets; ++i) r.add("secret-value-" + std::to_string(i) + "-xyzzy");
    std::printf("  %3d registered secrets                %8.1f ns per line\n", secrets,
                nsPerOp(200'000, [&](int) {
                  auto s = r.redact(line);
                  (void)s;
                }));
  }
  return 0;
}
