#include "ferry/sdk/testing/fake_host.hpp"

namespace ferry::sdk::testing {

HostContext FakeHost::context(Object settings, std::string connectionName) {
  HostContext ctx;
  ctx.connectionName = std::move(connectionName);
  ctx.settings = std::move(settings);
  ctx.http = &http;
  ctx.logger = &logger;
  ctx.clock = &clock;
  ctx.secrets = &secrets;
  ctx.state = &state;
  ctx.metrics = &metrics;
  ctx.reportHealth = &FakeHost::onHealth;
  ctx.healthCookie = this;
  return ctx;
}

std::vector<FakeHost::HealthReport> FakeHost::healthReports() const {
  std::lock_guard lock(mutex_);
  return health_;
}

void FakeHost::onHealth(void* cookie, ConnectionHealth health, const char* reason) {
  auto* self = static_cast<FakeHost*>(cookie);
  std::lock_guard lock(self->mutex_);
  self->health_.push_back(HealthReport{health, reason != nullptr ? reason : ""});
}

}  // namespace ferry::sdk::testing
