// Outbound Messages of the emulated org: what an admin configures (a workflow rule or flow with an
// outbound message action) and the delivery settings of the background sender. Configured through
// SalesforceOptions (ferry-sandbox flags) or the admin API (see sandbox/README.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ferry::sandbox::salesforce {

struct OutboundMessageConfig {
  std::string name;                 // empty: "<Object>_Outbound_<n>"
  std::string object;               // Account, Contact or Lead
  std::string endpointUrl;          // http:// on a loopback host (the sandbox never leaves it)
  std::vector<std::string> fields;  // sent besides Id, which every notification carries
  bool onCreate = true;             // "created"
  bool onUpdate = true;             // "created, and every time it's edited"
  std::string organizationId;       // OrganizationId sent; empty: the org's own id
  bool sendSessionId = false;       // SessionId: a live access token of the integration user
  bool active = true;
};

// Salesforce retries with exponentially growing intervals (capped at two hours) and drops a
// message after 24 hours; the intervals are settable so tests need not wait.
struct OutboundDeliveryKnobs {
  int64_t retryInitialMs = 10000;  // wait after the first failed attempt; doubled after each
  int64_t retryMaxMs = 7200000;    // cap of the interval
  int64_t maxAgeMs = 86400000;     // a message this old is dropped (counted as expired)
  int64_t timeoutMs = 60000;       // per HTTP attempt, as Salesforce's 60 s
  // Fault knobs.
  int64_t delayMs = 0;   // added before every attempt
  int64_t failNext = 0;  // the next N attempts fail without reaching the endpoint (retried)
  double failShare = 0;  // or this share of attempts, 0..1
  int64_t dropNext = 0;  // the next N messages are lost for good (never delivered)
  double dropShare = 0;  // or this share of messages, 0..1
  bool paused = false;   // the endpoint is "unavailable": nothing is sent while set
  uint64_t seed = 1;     // makes the failShare/dropShare sequence reproducible
};

}  // namespace ferry::sandbox::salesforce
