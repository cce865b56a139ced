// Flows validated against what the live services describe, with the real `ferry` binary and the
// in-process sandboxes. The Salesforce sandbox org has a custom field the plugin's static
// catalogue does not list (Contact.People_Person_Id__c, as an org's Loyalty_Tier__c would be);
// the People account gets a custom attribute defined through the sandbox admin API.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ferry/host/secrets/backend.hpp"
#include "ferry/host/secrets/master_key.hpp"
#include "ferry/host/secrets/vault.hpp"
#include "ferry/host/state/store.hpp"
#include "ferry/sandbox/people/service.hpp"
#include "ferry/sandbox/salesforce/service.hpp"
#include "ferry/sandbox/server.hpp"
#include "ferry/sdk/value.hpp"
#include "ferry/testing/command.hpp"
#include "ferry/testing/files.hpp"
#include "ferry/testing/http_client.hpp"
#include "ferry/testing/serve_process.hpp"

namespace {

using ferry::testing::readFile;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kClientSecret = "cli-live-client-secret-7f3a";
constexpr const char* kWrongSecret = "cli-live-wrong-secret-91c2";

// A command line run with its stderr folded into the captured output.
ferry::testing::CommandOutput run(const std::string& command) {
  return ferry::testing::runCommand(command + " 2>&1");
}

// People Customers -> Salesforce Contacts; `extraMap` adds map entries.
std::string flowText(const std::string& name, const std::string& extraMap) {
  return "flow: " + name + R"(
source: { connection: people, entity: Customer }
sink: { connection: salesforce, entity: Contact }
direction: one-way
schedule: { every: 1m }
match:
  - { source: externalId, sink: Ferry_External_Id__c }
map:
  lastName: LastName
  externalId: Ferry_External_Id__c
)" + extraMap;
}

class CliLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ferry::sandbox::salesforce::SalesforceOptions salesforce;
    salesforce.clientSecret = kClientSecret;
    clientId_ = salesforce.clientId;
    server_.addService(ferry::sandbox::salesforce::makeSalesforceService(salesforce));
    server_.addService(ferry::sandbox::people::makePeopleService());
    server_.start();
    writeConnections(server_.baseUrl());

    // The org's custom field (Salesforce) and an account's custom attribute (People).
    ferry::sandbox::Request define;
    define.method = "POST";
    define.path = "/__sandbox/people/customAttributes";
    define.body = R"({"name":"Loyalty_Tier","dataType":"STRING"})";
    const auto answer = server_.service("people")->admin(define, "customAttributes");
    ASSERT_LT(answer.status, 300) << answer.body;

    // Maps the Salesforce custom field; nothing People-specific.
    write("custom-field.yaml", flowText("custom-field", "  id: People_Person_Id__c\n"));
    // Maps the People custom attribute, once as defined and once misspelt.
    write("custom-attribute.yaml",
          flowText("custom-attribute", "  customAttributes.Loyalty_Tier: Description\n"));
    write("misspelt-attribute.yaml",
          flowText("misspelt-attribute", "  customAttributes.Loyalty_Teir: Description\n"));
  }
  void TearDown() override { server_.stop(); }

  void write(const std::string& name, const std::string& text) { dir_.write(name, text); }

  void writeConnections(const std::string& baseUrl) {
    write("connections/salesforce.yaml",
          "connection: salesforce\nplugin: salesforce\nsettings:\n"
          "  login_url: " +
              baseUrl +
              "\n  auth_method: client_credentials\n"
              "  client_id: ${SF_CLIENT_ID}\n"
              "  client_secret: ${SF_CLIENT_SECRET}\n");
    write("connections/people.yaml", "connection: people\nplugin: people\nsettings:\n  base_url: " +
                                         baseUrl + "\n  api_key: ${PEOPLE_API_KEY}\n");
  }

  // `ferry <args>` with the build's plugins and the sandboxes' credentials in the environment.
  std::string ferry(const std::string& args, const std::string& secret = kClientSecret) const {
    return "cd " + dir_.path().string() + " && env SF_CLIENT_ID=" + clientId_ +
           " SF_CLIENT_SECRET=" + secret + " PEOPLE_API_KEY=sandbox-people-key " + FERRY_BINARY +
           " " + args + " --plugin-dir " + FERRY_PLUGIN_DIR;
  }

  // Saves `ferry describe --connection NAME --json` (stdout only) as NAME.json.
  void saveSnapshot(const std::string& connection) {
    const auto saved = run(ferry("describe --connection " + connection + " --json") + " > " +
                           connection + ".json");
    ASSERT_EQ(saved.exitCode, 0) << saved.text;
  }

  ferry::testing::TempDir dir_{"ferry-cli-live"};
  std::string clientId_;
  ferry::sandbox::SandboxServer server_;
};

