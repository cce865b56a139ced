// ferry-sandbox: serves the emulated Salesforce and Infobip People APIs on loopback, for demos,
// integration tests and benchmarks. See sandbox/README.md.
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Exception.h>

#include "ferry/sandbox/salesforce/service.hpp"
#include "ferry/sandbox/server.hpp"
#ifdef FERRY_SANDBOX_HAS_PEOPLE
#include "ferry/sandbox/people/service.hpp"
#endif

namespace {

std::atomic<bool> stopRequested{false};

void onSignal(int) { stopRequested = true; }

constexpr const char* kUsage = R"(usage: ferry-sandbox [options]

Serves local emulators of the Salesforce REST/Bulk 2.0/OAuth API and the Infobip People API.

  --bind ADDR             address to listen on (default 127.0.0.1)
  --port N                port (default 8484; 0 picks a free one)
  --seed N                seed for ids, tokens and generated data (default 42)
  --snapshot FILE         load state from FILE at start (if it exists), save it at exit;
                          also enables POST /__sandbox/snapshot/save|load
  --seed-records N        seed N Contacts, N Leads and N/10 Accounts at start (default 0)
  --token-ttl SECONDS     Salesforce access-token lifetime (default 7200)
  --late-commit-ms N      Salesforce writes become visible to queries N ms after SystemModstamp
  --daily-api-limit N     Salesforce DailyApiRequests allowance (default 100000)
  --duplicate-rule        block Contact/Lead saves whose Email matches an existing record
  --jwt-cert FILE         PEM certificate or RSA public key for the JWT bearer flow
  --callback-url URL      the only redirect_uri the connected app accepts (default: any)
  --no-rate-limits        switch off People's per-endpoint rate limits
  --webhook-url URL       People webhook target for changes made through the admin API
  --outbound-message OBJECT[:FIELD,...]=URL
                          Salesforce Outbound Message on create and update of OBJECT, with
                          Id and the listed fields, to a loopback http:// URL (repeatable)
  --outbound-retry-ms N   first Outbound Message retry interval, doubled up to 2 h (default 10000)
  --latency-ms N          fault knob: added latency per call
  --error-share X         fault knob: share (0..1) of calls answered 503
  --drop-share X          fault knob: share (0..1) of calls whose connection is dropped
  --threads N             HTTP worker threads (default 16)
  -h, --help              this text
)";

struct Arguments {
  ferry::sandbox::ServerOptions server;
  ferry::sandbox::salesforce::SalesforceOptions salesforce;
  ferry::sandbox::FaultKnobs faults;
  int64_t seedRecords = 0;
  bool rateLimits = true;
  std::string webhookUrl;
};

template <typename T>
bool parseNumber(const std::string& text, T& out) {
  if constexpr (std::is_floating_point_v<T>) {
    try {
      size_t used = 0;
      out = static_cast<T>(std::stod(text, &used));
      return used == text.size();
    } catch (const std::exception&) {
      return false;
    }
  } else {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
  }
}

// The banner may end up in logs: query values (a listener's token) are not printed.
std::string redactedEndpoint(const std::string& url) {
  const auto query = url.find('?');
  return query == std::string::npos ? url : url.substr(0, query) + "?…";
}

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "Contact:Email,MailingCity=http://127.0.0.1:8080/in" -> an Outbound Message on create and
// update. Returns an error message, or empty on success.
std::string parseOutboundMessage(const std::string& text,
                                 ferry::sandbox::salesforce::OutboundMessageConfig& out) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size())
    return "--outbound-message needs OBJECT[:FIELD,...]=URL";
  std::string head = text.substr(0, equals);
  out.endpointUrl = text.substr(equals + 1);
  const auto colon = head.find(':');
  out.object = head.substr(0, colon);
  if (colon != std::string::npos) {
    std::stringstream fields(head.substr(colon + 1));
    for (std::string field; std::getline(fields, field, ',');) {
      if (field.empty()) return "--outbound-message has an empty field name in " + head;
      out.fields.push_back(field);
    }
  }
  return {};
}

