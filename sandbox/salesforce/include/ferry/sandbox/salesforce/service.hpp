// The emulated Salesforce org: OAuth, REST data API (query, sObjects, collections, limits),
// Bulk API 2.0 and the sandbox admin calls. See sandbox/README.md for the endpoint list.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ferry/sandbox/salesforce/outbound.hpp"
#include "ferry/sandbox/service.hpp"

namespace ferry::sandbox::salesforce {

// Demo credentials printed by ferry-sandbox; every value can be overridden.
struct SalesforceOptions {
  std::string clientId = "ferry-demo-consumer-key";
  std::string clientSecret = "ferry-demo-consumer-secret";
  std::string username = "integration@ferry.example";
  std::string password = "ferry-demo-password";
  std::string securityToken;       // appended to the password in the password flow when set
  std::string callbackUrl;         // exact redirect_uri the connected app allows; empty: any
  std::string jwtCertificatePem;   // X.509 certificate or RSA public key (PEM) for JWT bearer
  std::string instanceUrl;         // empty: derived from the Host header of each request
  int64_t tokenTtlSeconds = 7200;  // access-token lifetime
  int64_t lateCommitMs = 0;  // writes become visible to queries this long after SystemModstamp
  int64_t dailyApiLimit = 100000;  // DailyApiRequests Max
  bool duplicateRule = false;      // block Contact/Lead saves whose Email matches an existing one
  uint64_t seed = 42;              // seeds ids' random parts, tokens and fake data
  // Milliseconds since the epoch; tests inject a manual clock. Empty: system clock.
  std::function<int64_t()> clock;
  // Outbound Messages present from the start (and again after a reset); more via the admin API.
  std::vector<OutboundMessageConfig> outboundMessages;
  OutboundDeliveryKnobs outboundDelivery;
};

// Throws std::invalid_argument when an entry of options.outboundMessages is invalid.
std::unique_ptr<ferry::sandbox::Service> makeSalesforceService(const SalesforceOptions& options);

}  // namespace ferry::sandbox::salesforce
