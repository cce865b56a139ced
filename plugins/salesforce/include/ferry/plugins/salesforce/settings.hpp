// Typed connection settings of the Salesforce connector, parsed once from the host's validated
// settings object (schema/settings.json is the single source of names, types and defaults).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/sdk/result.hpp"
#include "ferry/sdk/schema.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::plugins::salesforce {

enum class AuthMethod { kWebServer, kRefreshToken, kClientCredentials, kJwtBearer, kPassword };
const char* toString(AuthMethod method) noexcept;

enum class DuplicateRuleHeader { kOff, kAllowSave, kRunAsCurrentUser, kAllowSaveRunAsCurrentUser };

struct Settings {
  std::string loginUrl = "https://login.salesforce.com";  // no trailing slash
  std::string apiVersion = "60.0";                        // without the leading 'v'
  AuthMethod authMethod = AuthMethod::kWebServer;
  // Names of secrets in the connection's SecretStore.
  std::string clientIdSecret = "client_id";
  std::string clientSecretSecret = "client_secret";
  std::string usernameSecret = "username";
  std::string passwordSecret = "password";
  std::string privateKeySecret = "private_key";
  std::string jwtAudience;  // empty = derived from loginUrl (see jwtAudienceFor)
  int pageSize = 2000;
  std::chrono::milliseconds overlap{5 * 60 * 1000};
  std::int64_t bulkThreshold = 20000;  // 0 disables Bulk API 2.0 reads
  std::int64_t bulkChunkSize = 50000;
  std::chrono::milliseconds bulkPollTimeout{30'000};
  int writeBatch = 200;
  std::string upsertExternalIdField;  // empty = plain creates
  int lockRetries = 3;
  int apiBudgetPercent = 80;
  DuplicateRuleHeader duplicateRuleHeader = DuplicateRuleHeader::kOff;
  std::chrono::milliseconds describeTtl{60 * 60 * 1000};
  std::vector<std::string> extraEntities;
  std::size_t lookupMaxUrlChars = 16000;
  int requestsPerSecond = 20;
  std::string outboundOrganizationId;

  // "/services/data/v60.0"
  std::string dataPath() const { return "/services/data/v" + apiVersion; }
  // The value of Sforce-Duplicate-Rule-Header, or "" when the option is off.
  std::string duplicateRuleHeaderValue() const;
};

// The settings schema (parsed from the embedded schema/settings.json).
const std::vector<sdk::SettingSchema>& settingsSchema();

// Turns the host's settings object into Settings. Missing keys take the schema default; unknown
// keys, wrong types and out-of-range values are errors naming the key (all of them at once).
sdk::Result<Settings> parseSettings(const sdk::Object& settings);

// Durations are written "250ms", "30s", "5m", "1h30m", "1d" (or an integer of milliseconds, as
// the host passes them after validation).
sdk::Result<std::chrono::milliseconds> parseDuration(const sdk::Value& value);

// The JWT bearer 'aud' claim for a login URL: test.salesforce.com for sandbox hosts,
// login.salesforce.com for other Salesforce hosts, the URL itself for anything else (local
// sandbox emulators).
std::string jwtAudienceFor(std::string_view loginUrl);

}  // namespace ferry::plugins::salesforce