TEST_F(CliLiveTest, StaticCatalogueRefusesTheOrgsCustomField) {
  const auto out = run(ferry("validate custom-field.yaml"));
  EXPECT_EQ(out.exitCode, 1) << out.text;
  EXPECT_THAT(out.text, HasSubstr("custom-field.yaml:"));
  EXPECT_THAT(out.text, HasSubstr("People_Person_Id__c")) << out.text;
}

TEST_F(CliLiveTest, LiveDescribeAcceptsTheCustomFieldAndAttribute) {
  const auto out = run(ferry("validate --live custom-field.yaml custom-attribute.yaml"));
  EXPECT_EQ(out.exitCode, 0) << out.text;
  EXPECT_THAT(out.text, HasSubstr("2 files: 0 errors"));
}

TEST_F(CliLiveTest, LiveDescribeRefusesAnAttributeTheAccountDoesNotHave) {
  // The static catalogue accepts any customAttributes member; the live one knows which exist.
  const auto offline = run(ferry("validate misspelt-attribute.yaml"));
  EXPECT_EQ(offline.exitCode, 0) << offline.text;
  const auto live = run(ferry("validate --live misspelt-attribute.yaml"));
  EXPECT_EQ(live.exitCode, 1) << live.text;
  EXPECT_THAT(live.text, HasSubstr("customAttributes.Loyalty_Teir"));
  EXPECT_THAT(live.text, HasSubstr("Loyalty_Tier"));  // the did-you-mean
}

TEST_F(CliLiveTest, EachConnectionIsDescribedOnce) {
  // Calls to the endpoints describe() uses: Salesforce sObject describes, People's listing of
  // custom attribute definitions.
  const auto describeCalls = [&] {
    std::uint64_t calls = 0;
    for (const auto& [key, count] : server_.counters().snapshot()) {
      if (key.find("/describe") != std::string::npos ||
          key.find("customAttributes") != std::string::npos) {
        calls += count.calls;
      }
    }
    return calls;
  };
  const auto one = run(ferry("validate --live custom-field.yaml"));
  EXPECT_EQ(one.exitCode, 0) << one.text;
  const std::uint64_t forOneFlow = describeCalls();
  EXPECT_GE(forOneFlow, 2u);  // both connections were asked
  server_.counters().reset();
  // Three flows over the same two connections: the same calls, not three times as many.
  const auto three =
      run(ferry("validate --live custom-field.yaml custom-attribute.yaml "
                "misspelt-attribute.yaml"));
  EXPECT_EQ(three.exitCode, 1) << three.text;
  EXPECT_EQ(describeCalls(), forOneFlow);
}

TEST_F(CliLiveTest, DescribeSnapshotsRoundTripThroughValidateSchemas) {
  saveSnapshot("salesforce");
  saveSnapshot("people");
  const std::string salesforce = readFile(dir_.file("salesforce.json"));
  EXPECT_THAT(salesforce, HasSubstr("\"plugin\":\"salesforce\""));
  EXPECT_THAT(salesforce, HasSubstr("\"connection\":\"salesforce\""));
  EXPECT_THAT(salesforce, HasSubstr("\"People_Person_Id__c\""));
  EXPECT_THAT(salesforce, HasSubstr("\"login_url\""));  // the settings schema travels along
  EXPECT_THAT(salesforce, Not(HasSubstr(kClientSecret)));
  EXPECT_THAT(readFile(dir_.file("people.json")), HasSubstr("\"customAttributes.Loyalty_Tier\""));

  // Offline, no credentials needed: the snapshots stand in for the static catalogues.
  const std::string offline = std::string(FERRY_BINARY) + " validate --plugin-dir " +
                              FERRY_PLUGIN_DIR + " --schemas " + dir_.file("salesforce.json") +
                              " --schemas " + dir_.file("people.json") + " ";
  const auto good =
      run(offline + dir_.file("custom-field.yaml") + " " + dir_.file("custom-attribute.yaml") +
          " " + dir_.file("connections/salesforce.yaml"));
  EXPECT_EQ(good.exitCode, 0) << good.text;
  const auto bad = run(offline + dir_.file("misspelt-attribute.yaml"));
  EXPECT_EQ(bad.exitCode, 1) << bad.text;
  EXPECT_THAT(bad.text, HasSubstr("customAttributes.Loyalty_Teir"));
}

