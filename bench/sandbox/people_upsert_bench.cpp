// People emulator throughput: one 1000-person v3 upsert (PUT /people/3/persons/upsert) through
// HTTP on loopback, rate limits off. Prints median/p95/min wall time per request for records that
// are created, updated and unchanged, plus a 1000-person list page, and the process CPU time per
// call (meaningful when the machine is shared). Target: well under 50 ms.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "ferry/sandbox/people/service.hpp"
#include "ferry/sandbox/server.hpp"

namespace {

constexpr int kPersons = 1000;
constexpr int kRounds = 30;
const std::string kKey = "bench-key";

std::string upsertBody(const std::string& lastNameSuffix) {
  std::string body = R"({"persons":[)";
  body.reserve(kPersons * 330);
  for (int i = 0; i < kPersons; ++i) {
    const std::string n = std::to_string(i);
    if (i > 0) body += ',';
    body += R"({"externalId":"0035g00000Bench)" + n + R"(","type":"CUSTOMER","firstName":"First)" +
            n + R"(","lastName":"Last)" + n + lastNameSuffix +
            R"(","city":"Zagreb","country":"Croatia",)" +
            R"("contactInformation":[{"type":"EMAIL","identifier":"person)" + n +
            R"(@example.com","primary":true},{"type":"PHONE","identifier":"3859110)" +
            std::string(5 - n.size(), '0') + n +
            R"("}],"tags":["SF-Sync"],"customAttributes":{"Loyalty Tier":"Gold"}})";
  }
  return body + "]}";
}

struct Reply {
  int status = 0;
  std::string body;
};

Reply send(Poco::Net::HTTPClientSession& session, const std::string& method, const std::string& uri,
           const std::string& body, bool authorized = true) {
  Poco::Net::HTTPRequest request(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  request.setKeepAlive(true);
  if (authorized) request.set("Authorization", "App " + kKey);
  if (!body.empty() || method != "GET") {
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Reply reply;
  reply.status = response.getStatus();
  Poco::StreamCopier::copyToString(in, reply.body);
  return reply;
}

struct Figures {
  double median = 0, p95 = 0, min = 0;
  double cpuMedian = 0;  // process CPU time (client and server threads) per call
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

Figures summarise(std::vector<double> ms, std::vector<double> cpu) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 95 / 100)], ms.front(),
          median(std::move(cpu))};
}

// CPU time of the whole process: on a shared, busy machine wall time also counts waiting for a
// core, CPU time does not.
double processCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Times `rounds` calls of `request`; `prepare` runs untimed before each.
template <typename Prepare, typename Call>
Figures measure(Prepare prepare, Call call) {
  std::vector<double> ms, cpu;
  for (int round = 0; round < kRounds; ++round) {
    prepare(round);
    const double cpuStart = processCpuMs();
    const auto start = std::chrono::steady_clock::now();
    call(round);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    cpu.push_back(processCpuMs() - cpuStart);
  }
  return summarise(std::move(ms), std::move(cpu));
}

void expect(const Reply& reply, int status, const char* status3, const char* what) {
  if (reply.status != status ||
      (status3 != nullptr && reply.body.find(status3) == std::string::npos)) {
    std::fprintf(stderr, "%s failed: HTTP %d %.200s\n", what, reply.status, reply.body.c_str());
    std::exit(1);
  }
}

}  // namespace

int main() {
  using ferry::sandbox::SandboxServer;
  ferry::sandbox::people::PeopleOptions options;
  options.apiKeys = {{kKey, {}}};
  options.rateLimits = false;  // raw throughput, not the account's 5 requests/s
  SandboxServer server;
  server.addService(ferry::sandbox::people::makePeopleService(options));
  server.start();
  Poco::Net::HTTPClientSession session("127.0.0.1", server.port());

  const std::string bodyA = upsertBody("");
  const std::string bodyB = upsertBody("-b");
  const std::string defineTier = R"({"name":"Loyalty Tier","dataType":"STRING"})";
  auto resetAccount = [&](int) {
    expect(send(session, "POST", "/__sandbox/people/reset", "", false), 200, nullptr, "reset");
    expect(send(session, "POST", "/__sandbox/people/customAttributes", defineTier, false), 200,
           nullptr, "define");
  };
  resetAccount(0);
  expect(send(session, "PUT", "/people/3/persons/upsert", bodyA), 200, "\"CREATED\"", "warm-up");

  const auto created = measure(resetAccount, [&](int) {
    expect(send(session, "PUT", "/people/3/persons/upsert", bodyA), 200, "\"CREATED\"", "create");
  });
  const auto updated = measure(
      [](int) {},
      [&](int round) {
        expect(send(session, "PUT", "/people/3/persons/upsert", round % 2 == 0 ? bodyB : bodyA),
               200, "\"UPDATED\"", "update");
      });
  expect(send(session, "PUT", "/people/3/persons/upsert", bodyA), 200, nullptr, "settle");
  const auto unchanged = measure([](int) {},
                                 [&](int) {
                                   expect(send(session, "PUT", "/people/3/persons/upsert", bodyA),
                                          200, "\"NOT_MODIFIED\"", "unchanged");
                                 });
  const auto listed = measure(
      [](int) {},
      [&](int) {
        expect(
            send(session, "GET", "/people/2/persons?limit=1000&page=1&orderBy=modifiedAt:desc", ""),
            200, nullptr, "list");
      });

  std::printf(
      "People emulator, %d persons per request over HTTP on loopback (%d rounds, rate limits "
      "off)\n",
      kPersons, kRounds);
  std::printf("request body: %zu bytes\n", bodyA.size());
  std::printf("%-34s %10s %10s %10s %14s\n", "case", "median ms", "p95 ms", "min ms",
              "CPU median ms");
  auto row = [](const char* name, const Figures& f) {
    std::printf("%-34s %10.2f %10.2f %10.2f %14.2f\n", name, f.median, f.p95, f.min, f.cpuMedian);
  };
  row("PUT upsert, 1000 CREATED", created);
  row("PUT upsert, 1000 UPDATED", updated);
  row("PUT upsert, 1000 NOT_MODIFIED", unchanged);
  row("GET list page, limit=1000", listed);
  server.stop();
  return 0;
}
