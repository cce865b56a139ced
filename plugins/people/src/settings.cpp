// Settings: schema from the embedded JSON, typed parsing with every error reported at once.
#include "ferry/plugins/people/settings.hpp"

#include <cmath>
#include <stdexcept>

#include "ferry/sdk/plugin_support.hpp"

namespace ferry::plugins::people {

const std::map<std::string, double>& publishedRates() {
  // Reference §3 (x-throttling-info): 5/s for nearly everything, 15/s for match.
  static const std::map<std::string, double> kRates = {
      {bucket::kPersonsGet, 5},      {bucket::kUpsert, 5},           {bucket::kMatch, 15},
      {bucket::kBatchDelete, 5},     {bucket::kContactsDelete, 5},   {bucket::kTagsRemove, 5},
      {bucket::kAttributesGet, 5},   {bucket::kAttributesCreate, 5}, {bucket::kCompaniesGet, 5},
      {bucket::kCompaniesCreate, 5}, {bucket::kCompaniesUpdate, 5},  {bucket::kCompaniesDelete, 5},
      {bucket::kCompanyLink, 5},     {bucket::kCompanyUnlink, 5},    {bucket::kToken, 1}};
  return kRates;
}

std::vector<sdk::SettingSchema> settingsSchema() {
  static const std::vector<sdk::SettingSchema> kSchema = [] {
    auto parsed = sdk::settingsSchemaFromJson(settingsSchemaJson());
    // The JSON ships inside the plugin; a defect there is a build defect the unit tests catch.
    if (!parsed) throw std::logic_error("schema/settings.json: " + parsed.error().message);
    return std::move(parsed).value();
  }();
  return kSchema;
}

sdk::Result<Settings> parseSettings(const sdk::Object& values) {
  Settings s;
  std::vector<std::string> problems;
  const auto text = [&](const char* key, std::string& out) {
    const auto* v = values.find(key);
    if (v == nullptr || v->isNull()) return;
    if (!v->isString()) {
      problems.push_back(std::string(key) + " must be text");
      return;
    }
    out = v->asString();
  };
  const auto integer = [&](const char* key, std::int64_t low, std::int64_t high, auto& out) {
    const auto* v = values.find(key);
    if (v == nullptr || v->isNull()) return;
    if (!v->isInteger() || v->asInteger() < low || v->asInteger() > high) {
      problems.push_back(std::string(key) + " must be an integer from " + std::to_string(low) +
                         " to " + std::to_string(high));
      return;
    }
    out = static_cast<std::remove_reference_t<decltype(out)>>(v->asInteger());
  };

  text("base_url", s.baseUrl);
  while (!s.baseUrl.empty() && s.baseUrl.back() == '/') s.baseUrl.pop_back();
  if (s.baseUrl.empty()) {
    problems.push_back("base_url is required (your personal https://<xxxxx>.api.infobip.com)");
  } else if (!sdk::isHttpUrl(s.baseUrl)) {
    problems.push_back("base_url must be an http(s) URL without query or fragment, not \"" +
                       s.baseUrl + "\"");
  }
  std::string auth = "api_key";
  text("auth_method", auth);
  if (auth == "api_key") {
    s.auth = AuthMethod::kApiKey;
  } else if (auth == "oauth_client_credentials") {
    s.auth = AuthMethod::kOAuthClientCredentials;
  } else {
    problems.push_back("auth_method must be api_key or oauth_client_credentials, not \"" + auth +
                       "\"");
  }
  text("api_key", s.apiKeySecret);
  text("client_id", s.clientIdSecret);
  text("client_secret", s.clientSecretSecret);
  text("webhook_token", s.webhookTokenSecret);
  std::string key = "externalId";
  text("write_key", key);
  if (key == "externalId") {
    s.writeKey = WriteKey::kExternalId;
  } else if (key == "email") {
    s.writeKey = WriteKey::kEmail;
  } else if (key == "phone") {
    s.writeKey = WriteKey::kPhone;
  } else {
    problems.push_back("write_key must be externalId, email or phone, not \"" + key + "\"");
  }
  integer("page_size", 1, 1000, s.pageSize);
  integer("write_batch", 1, 1000, s.writeBatch);
  std::int64_t overlapMs = s.overlap.count();
  integer("overlap", 0, 24LL * 3600 * 1000, overlapMs);
  s.overlap = std::chrono::milliseconds(overlapMs);
  std::int64_t reconcileMs = s.reconcileInterval.count();
  integer("reconcile_interval", 0, 365LL * 24 * 3600 * 1000, reconcileMs);
  s.reconcileInterval = std::chrono::milliseconds(reconcileMs);
  if (const auto* p = values.find("provision_custom_attributes"); p != nullptr && !p->isNull()) {
    if (p->isBool()) {
      s.provisionCustomAttributes = p->asBool();
    } else {
      problems.push_back("provision_custom_attributes must be true or false");
    }
  }

  std::map<std::string, double> rates = publishedRates();
  if (const auto* r = values.find("rate_limits"); r != nullptr && !r->isNull()) {
    if (!r->isObject()) {
      problems.push_back("rate_limits must map bucket names to requests per second");
    } else {
      for (const auto& [name, rate] : r->asObject()) {
        const auto it = rates.find(name);
        if (it == rates.end()) {
          std::string known;
          for (const auto& [n, _] : rates) known += (known.empty() ? "" : ", ") + n;
          problems.push_back("rate_limits: unknown bucket \"" + name + "\" (known: " + known + ")");
        } else if (!rate.isNumber() || !(rate.asNumber() > 0) || !std::isfinite(rate.asNumber())) {
          problems.push_back("rate_limits." + name + " must be a positive number");
        } else {
          it->second = rate.asNumber();
        }
      }
    }
  }
  for (const auto& [name, rate] : rates) {
    // Burst 1: requests leave evenly spaced, so the account's own bucket (burst = one second's
    // worth) never sees them early even when latency bunches them up.
    s.buckets.push_back(sdk::RateBucket{name, rate, 1.0});
  }

  if (!problems.empty()) return sdk::settingsError("people settings: ", problems);
  return s;
}

}  // namespace ferry::plugins::people
