// The Infobip People API emulator (see sandbox/people/README.md). One instance emulates one
// Infobip account: persons, custom attribute definitions, tags, companies, the per-endpoint rate
// limits and the People webhook.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ferry/sandbox/service.hpp"

namespace ferry::sandbox::people {

struct ApiKey {
  std::string key;
  // Empty: every People scope. Otherwise "people:read" and/or "people:manage" (writes need manage).
  std::vector<std::string> scopes;
};

struct PeopleOptions {
  std::vector<ApiKey> apiKeys{{"sandbox-people-key", {}}};
  // client_id -> client_secret for POST /auth/1/oauth2/token (client credentials).
  std::map<std::string, std::string> oauthClients{{"sandbox-client", "sandbox-secret"}};
  std::chrono::seconds tokenTtl{3600};

  bool rateLimits = true;           // per-endpoint limits of the reference; off for raw throughput
  size_t maxBodyBytes = 16u << 20;  // larger request bodies are refused with 413

  std::string webhookUrl;            // empty: no webhook deliveries
  bool webhookOnApiChanges = false;  // the real account also notifies API writes; off by default
  int webhookAttempts = 3;           // delivery attempts per event
  std::chrono::milliseconds webhookRetryDelay{200};  // doubled after each failed attempt

  // Injectable clocks: wall time for createdAt/modifiedAt and token expiry, steady time for the
  // rate-limit buckets. Empty: the system clocks.
  std::function<std::chrono::system_clock::time_point()> clock;
  std::function<std::chrono::steady_clock::time_point()> steadyClock;
};

// Throws std::invalid_argument when options.webhookUrl is set but not an http:// URL.
std::unique_ptr<ferry::sandbox::Service> makePeopleService(const PeopleOptions& options = {});

}  // namespace ferry::sandbox::people