// A running server answers GET /api/v1/connections/{name}/entities with the document
// `ferry describe --connection NAME --json` prints (plus "name"), so either can be saved.
TEST_F(CliLiveTest, ServerAnswersTheSameSnapshot) {
  saveSnapshot("salesforce");
  constexpr const char* kAdminToken = "cli-live-admin-token-5d21";
  ferry::testing::TempDir serve{"ferry-cli-live-serve"};
  serve.writePrivate("tokens", std::string(kAdminToken) + "\n");
  serve.write("flows/connections/salesforce.yaml",
              readFile(dir_.file("connections/salesforce.yaml")));
  serve.write("ferry.yaml",
              "listen: { address: 127.0.0.1, port: 0 }\nstate: sqlite://" + serve.file("state.db") +
                  "\nplugin_dirs: [" FERRY_PLUGIN_DIR "]\nflow_dir: " + serve.file("flows") +
                  "\nlog: { file: " + serve.file("ferry.log") +
                  " }\ntoken_file: " + serve.file("tokens") + "\n");
  ferry::testing::ServeProcess server(
      FERRY_BINARY, serve.file("ferry.yaml"),
      {"FERRY_MASTER_KEY=" + ferry::host::MasterKey::generate().toBase64(),
       "SF_CLIENT_ID=" + clientId_, "SF_CLIENT_SECRET=" + std::string(kClientSecret)});
  ASSERT_TRUE(server.ready()) << readFile(serve.file("ferry.log"));
  const auto answer = ferry::testing::httpCall(
      server.base(), "GET", "/api/v1/connections/salesforce/entities", kAdminToken);
  EXPECT_EQ(server.terminate(), 0);
  ASSERT_EQ(answer.status, 200) << answer.body;

  const auto fromServer = ferry::sdk::Value::fromJson(answer.body);
  const auto fromCli = ferry::sdk::Value::fromJson(readFile(dir_.file("salesforce.json")));
  ASSERT_TRUE(fromServer && fromServer->isObject()) << answer.body;
  ASSERT_TRUE(fromCli && fromCli->isObject());
  for (const auto& [key, value] : fromCli->asObject()) {
    const ferry::sdk::Value* served = fromServer->asObject().find(key);
    ASSERT_NE(served, nullptr) << key;
    EXPECT_TRUE(*served == value) << key;
  }
  EXPECT_TRUE(*fromServer->asObject().find("name") == ferry::sdk::Value("salesforce"));

  // Saved, the server's answer validates the custom field's flow offline.
  write("served.json", answer.body);
  const auto validated =
      run(std::string(FERRY_BINARY) + " validate --plugin-dir " + FERRY_PLUGIN_DIR + " --schemas " +
          dir_.file("served.json") + " " + dir_.file("custom-field.yaml"));
  EXPECT_EQ(validated.exitCode, 0) << validated.text;
}

