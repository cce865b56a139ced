// End to end through real HTTP: the `ferry serve` binary, the jsonl and Salesforce plugins, and
// the Salesforce sandbox in this process. Records travel from a JSON-lines file to sandbox
// Contacts; the admin API deploys, activates, pauses, survives a restart, shows and settles
// conflicts and dead letters, runs the OAuth web-server flow, and never lets a secret out.
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ferry/sandbox/salesforce/service.hpp"
#include "ferry/sandbox/server.hpp"
#include "ferry/sdk/value.hpp"
#include "ferry/testing/files.hpp"
#include "ferry/testing/http_client.hpp"
#include "ferry/testing/json_access.hpp"
#include "ferry/testing/sandbox_connections.hpp"
#include "ferry/testing/serve_config.hpp"
#include "ferry/testing/serve_process.hpp"
#include "ferry/testing/wait_for.hpp"

namespace ferry::testing {
namespace {

using sdk::Value;

constexpr const char* kAdminToken = "test-admin-token-0123456789abcdef";
constexpr const char* kClientSecret = "sandbox-client-secret-7d1f9a";
constexpr const char* kInboundSecret = "inbound-shared-secret-51c2e8";
constexpr const char* kMasterKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

const char* kFlow = R"(flow: people-to-contacts
description: People from a JSON-lines file become Salesforce Contacts
source: { connection: files, entity: Person }
sink: { connection: salesforce, entity: Contact }
direction: one-way
schedule: { every: 1s }
match:
  - { source: email, sink: Email }
map:
  firstName: FirstName
  lastName: LastName
  email: { to: Email, transform: [trim, lower] }
deletes: ignore
)";

// Two mistakes: an unknown key on line 6 and an unknown sink field on line 8.
const char* kBrokenFlow = R"(flow: broken
source: { connection: files, entity: Person }
sink: { connection: salesforce, entity: Contact }
direction: one-way
schedule: { every: 1s }
colour: blue
map:
  firstName: FirstNme__nope
)";

class ServeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox::salesforce::SalesforceOptions options;
    options.clientSecret = kClientSecret;
    sandbox_ = std::make_unique<sandbox::SandboxServer>();
    sandbox_->addService(sandbox::salesforce::makeSalesforceService(options));
    sandbox_->start();
    clientId_ = options.clientId;

    dir_.writePrivate("tokens", std::string("# admin tokens\n") + kAdminToken + "\n");
    dir_.write("data/Person.jsonl", "");
    dir_.write("flows/connections/files.yaml", R"(connection: files
plugin: jsonl
settings:
  directory: ${FERRY_TEST_DATA}
  entities:
    Person:
      id: id
      fields:
        id: string
        firstName: string
        lastName: string
        email: email
)");
    dir_.write("flows/connections/salesforce.yaml", salesforceSandboxConnection("FERRY_TEST_SF"));
    // A flow file in the flow directory is deployed at start-up (inactive until activated).
    dir_.write("flows/dir-flow.yaml", std::string(kFlow).replace(6, 18, "dir-flow"));
    ServeConfig config = ServeConfig::inFolder(dir_, FERRY_PLUGIN_DIR);
    config.logFormat = "json";
    config.logLevel = "debug";
    config.maxBodyBytes = 65536;
    config.node = "e2e";
    dir_.write("ferry.yaml", config.yaml());
  }

  void TearDown() override {
    server_.reset();
    sandbox_->stop();
  }

  void startServer() {
    server_ = std::make_unique<ServeProcess>(
        FERRY_BINARY, dir_.file("ferry.yaml"),
        std::vector<std::string>{"FERRY_MASTER_KEY=" + std::string(kMasterKey),
                                 "FERRY_TEST_DATA=" + dir_.file("data"),
                                 "FERRY_TEST_SF=" + sandbox_->baseUrl()});
    ASSERT_TRUE(server_->ready()) << readFile(dir_.file("ferry.log"));
  }

  // An admin call; every answer is kept so the test can check none leaks a secret.
  HttpAnswer call(const std::string& method, const std::string& path, const std::string& body = {},
                  const std::string& type = "application/json",
                  const std::string& token = kAdminToken) {
    HttpAnswer a = httpCall(server_->base(), method, path, token, body, type);
    answers_.push_back(a);
    return a;
  }

  Value sandboxAdmin(const std::string& method, const std::string& path,
                     const std::string& body = {}) {
    HttpAnswer a = httpCall(sandbox_->baseUrl(), method, "/__sandbox/salesforce/" + path, "", body);
    EXPECT_LT(a.status, 300) << path << ": " << a.body;
    return json(a);
  }

  std::string contacts() {
    return httpCall(sandbox_->baseUrl(), "GET", "/__sandbox/salesforce/dump?object=Contact").body;
  }

  std::uint64_t salesforceCalls() {
    std::uint64_t total = 0;
    for (const auto& [key, count] : sandbox_->counters().snapshot()) {
      if (key.rfind("salesforce ", 0) == 0 && key.find("__sandbox") == std::string::npos) {
        total += count.calls;
      }
    }
    return total;
  }

  void person(const std::string& id, const std::string& first, const std::string& last,
              const std::string& email) {
    sdk::Object o{{"id", id}, {"firstName", first}, {"email", email}};
    if (!last.empty()) o.set("lastName", last);
    dir_.write("data/Person.jsonl", Value(o).toJson() + "\n", true);
  }

  void storeCredentials() {
    const std::string body = Value(sdk::Object{{"client_id", clientId_},
                                               {"client_secret", kClientSecret},
                                               {"inbound_secret", kInboundSecret}})
                                 .toJson();
    const HttpAnswer put = call("PUT", "/api/v1/credentials/salesforce", body);
    ASSERT_EQ(put.status, 201) << put.body;
  }

  void expectNoSecrets() {
    for (const auto& a : answers_) {
      for (const char* secret : {kClientSecret, kInboundSecret, kAdminToken, kMasterKey}) {
        EXPECT_EQ(a.body.find(secret), std::string::npos) << "secret in a response: " << a.body;
        for (const auto& [name, value] : a.headers) {
          EXPECT_EQ(value.find(secret), std::string::npos) << "secret in header " << name;
        }
      }
    }
    const std::string log = readFile(dir_.file("ferry.log"));
    EXPECT_FALSE(log.empty());
    for (const char* secret : {kClientSecret, kInboundSecret, kAdminToken, kMasterKey}) {
      EXPECT_EQ(log.find(secret), std::string::npos) << "secret in the log: " << secret;
    }
    // Encrypted at rest: the state store file never holds the plaintext.
    const std::string db = readFile(dir_.file("state.db"));
    EXPECT_EQ(db.find(kClientSecret), std::string::npos);
    EXPECT_EQ(db.find(kInboundSecret), std::string::npos);
  }

  TempDir dir_;
  std::unique_ptr<sandbox::SandboxServer> sandbox_;
  std::unique_ptr<ServeProcess> server_;
  std::vector<HttpAnswer> answers_;
  std::string clientId_;
};

TEST_F(ServeE2eTest, RefusesToStartWithoutAMasterKeyAndSaysHow) {
  const std::string command = "env -u FERRY_MASTER_KEY " + std::string(FERRY_BINARY) +
                              " serve --config " + dir_.file("ferry.yaml") + " > " +
                              dir_.file("out.txt") + " 2>&1";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const std::string output = readFile(dir_.file("out.txt"));
  EXPECT_NE(output.find("refusing to start without a master key"), std::string::npos) << output;
  EXPECT_NE(output.find("keygen --out"), std::string::npos) << output;

  // With a key file made by `ferry keygen` it starts.
  const std::string keygen =
      std::string(FERRY_BINARY) + " keygen --out " + dir_.file("master.key") + " > /dev/null";
  ASSERT_EQ(std::system(keygen.c_str()), 0);
  dir_.write("ferry.yaml", "master_key: { env: \"\", file: " + dir_.file("master.key") + " }\n",
             true);
  startServer();
  const HttpAnswer deployed = call("GET", "/api/v1/flows/dir-flow");
  EXPECT_EQ(deployed.status, 200) << deployed.body;
  EXPECT_NE(deployed.body.find("dir-flow.yaml"), std::string::npos) << deployed.body;  // origin
  EXPECT_EQ(server_->terminate(), 0);
}