// Returns an error message, or empty on success.
std::string parseArguments(int argc, char** argv, Arguments& args) {
  args.server.port = 8484;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&](std::string& out) -> bool {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string text;
    if (flag == "-h" || flag == "--help") {
      std::cout << kUsage;
      std::exit(0);
    } else if (flag == "--duplicate-rule") {
      args.salesforce.duplicateRule = true;
    } else if (flag == "--no-rate-limits") {
      args.rateLimits = false;
    } else if (!value(text)) {
      return flag.rfind("--", 0) == 0 ? "option " + flag + " is unknown or needs a value"
                                      : "unexpected argument " + flag;
    } else if (flag == "--bind") {
      args.server.bindAddress = text;
    } else if (flag == "--port") {
      if (!parseNumber(text, args.server.port)) return "--port needs a number 0..65535";
    } else if (flag == "--seed") {
      if (!parseNumber(text, args.salesforce.seed)) return "--seed needs a non-negative number";
    } else if (flag == "--snapshot") {
      args.server.snapshotPath = text;
    } else if (flag == "--seed-records") {
      if (!parseNumber(text, args.seedRecords) || args.seedRecords < 0)
        return "--seed-records needs a non-negative number";
    } else if (flag == "--token-ttl") {
      if (!parseNumber(text, args.salesforce.tokenTtlSeconds) ||
          args.salesforce.tokenTtlSeconds <= 0)
        return "--token-ttl needs a positive number of seconds";
    } else if (flag == "--late-commit-ms") {
      if (!parseNumber(text, args.salesforce.lateCommitMs) || args.salesforce.lateCommitMs < 0)
        return "--late-commit-ms needs a non-negative number";
    } else if (flag == "--daily-api-limit") {
      if (!parseNumber(text, args.salesforce.dailyApiLimit) || args.salesforce.dailyApiLimit < 0)
        return "--daily-api-limit needs a non-negative number";
    } else if (flag == "--jwt-cert") {
      auto pem = readFile(text);
      if (!pem) return "cannot read --jwt-cert file " + text;
      args.salesforce.jwtCertificatePem = *pem;
    } else if (flag == "--callback-url") {
      args.salesforce.callbackUrl = text;
    } else if (flag == "--webhook-url") {
      args.webhookUrl = text;
    } else if (flag == "--outbound-message") {
      ferry::sandbox::salesforce::OutboundMessageConfig message;
      if (std::string problem = parseOutboundMessage(text, message); !problem.empty())
        return problem;
      args.salesforce.outboundMessages.push_back(std::move(message));
    } else if (flag == "--outbound-retry-ms") {
      int64_t& first = args.salesforce.outboundDelivery.retryInitialMs;
      if (!parseNumber(text, first) || first < 1 ||
          first > args.salesforce.outboundDelivery.retryMaxMs)
        return "--outbound-retry-ms needs a number of milliseconds, 1..7200000";
    } else if (flag == "--latency-ms") {
      if (!parseNumber(text, args.faults.latencyMs)) return "--latency-ms needs a number";
    } else if (flag == "--error-share") {
      if (!parseNumber(text, args.faults.errorShare)) return "--error-share needs a number 0..1";
    } else if (flag == "--drop-share") {
      if (!parseNumber(text, args.faults.dropShare)) return "--drop-share needs a number 0..1";
    } else if (flag == "--threads") {
      if (!parseNumber(text, args.server.maxThreads) || args.server.maxThreads < 1)
        return "--threads needs a positive number";
    } else {
      return "unknown option " + flag;
    }
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  if (std::string problem = parseArguments(argc, argv, args); !problem.empty()) {
    std::cerr << "ferry-sandbox: " << problem << "\n\n" << kUsage;
    return 2;
  }
  ferry::sandbox::SandboxServer server(args.server);
  try {
    server.addService(ferry::sandbox::salesforce::makeSalesforceService(args.salesforce));
  } catch (const std::invalid_argument& error) {
    std::cerr << "ferry-sandbox: " << error.what() << "\n";
    return 2;
  }
#ifdef FERRY_SANDBOX_HAS_PEOPLE
  ferry::sandbox::people::PeopleOptions people;
  people.rateLimits = args.rateLimits;
  people.webhookUrl = args.webhookUrl;
  server.addService(ferry::sandbox::people::makePeopleService(people));
#endif
  if (std::string problem = server.faults().set(args.faults); !problem.empty()) {
    std::cerr << "ferry-sandbox: " << problem << "\n";
    return 2;
  }
  try {
    if (!args.server.snapshotPath.empty() && std::ifstream(args.server.snapshotPath).good())
      server.loadSnapshot(args.server.snapshotPath);
  } catch (const std::exception& error) {
    std::cerr << "ferry-sandbox: cannot load snapshot: " << error.what() << "\n";
    return 1;
  }
  try {
    server.start();
  } catch (const Poco::Exception& error) {
    std::cerr << "ferry-sandbox: cannot listen on " << args.server.bindAddress << ":"
              << args.server.port << ": " << error.displayText() << "\n";
    return 1;
  }
  std::string base = server.baseUrl();
  if (args.seedRecords > 0) {
    ferry::sandbox::Request seed;
    seed.method = "POST";
    seed.path = "/__sandbox/salesforce/seed";
    seed.body = "{\"Account\":" + std::to_string(std::max<int64_t>(1, args.seedRecords / 10)) +
                ",\"Contact\":" + std::to_string(args.seedRecords) +
                ",\"Lead\":" + std::to_string(args.seedRecords) + "}";
    server.service("salesforce")->admin(seed, "/seed");
  }
  ferry::sandbox::salesforce::SalesforceOptions demo = args.salesforce;
  std::printf("ferry-sandbox listening on %s\n", base.c_str());
  std::printf("  Salesforce  instance_url  %s\n", base.c_str());
  std::printf("              token URL     %s/services/oauth2/token\n", base.c_str());
  std::printf("              authorize     %s/services/oauth2/authorize\n", base.c_str());
  std::printf("              client_id     %s\n", demo.clientId.c_str());
  std::printf("              client_secret %s\n", demo.clientSecret.c_str());
  std::printf("              username      %s\n", demo.username.c_str());
  std::printf("              password      %s\n", demo.password.c_str());
  for (const auto& message : demo.outboundMessages)
    std::printf("              outbound      %s on create/update -> %s\n", message.object.c_str(),
                redactedEndpoint(message.endpointUrl).c_str());
#ifdef FERRY_SANDBOX_HAS_PEOPLE
  std::printf("  People      base URL      %s/people/2/persons\n", base.c_str());
  for (const auto& key : people.apiKeys)
    std::printf("              API key       %s (Authorization: App <key>)\n", key.key.c_str());
#else
  std::printf("  People      (not built into this binary)\n");
#endif
  std::printf("  Admin       %s/__sandbox/\n", base.c_str());
  std::fflush(stdout);

  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  while (!stopRequested) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  if (!args.server.snapshotPath.empty()) {
    try {
      server.saveSnapshot(args.server.snapshotPath);
    } catch (const std::exception& error) {
      std::cerr << "ferry-sandbox: " << error.what() << "\n";
      return 1;
    }
  }
  return 0;
}