// `ferry serve` validates deploys against the live describe as well: a flow mapping the org's
// custom field is refused while Salesforce cannot be described (no credentials stored yet: the
// static catalogue stands in) and accepted once the credentials are stored.
TEST_F(CliLiveTest, ServeDeploysACustomFieldFlowOnceTheOrgCanBeDescribed) {
  constexpr const char* kAdminToken = "cli-live-admin-token-0b7e";
  ferry::testing::TempDir serve{"ferry-cli-live-deploy"};
  serve.writePrivate("tokens", std::string(kAdminToken) + "\n");
  serve.write("flows/connections/salesforce.yaml",
              "connection: salesforce\nplugin: salesforce\ncredentials: salesforce\nsettings:\n"
              "  login_url: " +
                  server_.baseUrl() +
                  "\n  auth_method: client_credentials\n"
                  "  client_id: { secret: client_id }\n"
                  "  client_secret: { secret: client_secret }\n");
  serve.write("flows/connections/people.yaml", readFile(dir_.file("connections/people.yaml")));
  serve.write("ferry.yaml",
              "listen: { address: 127.0.0.1, port: 0 }\nstate: sqlite://" + serve.file("state.db") +
                  "\nplugin_dirs: [" FERRY_PLUGIN_DIR "]\nflow_dir: " + serve.file("flows") +
                  "\nlog: { file: " + serve.file("ferry.log") +
                  " }\ntoken_file: " + serve.file("tokens") + "\n");
  ferry::testing::ServeProcess server(
      FERRY_BINARY, serve.file("ferry.yaml"),
      {"FERRY_MASTER_KEY=" + ferry::host::MasterKey::generate().toBase64(),
       "PEOPLE_API_KEY=sandbox-people-key"});
  ASSERT_TRUE(server.ready()) << readFile(serve.file("ferry.log"));
  const std::string flow = readFile(dir_.file("custom-field.yaml"));
  const auto deploy = [&] {
    return ferry::testing::httpCall(server.base(), "POST", "/api/v1/flows", kAdminToken, flow,
                                    "application/yaml");
  };
  const auto refused = deploy();
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("People_Person_Id__c"));

  const auto stored = ferry::testing::httpCall(
      server.base(), "PUT", "/api/v1/credentials/salesforce", kAdminToken,
      R"({"client_id":")" + clientId_ + R"(","client_secret":")" + kClientSecret + R"("})",
      "application/json");
  ASSERT_LT(stored.status, 300) << stored.body;
  const auto accepted = deploy();
  EXPECT_LT(accepted.status, 300) << accepted.body;
  EXPECT_EQ(server.terminate(), 0);
  EXPECT_THAT(readFile(serve.file("ferry.log")), Not(HasSubstr(kClientSecret)));
}

TEST_F(CliLiveTest, DescribeShowsOneEntityAsText) {
  const auto out = run(ferry("describe --connection salesforce Contact"));
  ASSERT_EQ(out.exitCode, 0) << out.text;
  EXPECT_THAT(out.text, HasSubstr("connection salesforce (salesforce)"));
  EXPECT_THAT(out.text, HasSubstr("People_Person_Id__c"));
  EXPECT_THAT(out.text, Not(HasSubstr("\nAccount")));
  const auto unknown = run(ferry("describe --connection salesforce Contcat"));
  EXPECT_EQ(unknown.exitCode, 1) << unknown.text;
  EXPECT_THAT(unknown.text, HasSubstr("did you mean 'Contact'?"));
  const auto missing = run(ferry("describe --connection salesfroce"));
  EXPECT_EQ(missing.exitCode, 1) << missing.text;
  EXPECT_THAT(missing.text, HasSubstr("no usable connection named 'salesfroce'"));
  EXPECT_THAT(missing.text, HasSubstr("did you mean 'salesforce'?"));
}

TEST_F(CliLiveTest, RefusedCredentialsAreOneLineWithoutTheSecret) {
  const auto out = run(ferry("describe --connection salesforce --json", kWrongSecret));
  EXPECT_EQ(out.exitCode, 1) << out.text;
  EXPECT_THAT(out.text, HasSubstr("ferry describe: connection salesforce"));
  EXPECT_EQ(std::count(out.text.begin(), out.text.end(), '\n'), 1) << out.text;
  EXPECT_THAT(out.text, Not(HasSubstr(kWrongSecret)));
  EXPECT_THAT(out.text, Not(HasSubstr(kClientSecret)));
}

