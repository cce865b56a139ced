// Test fixture: the Salesforce sandbox in-process on a loopback port, the host's real HTTP
// client, and sdk/testing fakes for every other host service (manual clock shared with the
// sandbox, so tests move time instead of sleeping).
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ferry/host/http/http_client.hpp"
#include "ferry/plugins/salesforce/connector.hpp"
#include "ferry/sandbox/salesforce/service.hpp"
#include "ferry/sandbox/server.hpp"
#include "ferry/sdk/testing/fake_host.hpp"

namespace ferry::plugins::salesforce::testing {

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override { startSandbox({}); }
  void TearDown() override {
    if (server_) server_->stop();
  }

  // Restarts the sandbox with these options (clock and seed are filled in).
  void startSandbox(sandbox::salesforce::SalesforceOptions options) {
    if (server_) server_->stop();
    options.clock = [this] { return host_.clock.nowMs(); };
    sfOptions_ = options;
    server_ = std::make_unique<sandbox::SandboxServer>();
    server_->addService(sandbox::salesforce::makeSalesforceService(options));
    server_->start();
    host::HttpClientOptions http;
    http.connection = "salesforce-test";
    http.clock = &host_.clock;
    http.jitterSeed = 7;
    http_ = std::make_unique<host::PocoHttpClient>(http);
    (void)host_.secrets.put("client_id", options.clientId);
    (void)host_.secrets.put("client_secret", options.clientSecret);
    (void)host_.secrets.put("username", options.username);
    (void)host_.secrets.put("password", options.password);
  }

  std::string baseUrl() const { return server_->baseUrl(); }

  // A started connector on the sandbox; password flow unless settings say otherwise.
  std::unique_ptr<SalesforceConnector> connect(sdk::Object settings = {}) {
    settings.set("login_url", baseUrl());
    if (!settings.contains("auth_method")) settings.set("auth_method", "password");
    contexts_.push_back(std::make_unique<sdk::HostContext>(host_.context(settings, "sf")));
    contexts_.back()->http = http_.get();
    auto c = SalesforceConnector::create(*contexts_.back());
    EXPECT_TRUE(c) << c.error().message;
    if (!c) return nullptr;
    EXPECT_TRUE(c.value()->start());
    return std::move(c).value();
  }

  // Sandbox admin call; returns the parsed JSON answer (fails the test on a non-2xx status).
  sdk::Value admin(const std::string& method, const std::string& path,
                   const std::string& body = {}) {
    sdk::HttpRequest request;
    request.method = method;
    request.url = baseUrl() + "/__sandbox/salesforce/" + path;
    request.body = body;
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    auto response = http_->send(request);
    EXPECT_TRUE(response) << response.error().message;
    if (!response) return {};
    EXPECT_LT(response->status, 300) << method << " " << path << ": " << response->body;
    auto json = sdk::Value::fromJson(response->body);
    return json ? *json : sdk::Value();
  }

  std::string createRecord(const std::string& object, const sdk::Object& fields) {
    auto answer = admin("POST", "records/" + object, sdk::Value(fields).toJson());
    const auto* id = answer.isObject() ? answer.asObject().find("id") : nullptr;
    EXPECT_TRUE(id != nullptr && id->isString()) << answer.toJson();
    return id != nullptr && id->isString() ? id->asString() : std::string();
  }

  void knobs(const sdk::Object& values) { admin("PUT", "knobs", sdk::Value(values).toJson()); }

  // Calls the sandbox counted for the Salesforce service (all endpoints, token calls included).
  std::uint64_t calls() { return server_->counters().calls("salesforce "); }
  std::uint64_t calls(const std::string& endpointPrefix) {
    return server_->counters().calls("salesforce " + endpointPrefix);
  }

  struct Pass {
    std::vector<sdk::Change> changes;
    std::string cursor;
    int reads = 0;
  };
  // Reads until the source says there is no more, like the engine does.
  Pass readAll(SalesforceConnector& c, const std::string& entity, std::string cursor,
               std::vector<std::string> fields = {"Email", "LastName"}, std::size_t limit = 2000,
               std::vector<sdk::Condition> filter = {}) {
    Pass pass;
    for (int guard = 0; guard < 10'000; ++guard) {
      auto batch = c.read(sdk::ReadRequest{entity, cursor, limit, fields, filter});
      EXPECT_TRUE(batch) << batch.error().message;
      if (!batch) break;
      ++pass.reads;
      for (auto& change : batch->changes) pass.changes.push_back(std::move(change));
      cursor = batch->nextCursor;
      if (!batch->hasMore) break;
    }
    pass.cursor = cursor;
    return pass;
  }

  static std::multiset<std::string> ids(const std::vector<sdk::Change>& changes) {
    std::multiset<std::string> out;
    for (const auto& c : changes) out.insert(c.id);
    return out;
  }

  sdk::testing::FakeHost host_;
  sandbox::salesforce::SalesforceOptions sfOptions_;
  std::unique_ptr<sandbox::SandboxServer> server_;
  std::unique_ptr<host::PocoHttpClient> http_;
  std::vector<std::unique_ptr<sdk::HostContext>> contexts_;
};

}  // namespace ferry::plugins::salesforce::testing
