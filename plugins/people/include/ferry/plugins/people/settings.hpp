// Connection settings of the People connector: schema from schema/settings.json (compiled in),
// typed parsing that reports every problem at once, and the per-endpoint rate buckets.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/sdk/http.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/schema.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::plugins::people {

enum class AuthMethod { kApiKey, kOAuthClientCredentials };
// The identifier a created person must carry so that replaying the upsert finds it again.
enum class WriteKey { kExternalId, kEmail, kPhone };

struct Settings {
  std::string baseUrl;  // without a trailing slash
  AuthMethod auth = AuthMethod::kApiKey;
  std::string apiKeySecret = "api_key";
  std::string clientIdSecret = "client_id";
  std::string clientSecretSecret = "client_secret";
  std::string webhookTokenSecret = "webhook_token";
  WriteKey writeKey = WriteKey::kExternalId;
  int pageSize = 1000;
  int writeBatch = 1000;
  std::chrono::milliseconds overlap{std::chrono::minutes(2)};
  std::chrono::milliseconds reconcileInterval{std::chrono::hours(6)};
  bool provisionCustomAttributes = false;
  std::vector<sdk::RateBucket> buckets;  // People's published rates with the overrides applied
};

// One client-side bucket per People endpoint the connector calls, at the rate the account
// enforces for that endpoint (reference §3). Names are what `rate_limits` overrides use.
namespace bucket {
inline constexpr const char* kPersonsGet = "persons_get";  // GET /people/2/persons
inline constexpr const char* kUpsert = "upsert";           // PATCH /people/3/persons/upsert
inline constexpr const char* kMatch = "match";             // POST /people/2/persons/match
inline constexpr const char* kBatchDelete = "persons_batch_delete";
inline constexpr const char* kContactsDelete = "contacts_delete";  // DELETE .../contactInformation
inline constexpr const char* kTagsRemove = "tags_remove";  // DELETE /people/2/tags/{n}/persons
inline constexpr const char* kAttributesGet = "attributes_get";
inline constexpr const char* kAttributesCreate = "attributes_create";
inline constexpr const char* kCompaniesGet = "companies_get";
inline constexpr const char* kCompaniesCreate = "companies_batch_create";
inline constexpr const char* kCompaniesUpdate = "companies_batch_update";
inline constexpr const char* kCompaniesDelete = "companies_batch_delete";
inline constexpr const char* kCompanyLink = "company_link";
inline constexpr const char* kCompanyUnlink = "company_unlink";
inline constexpr const char* kToken = "oauth_token";
}  // namespace bucket

// Published rates (requests per second) by bucket name.
const std::map<std::string, double>& publishedRates();

std::string_view settingsSchemaJson();
std::string_view entitiesJson();
std::vector<sdk::SettingSchema> settingsSchema();
sdk::Result<Settings> parseSettings(const sdk::Object& values);

}  // namespace ferry::plugins::people