TEST_F(CliLiveTest, UnreachableServiceIsReportedPerConnectionWithNoFallback) {
  // A port that was just free: nothing listens there any more.
  ferry::sandbox::SandboxServer gone;
  gone.start();
  const std::string deadUrl = gone.baseUrl();
  gone.stop();
  writeConnections(deadUrl);

  const auto describe = run(ferry("describe --connection people"));
  EXPECT_EQ(describe.exitCode, 1) << describe.text;
  // The HTTP client logs its retries; the error itself is the one last line.
  EXPECT_THAT(describe.text, ::testing::EndsWith("\n"));
  const std::string last =
      describe.text.substr(describe.text.rfind('\n', describe.text.size() - 2) + 1);
  EXPECT_THAT(last, ::testing::StartsWith("ferry describe: connection people: "));
  EXPECT_THAT(last, HasSubstr("Connection refused"));
  EXPECT_EQ(describe.text.find("ferry describe:"), describe.text.rfind("ferry describe:"));

  const auto validate = run(ferry("validate --live custom-field.yaml"));
  EXPECT_EQ(validate.exitCode, 1) << validate.text;
  // One finding per connection, at the flow's `connection:` lines (source on line 2, sink 3).
  EXPECT_THAT(validate.text, ::testing::ContainsRegex("custom-field.yaml:2:[0-9]+: error: cannot "
                                                      "validate against the live service: "
                                                      "connection people"));
  EXPECT_THAT(validate.text, ::testing::ContainsRegex("custom-field.yaml:3:[0-9]+: error: cannot "
                                                      "validate against the live service: "
                                                      "connection salesforce"));
  EXPECT_THAT(validate.text, HasSubstr("1 file: 2 errors"));
  // No fallback: nothing is checked against the static catalogue, so no field findings.
  EXPECT_THAT(validate.text, Not(HasSubstr("People_Person_Id__c")));

  // Both sides on one connection: one finding, not one per side.
  write("leads-to-customers.yaml", R"(flow: leads-to-customers
source: { connection: people, entity: Lead }
sink: { connection: people, entity: Customer }
direction: one-way
schedule: { every: 1m }
match:
  - { source: externalId, sink: externalId }
map:
  externalId: externalId
)");
  const auto oneConnection = run(ferry("validate --live leads-to-customers.yaml"));
  EXPECT_EQ(oneConnection.exitCode, 1) << oneConnection.text;
  EXPECT_THAT(oneConnection.text, HasSubstr("1 file: 1 error")) << oneConnection.text;
}

TEST_F(CliLiveTest, CredentialSetsComeFromTheStateStoreWithTheMasterKey) {
  // The People API key kept encrypted in the store, as `ferry serve`'s credentials API keeps it.
  const auto key = ferry::host::MasterKey::generate();
  const std::string state = "sqlite://" + dir_.file("state.db");
  {
    auto store = ferry::host::openStateStore(state);
    ASSERT_TRUE(store) << store.error().message;
    ferry::host::StateStoreSecretBackend backend(**store);
    ferry::host::Vault vault(backend, key);
    ASSERT_TRUE(vault.putCredentials("people", {{"api_key", "sandbox-people-key"}}));
  }
  write("connections/people.yaml",
        "connection: people\nplugin: people\ncredentials: people\n"
        "settings:\n  base_url: " +
            server_.baseUrl() + "\n  api_key: { secret: api_key }\n");
  const std::string describe = std::string(FERRY_BINARY) + " describe --connection people --json" +
                               " --connections " + dir_.file("connections") + " --plugin-dir " +
                               FERRY_PLUGIN_DIR + " --state " + state;
  const auto withKey = run("env FERRY_MASTER_KEY=" + key.toBase64() + " " + describe);
  ASSERT_EQ(withKey.exitCode, 0) << withKey.text;
  EXPECT_THAT(withKey.text, HasSubstr("\"customAttributes.Loyalty_Tier\""));
  EXPECT_THAT(withKey.text, Not(HasSubstr("sandbox-people-key")));

  const auto withoutKey = run("env -u FERRY_MASTER_KEY -u FERRY_MASTER_KEY_FILE " + describe);
  EXPECT_EQ(withoutKey.exitCode, 1) << withoutKey.text;
  EXPECT_THAT(withoutKey.text, HasSubstr("credential set 'people' needs the master key"));
}

TEST_F(CliLiveTest, LiveAndSnapshotsExcludeEachOther) {
  write("empty.json", R"({"plugin":"salesforce"})");
  const auto out = run(ferry("validate --live --schemas empty.json custom-field.yaml"));
  EXPECT_EQ(out.exitCode, 2) << out.text;
  EXPECT_THAT(out.text, HasSubstr("--live and --schemas exclude each other"));
}

}  // namespace
