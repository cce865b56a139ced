// Test fixture: the People sandbox in-process on a loopback port, the host's real HTTP client
// (system clock, so the client's rate buckets and the sandbox's limits run on the same time), and
// sdk/testing fakes for the other host services.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ferry/host/http/http_client.hpp"
#include "ferry/plugins/people/connector.hpp"
#include "ferry/sandbox/people/service.hpp"
#include "ferry/sandbox/server.hpp"
#include "ferry/sandbox/service.hpp"
#include "ferry/sdk/testing/fake_host.hpp"

namespace ferry::plugins::people::testing {

inline constexpr const char* kApiKey = "sandbox-people-key";

// Records what is POSTed under /hooks/ (the People webhook target in tests).
class HookReceiver final : public sandbox::Service {
 public:
  std::string name() const override { return "hooks"; }
  std::vector<std::string> prefixes() const override { return {"/hooks/"}; }
  sandbox::Response handle(const sandbox::Request& request) override {
    std::lock_guard lock(mutex_);
    received_.push_back(request);
    sandbox::Response response;
    response.body = "{}";
    return response;
  }
  sandbox::Response admin(const sandbox::Request&, const std::string&) override {
    sandbox::Response response;
    response.status = 404;
    return response;
  }
  void reset() override {}
  std::string snapshot() const override { return "{}"; }
  void restore(const std::string&) override {}
  std::vector<sandbox::Request> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<sandbox::Request> received_;
};

class PeopleSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override { startSandbox({}); }
  void TearDown() override {
    connectors_.clear();
    if (server_) server_->stop();
  }

  void startSandbox(sandbox::people::PeopleOptions options) {
    if (server_) server_->stop();
    server_ = std::make_unique<sandbox::SandboxServer>();
    server_->addService(sandbox::people::makePeopleService(options));
    server_->start();
    host::HttpClientOptions http;
    http.connection = "people-test";
    http.jitterSeed = 7;
    http_ = std::make_unique<host::PocoHttpClient>(http);
    (void)host_.secrets.put("api_key", kApiKey);
    (void)host_.secrets.put("client_id", "sandbox-client");
    (void)host_.secrets.put("client_secret", "sandbox-secret");
    (void)host_.secrets.put("webhook_token", "hook-secret");
  }

  std::string baseUrl() const { return server_->baseUrl(); }

  // A started connector on the sandbox (settings may override anything).
  PeopleConnector& connect(sdk::Object settings = {}) {
    if (!settings.contains("base_url")) settings.set("base_url", baseUrl());
    if (!settings.contains("reconcile_interval")) settings.set("reconcile_interval", 0);
    contexts_.push_back(std::make_unique<sdk::HostContext>(host_.context(settings, "people")));
    contexts_.back()->http = http_.get();
    auto c = PeopleConnector::create(*contexts_.back());
    EXPECT_TRUE(c) << c.error().message;
    if (!c) std::abort();
    EXPECT_TRUE(c.value()->start());
    connectors_.push_back(std::move(c).value());
    return *connectors_.back();
  }

  // Sandbox admin call; returns the parsed JSON answer (fails the test on a non-2xx status).
  sdk::Value admin(const std::string& method, const std::string& path,
                   const std::string& body = {}) {
    sdk::HttpRequest request;
    request.method = method;
    request.url = baseUrl() + "/__sandbox/people/" + path;
    request.body = body;
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    auto response = http_->send(request);
    EXPECT_TRUE(response) << response.error().message;
    if (!response) return {};
    EXPECT_LT(response->status, 300) << method << " " << path << ": " << response->body;
    auto json = sdk::Value::fromJson(response->body);
    return json ? *json : sdk::Value();
  }

  // A person as the API returns it (GET by id through the admin door), null when absent.
  sdk::Value person(const std::string& id) {
    sdk::HttpRequest request;
    request.url = baseUrl() + "/__sandbox/people/persons?type=ID&identifier=" + id;
    auto response = http_->send(request);
    if (!response || response->status != 200) return {};
    auto json = sdk::Value::fromJson(response->body);
    return json ? *json : sdk::Value();
  }

  std::uint64_t throttled() const { return http_->stats().callsWithStatus(429); }

  static sdk::WriteOp create(sdk::Object fields, std::string key = {}) {
    sdk::WriteOp op;
    op.kind = sdk::WriteOp::Kind::kCreate;
    op.fields = std::move(fields);
    op.idempotencyKey = std::move(key);
    return op;
  }
  static sdk::WriteOp remove(std::string id) {
    sdk::WriteOp op;
    op.kind = sdk::WriteOp::Kind::kDelete;
    op.id = std::move(id);
    return op;
  }
  static sdk::WriteOp update(std::string id, sdk::Object fields,
                             std::optional<sdk::Object> previous = {}) {
    sdk::WriteOp op;
    op.kind = sdk::WriteOp::Kind::kUpdate;
    op.id = std::move(id);
    op.fields = std::move(fields);
    op.previous = std::move(previous);
    return op;
  }

  struct Pass {
    std::vector<sdk::Change> changes;
    std::string cursor;
    int reads = 0;
  };
  Pass readAll(PeopleConnector& c, const std::string& entity, std::string cursor,
               std::size_t limit = 2000) {
    Pass pass;
    for (int guard = 0; guard < 1000; ++guard) {
      auto batch = c.read(sdk::ReadRequest{entity, cursor, limit, {}, {}});
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

  sdk::testing::FakeHost host_;
  std::unique_ptr<sandbox::SandboxServer> server_;
  std::unique_ptr<host::PocoHttpClient> http_;
  std::vector<std::unique_ptr<sdk::HostContext>> contexts_;
  std::vector<std::unique_ptr<PeopleConnector>> connectors_;
};

inline const sdk::Value* at(const sdk::Value& v, std::string_view path) {
  return v.isObject() ? sdk::findPath(v.asObject(), path) : nullptr;
}

}  // namespace ferry::plugins::people::testing