TEST_F(ServeE2eTest, AuthenticationBodyLimitsAndMalformedInput) {
  startServer();
  EXPECT_EQ(httpCall(server_->base(), "GET", "/healthz").status, 200);
  EXPECT_EQ(httpCall(server_->base(), "GET", "/readyz").status, 200);
  const HttpAnswer anonymous = httpCall(server_->base(), "GET", "/api/v1/flows");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.header("WWW-Authenticate"), "Bearer realm=\"ferry\"");
  EXPECT_EQ(httpCall(server_->base(), "GET", "/api/v1/flows", "wrong-token-0123456789").status,
            401);
  EXPECT_EQ(httpCall(server_->base(), "GET", "/metrics").status, 401);
  EXPECT_EQ(httpCall(server_->base(), "GET", "/api/v1/nothing-here").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/nothing-here").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/flows").status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/flows").status, 405);

  const HttpAnswer big =
      call("POST", "/api/v1/flows", std::string(70'000, 'x'), "application/yaml");
  EXPECT_EQ(big.status, 413) << big.body;
  const HttpAnswer malformed = call("PUT", "/api/v1/credentials/x", "{\"client_id\": ");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("malformed JSON"), std::string::npos) << malformed.body;
  EXPECT_EQ(call("POST", "/api/v1/flows", "flow: [unclosed", "application/yaml").status, 422);
  EXPECT_EQ(call("POST", "/api/v1/flows", "flow: x", "text/plain").status, 415);
  // JSON bodies are validated the same way, positions included.
  const HttpAnswer jsonFlow = call("POST", "/api/v1/flows",
                                   "{\"flow\": \"j\",\n \"colour\": \"blue\"}", "application/json");
  EXPECT_EQ(jsonFlow.status, 422);
  EXPECT_NE(jsonFlow.body.find("unknown key \\\"colour\\\""), std::string::npos) << jsonFlow.body;
  EXPECT_NE(jsonFlow.body.find("\"line\":2"), std::string::npos) << jsonFlow.body;
  EXPECT_EQ(call("GET", "/api/v1/dead-letters/abc").status, 400);
  EXPECT_EQ(server_->terminate(), 0);
}

