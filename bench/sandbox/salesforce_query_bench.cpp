// Times Salesforce query pages of 2000 records served by the in-process sandbox over loopback
// HTTP (request, SOQL parse, filter/sort, JSON rendering, transfer, body read), and the raw
// service call without HTTP. Prints one table; the target is well under 50 ms per page.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/salesforce/service.hpp"
#include "ferry/sandbox/server.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Stats {
  double median = 0, p95 = 0, max = 0;
};

Stats summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  Stats stats;
  stats.median = samples[samples.size() / 2];
  stats.p95 = samples[std::min(samples.size() - 1, samples.size() * 95 / 100)];
  stats.max = samples.back();
  return stats;
}

struct Http {
  uint16_t port;
  std::string token;

  std::string get(const std::string& path, size_t* bytes = nullptr) {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!token.empty()) request.set("Authorization", "Bearer " + token);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string body;
    Poco::StreamCopier::copyToString(in, body);
    if (response.getStatus() != 200) {
      std::fprintf(stderr, "GET %s -> %d %s\n", path.c_str(), response.getStatus(),
                   body.substr(0, 300).c_str());
      std::exit(1);
    }
    if (bytes) *bytes = body.size();
    return body;
  }
};

}  // namespace

int main(int argc, char** argv) {
  int records = argc > 1 ? std::stoi(argv[1]) : 20000;
  int rounds = argc > 2 ? std::stoi(argv[2]) : 30;
  ferry::sandbox::SandboxServer server;
  server.addService(ferry::sandbox::salesforce::makeSalesforceService({}));
  server.start();
  auto* service = server.service("salesforce");

  ferry::sandbox::Request seed;
  seed.method = "POST";
  seed.path = "/__sandbox/salesforce/seed";
  seed.body = "{\"Account\":50,\"Contact\":" + std::to_string(records) + "}";
  auto seedStart = Clock::now();
  service->admin(seed, "/seed");
  double seedMs = std::chrono::duration<double, std::milli>(Clock::now() - seedStart).count();

  Http http{server.port(), ""};
  {
    Poco::Net::HTTPClientSession session("127.0.0.1", server.port());
    Poco::Net::HTTPRequest request("POST", "/services/oauth2/token",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    std::string form =
        "grant_type=password&client_id=ferry-demo-consumer-key&client_secret=ferry-demo-consumer-"
        "secret"
        "&username=integration%40ferry.example&password=ferry-demo-password";
    request.setContentType("application/x-www-form-urlencoded");
    request.setContentLength(form.size());
    session.sendRequest(request) << form;
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    http.token =
        Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>(
            "access_token");
  }

  const std::string soql =
      "SELECT Id, FirstName, LastName, Email, MobilePhone, Title, MailingCity, MailingCountry, "
      "AccountId, "
      "Ferry_External_Id__c, SystemModstamp, IsDeleted FROM Contact WHERE SystemModstamp > "
      "2000-01-01T00:00:00Z "
      "ORDER BY SystemModstamp ASC, Id ASC LIMIT 2000";
  const std::string keyset = "/services/data/v60.0/query?q=" + ferry::sandbox::percentEncode(soql);
  const std::string paged =
      "/services/data/v60.0/query?q=" + ferry::sandbox::percentEncode(
                                            "SELECT Id, FirstName, LastName, Email, MobilePhone, "
                                            "SystemModstamp FROM Contact");

  std::vector<double> firstPage, nextPage, direct;
  size_t pageBytes = 0;
  http.get(keyset);  // warm-up
  for (int i = 0; i < rounds; ++i) {
    auto start = Clock::now();
    http.get(keyset, &pageBytes);
    firstPage.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  // queryMore: the cursor holds rendered rows, so a further page is mostly transfer.
  std::string body = http.get(paged);
  std::string next =
      Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>(
          "nextRecordsUrl");
  for (int i = 0; i < rounds; ++i) {
    auto start = Clock::now();
    http.get(next);
    nextPage.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  // The same keyset query through Service::handle, without HTTP.
  ferry::sandbox::Request request;
  request.method = "GET";
  request.path = "/services/data/v60.0/query";
  request.query = {{"q", soql}};
  request.headers = {{"Authorization", "Bearer " + http.token}, {"Host", "127.0.0.1"}};
  for (int i = 0; i < rounds; ++i) {
    auto start = Clock::now();
    auto response = service->handle(request);
    direct.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (response.status != 200) return 1;
  }
  server.stop();

  std::printf(
      "sandbox Salesforce query bench: %d Contacts seeded in %.0f ms, %d rounds, page = 2000 "
      "records (%zu bytes)\n",
      records, seedMs, rounds, pageBytes);
  std::printf("%-52s %10s %10s %10s\n", "case", "median ms", "p95 ms", "max ms");
  auto row = [](const char* name, const Stats& s) {
    std::printf("%-52s %10.2f %10.2f %10.2f\n", name, s.median, s.p95, s.max);
  };
  row("keyset query, 2000-record page, HTTP round trip", summarize(firstPage));
  row("nextRecordsUrl page of 2000, HTTP round trip", summarize(nextPage));
  row("keyset query, 2000-record page, Service::handle", summarize(direct));
  return 0;
}