TEST_F(ServeE2eTest, DeployActivatePauseRestartConflictsDeadLettersOAuthMetrics) {
  startServer();
  storeCredentials();
  // Connections from the flow directory were deployed at start-up.
  const HttpAnswer connections = call("GET", "/api/v1/connections");
  ASSERT_EQ(connections.status, 200);
  EXPECT_NE(connections.body.find("\"salesforce\""), std::string::npos);
  const HttpAnswer check = call("POST", "/api/v1/connections/salesforce/test");
  ASSERT_EQ(check.status, 200);
  EXPECT_EQ(at(json(check), {"ok"})->asBool(), true) << check.body;
  const HttpAnswer credentials = call("GET", "/api/v1/credentials/salesforce");
  EXPECT_NE(credentials.body.find("client_secret"), std::string::npos);  // the name, not the value
  // Credential sets: partial update, delete.
  EXPECT_EQ(
      call("PATCH", "/api/v1/credentials/spare", R"({"api_key":"spare-key-value-1234"})").status,
      201);
  const HttpAnswer patched =
      call("PATCH", "/api/v1/credentials/spare", R"({"values":{"other":"other-value-5678"}})");
  EXPECT_EQ(patched.status, 200);
  EXPECT_NE(patched.body.find("api_key"), std::string::npos) << patched.body;  // kept
  EXPECT_NE(patched.body.find("other"), std::string::npos) << patched.body;
  EXPECT_EQ(patched.body.find("spare-key-value-1234"), std::string::npos);
  EXPECT_EQ(call("PUT", "/api/v1/credentials/spare", R"({"k": 5})").status, 400);
  EXPECT_EQ(call("DELETE", "/api/v1/credentials/spare").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/credentials/spare").status, 404);

  // Catalogue and entity schemas.
  const HttpAnswer plugins = call("GET", "/api/v1/plugins");
  EXPECT_NE(plugins.body.find("\"salesforce\""), std::string::npos) << plugins.body;
  EXPECT_NE(plugins.body.find("\"jsonl\""), std::string::npos) << plugins.body;
  EXPECT_NE(call("GET", "/api/v1/plugins/salesforce").body.find("\"Contact\""), std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/plugins/nope").status, 404);
  const HttpAnswer entities = call("GET", "/api/v1/connections/files/entities");
  ASSERT_EQ(entities.status, 200) << entities.body;
  EXPECT_NE(entities.body.find("\"Person\""), std::string::npos) << entities.body;

  // Connections: a duplicate create is refused, a broken one gets its errors with lines.
  const HttpAnswer duplicate =
      call("POST", "/api/v1/connections", "connection: files\nplugin: jsonl\nsettings: {}\n",
           "application/yaml");
  EXPECT_EQ(duplicate.status, 409) << duplicate.body;
  const HttpAnswer invalid = call("POST", "/api/v1/connections",
                                  "connection: other\nplugin: salesforce\nsettings:\n"
                                  "  login_url: not a url\n  client_secret: literal-secret\n",
                                  "application/yaml");
  EXPECT_EQ(invalid.status, 422) << invalid.body;
  EXPECT_NE(invalid.body.find("\"line\":4"), std::string::npos) << invalid.body;
  EXPECT_EQ(invalid.body.find("literal-secret"), std::string::npos) << invalid.body;

  // A broken flow: 422 with every error and its line.
  const HttpAnswer broken = call("POST", "/api/v1/flows", kBrokenFlow, "application/yaml");
  ASSERT_EQ(broken.status, 422) << broken.body;
  const Value brokenAnswer = json(broken);
  const Value* details = at(brokenAnswer, {"error", "details"});
  ASSERT_TRUE(details != nullptr && details->isList()) << broken.body;
  std::set<std::int64_t> errorLines;
  for (const auto& d : details->asList()) {
    if (const Value* line = at(d, {"line"}); line != nullptr && line->isInteger()) {
      errorLines.insert(line->asInteger());
    }
  }
  EXPECT_TRUE(errorLines.count(6) == 1 && errorLines.count(8) == 1) << broken.body;

  // A valid flow, activated: records reach the sandbox.
  person("p1", "Ada", "Lovelace", "ada@example.com");
  person("p2", "Alan", "Turing", "alan@example.com");
  const HttpAnswer deployed = call("POST", "/api/v1/flows", kFlow, "application/yaml");
  ASSERT_EQ(deployed.status, 201) << deployed.body;
  EXPECT_EQ(call("POST", "/api/v1/flows", kFlow, "application/yaml").status, 200);  // unchanged
  EXPECT_EQ(call("POST", "/api/v1/flows/people-to-contacts/activate").status, 200);
  ASSERT_TRUE(eventually([&] {
    const std::string c = contacts();
    return c.find("ada@example.com") != std::string::npos &&
           c.find("alan@example.com") != std::string::npos;
  })) << readFile(dir_.file("ferry.log"));

  // A record Salesforce refuses (no LastName) becomes a dead letter.
  person("p3", "Nameless", "", "nameless@example.com");
  // Two Contacts share an email: an ambiguous match, i.e. a conflict.
  const std::string dupA =
      at(sandboxAdmin("POST", "records/Contact", R"({"LastName":"A","Email":"dup@example.com"})"),
         {"id"})
          ->asString();
  sandboxAdmin("POST", "records/Contact", R"({"LastName":"B","Email":"dup@example.com"})");
  person("p4", "Dup", "Licate", "dup@example.com");

  Value letters;
  ASSERT_TRUE(eventually([&] {
    letters = json(call("GET", "/api/v1/dead-letters?flow=people-to-contacts"));
    const Value* list = at(letters, {"deadLetters"});
    return list != nullptr && list->isList() && !list->asList().empty();
  })) << readFile(dir_.file("ferry.log"));
  const Value& letter = at(letters, {"deadLetters"})->asList().front();
  EXPECT_EQ(at(letter, {"recordId"})->asString(), "p3");
  const std::string letterId = std::to_string(at(letter, {"id"})->asInteger());
  const HttpAnswer shown = call("GET", "/api/v1/dead-letters/" + letterId);
  EXPECT_NE(shown.body.find("nameless@example.com"), std::string::npos) << shown.body;
  const HttpAnswer retried = call("POST", "/api/v1/dead-letters/" + letterId + "/retry");
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(at(json(retried), {"attempted"})->asInteger(), 1);
  EXPECT_EQ(at(json(retried), {"failed"})->asInteger(), 1);  // still no LastName
  const HttpAnswer all =
      call("POST", "/api/v1/dead-letters/retry", R"({"flow":"people-to-contacts"})");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_GE(at(json(all), {"attempted"})->asInteger(), 1);
  const HttpAnswer discarded = call("POST", "/api/v1/dead-letters/" + letterId + "/discard");
  ASSERT_EQ(discarded.status, 200) << discarded.body;
  EXPECT_EQ(at(json(discarded), {"status"})->asString(), "discarded");
  EXPECT_EQ(call("POST", "/api/v1/dead-letters/" + letterId + "/discard").status, 409);

  Value conflicts;
  ASSERT_TRUE(eventually([&] {
    conflicts = json(call("GET", "/api/v1/conflicts?flow=people-to-contacts"));
    const Value* list = at(conflicts, {"conflicts"});
    return list != nullptr && list->isList() && !list->asList().empty();
  })) << readFile(dir_.file("ferry.log"));
  const Value& conflict = at(conflicts, {"conflicts"})->asList().front();
  EXPECT_EQ(at(conflict, {"kind"})->asString(), "ambiguous-match");
  EXPECT_EQ(at(conflict, {"candidates"})->asList().size(), 2U);
  const std::string conflictId = std::to_string(at(conflict, {"id"})->asInteger());
  EXPECT_EQ(
      call("POST", "/api/v1/conflicts/" + conflictId + "/resolve", R"({"sinkId":"nope"})").status,
      400);
  const HttpAnswer resolved = call("POST", "/api/v1/conflicts/" + conflictId + "/resolve",
                                   Value(sdk::Object{{"sinkId", dupA}}).toJson());
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_EQ(at(json(resolved), {"status"})->asString(), "resolved");
  EXPECT_EQ(call("POST", "/api/v1/conflicts/" + conflictId + "/resolve",
                 Value(sdk::Object{{"sinkId", dupA}}).toJson())
                .status,
            409);
  // The chosen Contact receives the person's values on the next run.
  EXPECT_TRUE(eventually([&] { return contacts().find("Licate") != std::string::npos; }));

  // Pause: no more calls to Salesforce, even with new records waiting.
  EXPECT_EQ(call("POST", "/api/v1/flows/people-to-contacts/pause").status, 200);
  ASSERT_TRUE(eventually([&] {
    const Value status = json(call("GET", "/api/v1/flows/people-to-contacts/status"));
    const Value* running = at(status, {"running"});
    return running != nullptr && running->isBool() && !running->asBool();
  }));
  const std::uint64_t callsWhenPaused = salesforceCalls();
  person("p5", "Grace", "Hopper", "grace@example.com");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // > 2 schedule intervals
  EXPECT_EQ(salesforceCalls(), callsWhenPaused);
  EXPECT_EQ(contacts().find("grace@example.com"), std::string::npos);

  // Status, runs, metrics.
  const Value status = json(call("GET", "/api/v1/flows/people-to-contacts/status"));
  EXPECT_EQ(at(status, {"state"})->asString(), "paused");
  EXPECT_GE(at(status, {"links"})->asInteger(), 2);
  EXPECT_NE(at(status, {"apiUsage", "salesforce"}), nullptr) << Value(status).toJson();
  const Value runs = json(call("GET", "/api/v1/flows/people-to-contacts/runs?limit=5"));
  ASSERT_FALSE(at(runs, {"runs"})->asList().empty());
  const HttpAnswer metrics = call("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("Content-Type").rfind("text/plain; version=0.0.4", 0), 0U);
  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [-+0-9.eEInfa]+$)");
  const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");
  std::istringstream lines(metrics.body);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    EXPECT_TRUE(std::regex_match(line, sample) || std::regex_match(line, comment)) << line;
    if (line[0] != '#') ++samples;
  }
  EXPECT_GT(samples, 0);
  for (const char* name :
       {"ferry_flow_records_total{flow=\"people-to-contacts\",outcome=\"created\"}",
        "ferry_flow_runs_total", "ferry_flow_run_duration_seconds_bucket", "ferry_flow_lag_seconds",
        "ferry_http_requests_total"}) {
    EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
  }

  // Push events: the inbound endpoint wants the connection's shared secret.
  const std::string message = readFile(FERRY_TEST_OUTBOUND_MESSAGE);
  EXPECT_EQ(httpCall(server_->base(), "POST", "/api/v1/inbound/salesforce", "", message, "text/xml")
                .status,
            401);
  EXPECT_EQ(httpCall(server_->base(), "POST", "/api/v1/inbound/salesforce?token=wrong", "", message,
                     "text/xml")
                .status,
            401);
  const HttpAnswer pushed = httpCall(
      server_->base(), "POST", std::string("/api/v1/inbound/salesforce?token=") + kInboundSecret,
      "", message, "text/xml");
  EXPECT_EQ(pushed.status, 200) << pushed.body;
  EXPECT_NE(pushed.body.find("Ack"), std::string::npos) << pushed.body;

  // OAuth web-server flow for a second connection created through the API.
  const HttpAnswer created = call("POST", "/api/v1/connections",
                                  "connection: salesforce-web\nplugin: salesforce\n"
                                  "credentials: salesforce\nsettings:\n"
                                  "  login_url: " +
                                      sandbox_->baseUrl() +
                                      "\n"
                                      "  auth_method: web_server\n"
                                      "  client_id: { secret: client_id }\n"
                                      "  client_secret: { secret: client_secret }\n",
                                  "application/yaml");
  ASSERT_EQ(created.status, 201) << created.body;
  const HttpAnswer authorize =
      call("GET", "/api/v1/oauth/salesforce/authorize?connection=salesforce-web");
  ASSERT_EQ(authorize.status, 302) << authorize.body;
  const std::string location = authorize.header("Location");
  ASSERT_EQ(location.rfind(sandbox_->baseUrl() + "/services/oauth2/authorize?", 0), 0U) << location;
  const std::string path = location.substr(sandbox_->baseUrl().size());
  const HttpAnswer consent = httpCall(sandbox_->baseUrl(), "GET", path);
  ASSERT_EQ(consent.status, 302) << consent.body;
  const std::string back = consent.header("Location");
  const auto callbackAt = back.find("/api/v1/oauth/salesforce/callback?");
  ASSERT_NE(callbackAt, std::string::npos) << back;
  const std::string callback = back.substr(callbackAt);
  const auto stateAt = callback.find("state=");
  ASSERT_NE(stateAt, std::string::npos);
  std::string forged = callback;
  forged.replace(stateAt + 6, 64, std::string(64, 'a'));
  const HttpAnswer refused = httpCall(server_->base(), "GET", forged);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(httpCall(server_->base(), "GET", "/api/v1/oauth/salesforce/callback?code=x").status,
            400);
  const HttpAnswer accepted = httpCall(server_->base(), "GET", callback);
  answers_.push_back(accepted);
  EXPECT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(httpCall(server_->base(), "GET", callback).status, 400);  // state is single use
  const HttpAnswer webCheck = call("POST", "/api/v1/connections/salesforce-web/test");
  EXPECT_EQ(at(json(webCheck), {"ok"})->asBool(), true) << webCheck.body;

  // Restart: an active flow resumes without being told.
  EXPECT_EQ(call("POST", "/api/v1/flows/people-to-contacts/activate").status, 200);
  ASSERT_TRUE(
      eventually([&] { return contacts().find("grace@example.com") != std::string::npos; }));
  EXPECT_EQ(server_->terminate(), 0);
  person("p6", "Barbara", "Liskov", "barbara@example.com");
  startServer();
  EXPECT_TRUE(eventually([&] {
    return contacts().find("barbara@example.com") != std::string::npos;
  })) << readFile(dir_.file("ferry.log"));
  const Value flow = json(call("GET", "/api/v1/flows/people-to-contacts"));
  EXPECT_EQ(at(flow, {"active"})->asBool(), true);
  EXPECT_EQ(at(flow, {"version"})->asInteger(), 1);
  EXPECT_EQ(call("DELETE", "/api/v1/flows/people-to-contacts").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/flows/people-to-contacts").status, 404);
  EXPECT_EQ(server_->terminate(), 0);

  // One line per run and per rejected record, with flow and record ids.
  const std::string log = readFile(dir_.file("ferry.log"));
  EXPECT_NE(log.find("\"run\":"), std::string::npos);
  EXPECT_NE(log.find("\"record\":\"p3\""), std::string::npos);
  expectNoSecrets();
}

// An authorisation that takes longer than oauth.state_ttl is refused, even with a real code.
TEST_F(ServeE2eTest, OAuthStateExpires) {
  dir_.write("ferry.yaml", "oauth: { state_ttl: 1 }\n", true);
  startServer();
  storeCredentials();
  const HttpAnswer created =
      call("PUT", "/api/v1/connections/salesforce-web",
           "connection: salesforce-web\nplugin: salesforce\ncredentials: salesforce\n"
           "settings:\n  login_url: " +
               sandbox_->baseUrl() +
               "\n  auth_method: web_server\n  client_id: { secret: client_id }\n"
               "  client_secret: { secret: client_secret }\n",
           "application/yaml");
  ASSERT_EQ(created.status, 201) << created.body;
  const HttpAnswer authorize =
      call("GET", "/api/v1/oauth/salesforce/authorize?connection=salesforce-web");
  ASSERT_EQ(authorize.status, 302) << authorize.body;
  const HttpAnswer consent = httpCall(
      sandbox_->baseUrl(), "GET", authorize.header("Location").substr(sandbox_->baseUrl().size()));
  const std::string back = consent.header("Location");
  const auto at = back.find("/api/v1/oauth/salesforce/callback?");
  ASSERT_NE(at, std::string::npos) << back;
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const HttpAnswer late = httpCall(server_->base(), "GET", back.substr(at));
  EXPECT_EQ(late.status, 400);
  EXPECT_NE(late.body.find("took too long"), std::string::npos) << late.body;
  EXPECT_EQ(server_->terminate(), 0);
}

// A two-way flow with manual conflicts: both sides change the same field; the operator picks
// the Salesforce value, which ferry writes back to the file and records as agreed.
TEST_F(ServeE2eTest, FieldConflictsResolvedByASideOrOwnValues) {
  startServer();
  storeCredentials();
  person("p1", "Ada", "Lovelace", "ada@example.com");
  const std::string flow = R"(flow: people-both-ways
source: { connection: files, entity: Person }
sink: { connection: salesforce, entity: Contact }
direction: two-way
schedule: { every: 1h }
match:
  - { source: email, sink: Email }
map:
  firstName: FirstName
  lastName: LastName
  email: Email
conflicts: manual
)";
  ASSERT_EQ(call("POST", "/api/v1/flows", flow, "application/yaml").status, 201);
  EXPECT_EQ(call("POST", "/api/v1/flows/people-both-ways/run").status, 409);       // paused
  ASSERT_EQ(call("POST", "/api/v1/flows/people-both-ways/activate").status, 200);  // runs now
  std::string contactId;
  ASSERT_TRUE(eventually([&] {
    auto dump = Value::fromJson(contacts());
    const Value* list = dump ? at(*dump, {"Contact"}) : nullptr;
    if (list == nullptr || !list->isList()) return false;
    for (const auto& c : list->asList()) {
      const Value* email = at(c, {"Email"});
      if (email != nullptr && email->isString() && email->asString() == "ada@example.com") {
        contactId = at(c, {"Id"})->asString();
        return true;
      }
    }
    return false;
  })) << readFile(dir_.file("ferry.log"));
  ASSERT_TRUE(eventually([&] {
    const Value status = json(call("GET", "/api/v1/flows/people-both-ways/status"));
    const Value* running = at(status, {"running"});
    return running != nullptr && running->isBool() && !running->asBool();
  }));

  // Both sides change the first name.
  person("p1", "Augusta", "Lovelace", "ada@example.com");
  sandboxAdmin("PATCH", "records/Contact/" + contactId, R"({"FirstName":"Countess"})");
  ASSERT_EQ(call("POST", "/api/v1/flows/people-both-ways/run").status, 202);
  Value conflict;
  ASSERT_TRUE(eventually([&] {
    const Value list = json(call("GET", "/api/v1/conflicts?flow=people-both-ways"));
    const Value* items = at(list, {"conflicts"});
    if (items == nullptr || !items->isList() || items->asList().empty()) return false;
    conflict = items->asList().front();
    return true;
  })) << readFile(dir_.file("ferry.log"));
  EXPECT_EQ(at(conflict, {"kind"})->asString(), "field");
  EXPECT_EQ(at(conflict, {"source", "FirstName"})->asString(), "Augusta");
  EXPECT_EQ(at(conflict, {"sink", "FirstName"})->asString(), "Countess");
  EXPECT_EQ(at(conflict, {"base", "FirstName"})->asString(), "Ada");
  const std::string id = std::to_string(at(conflict, {"id"})->asInteger());
  EXPECT_EQ(call("POST", "/api/v1/conflicts/" + id + "/resolve", R"({"choose":"neither"})").status,
            400);
  const HttpAnswer resolved =
      call("POST", "/api/v1/conflicts/" + id + "/resolve", R"({"choose":"sink"})");
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_EQ(at(json(resolved), {"resolution"})->asString(), "sink");
  // The file's latest line for p1 now carries the Salesforce value.
  const std::string file = readFile(dir_.file("data/Person.jsonl"));
  const auto last = file.rfind("\"p1\"");
  ASSERT_NE(last, std::string::npos);
  EXPECT_NE(file.find("Countess",
                      file.rfind('\n', last) == std::string::npos ? 0 : file.rfind('\n', last)),
            std::string::npos)
      << file;
  EXPECT_NE(contacts().find("Countess"), std::string::npos);

  // Again, and this time the operator supplies a value of their own.
  ASSERT_TRUE(eventually([&] {
    const Value status = json(call("GET", "/api/v1/flows/people-both-ways/status"));
    const Value* running = at(status, {"running"});
    return running != nullptr && running->isBool() && !running->asBool();
  }));
  person("p1", "Augusta Ada", "Lovelace", "ada@example.com");
  sandboxAdmin("PATCH", "records/Contact/" + contactId, R"({"FirstName":"Lady Ada"})");
  ASSERT_EQ(call("POST", "/api/v1/flows/people-both-ways/run").status, 202);
  std::string second;
  ASSERT_TRUE(eventually([&] {
    const Value list = json(call("GET", "/api/v1/conflicts?flow=people-both-ways"));
    const Value* items = at(list, {"conflicts"});
    if (items == nullptr || !items->isList() || items->asList().empty()) return false;
    second = std::to_string(at(items->asList().front(), {"id"})->asInteger());
    return true;
  })) << readFile(dir_.file("ferry.log"));
  EXPECT_EQ(call("POST", "/api/v1/conflicts/" + second + "/resolve", R"({"values":{"Phone":"1"}})")
                .status,
            400);  // not a conflicting field
  const HttpAnswer own = call("POST", "/api/v1/conflicts/" + second + "/resolve",
                              R"({"values":{"FirstName":"Ada Lovelace"}})");
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(at(json(own), {"resolution"})->asString(), "values");
  EXPECT_NE(contacts().find("\"FirstName\":\"Ada Lovelace\""), std::string::npos) << contacts();
  const std::string after = readFile(dir_.file("data/Person.jsonl"));
  EXPECT_NE(after.rfind("Ada Lovelace"), std::string::npos) << after;
  // Both sides agree with the recorded base: the next run finds nothing to fix.
  auto finishedRuns = [&] {
    const Value status = json(call("GET", "/api/v1/flows/people-both-ways/status"));
    const Value* runs = at(status, {"runs"});
    const Value* running = at(status, {"running"});
    return running != nullptr && running->isBool() && !running->asBool() && runs != nullptr
               ? runs->asInteger()
               : std::int64_t{-1};
  };
  std::int64_t before = -1;
  ASSERT_TRUE(eventually([&] { return (before = finishedRuns()) >= 0; }));
  ASSERT_EQ(call("POST", "/api/v1/flows/people-both-ways/run").status, 202);
  ASSERT_TRUE(eventually([&] { return finishedRuns() > before; }));
  const Value open = json(call("GET", "/api/v1/conflicts?flow=people-both-ways"));
  EXPECT_TRUE(at(open, {"conflicts"})->asList().empty()) << Value(open).toJson();
  EXPECT_EQ(server_->terminate(), 0);
  expectNoSecrets();
}

// The curl examples of the operator guide, run as written (in order, in one shell) against a
// server set up as the guide describes.
TEST_F(ServeE2eTest, OperatorGuideCurlExamplesWork) {
  std::istringstream guide(readFile(FERRY_TEST_OPERATOR_GUIDE));
  std::string script = "set -e\n";
  std::string line;
  bool inShell = false;
  int commands = 0;
  while (std::getline(guide, line)) {
    if (line.rfind("```", 0) == 0) {
      inShell = !inShell && line == "```sh";
      continue;
    }
    if (inShell && line.rfind("ferry serve", 0) != 0) {
      script += line + "\n";
      if (line.rfind("curl ", 0) == 0) ++commands;
    }
  }
  ASSERT_GE(commands, 12);
  dir_.write("work/people-to-contacts.yaml", kFlow);
  dir_.write("work/salesforce-web.yaml",
             "connection: salesforce-web\nplugin: salesforce\n"
             "credentials: salesforce\nsettings:\n"
             "  login_url: " +
                 sandbox_->baseUrl() +
                 "\n"
                 "  auth_method: web_server\n"
                 "  client_id: { secret: client_id }\n"
                 "  client_secret: { secret: client_secret }\n");
  dir_.write("work/examples.sh", script);
  startServer();
  person("p1", "Ada", "Lovelace", "ada@example.com");
  const std::string command = "cd " + dir_.file("work") + " && FERRY=" + server_->base() +
                              " TOKEN=" + kAdminToken + " SF_CLIENT_ID=" + clientId_ +
                              " SF_CLIENT_SECRET=" + kClientSecret +
                              " sh examples.sh > out.txt 2>&1";
  const int status = std::system(command.c_str());
  const std::string output = readFile(dir_.file("work/out.txt"));
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("\"version\":1"), std::string::npos) << output;  // the deploy answer
  EXPECT_NE(output.find(sandbox_->baseUrl() + "/services/oauth2/authorize?"), std::string::npos)
      << output;
  EXPECT_NE(output.find("ferry_flow_active"), std::string::npos);
  EXPECT_EQ(output.find(kClientSecret), std::string::npos);
  EXPECT_NE(output.find("\"state\":\"active\""), std::string::npos) << output;  // status
  EXPECT_EQ(server_->terminate(), 0);
  expectNoSecrets();
}

}  // namespace
}  // namespace ferry::testing
