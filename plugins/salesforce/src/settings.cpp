// Settings: schema from the embedded JSON, typed parsing with every error reported at once.
#include "ferry/plugins/salesforce/settings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <stdexcept>

#include "ferry/plugins/salesforce/catalogue.hpp"
#include "ferry/sdk/plugin_support.hpp"

namespace ferry::plugins::salesforce {

namespace {

std::string trimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

}  // namespace

const char* toString(AuthMethod method) noexcept {
  switch (method) {
    case AuthMethod::kWebServer:
      return "web_server";
    case AuthMethod::kRefreshToken:
      return "refresh_token";
    case AuthMethod::kClientCredentials:
      return "client_credentials";
    case AuthMethod::kJwtBearer:
      return "jwt_bearer";
    case AuthMethod::kPassword:
      return "password";
  }
  return "unknown";
}

std::string Settings::duplicateRuleHeaderValue() const {
  switch (duplicateRuleHeader) {
    case DuplicateRuleHeader::kOff:
      return {};
    case DuplicateRuleHeader::kAllowSave:
      return "allowSave=true";
    case DuplicateRuleHeader::kRunAsCurrentUser:
      return "runAsCurrentUser=true";
    case DuplicateRuleHeader::kAllowSaveRunAsCurrentUser:
      return "allowSave=true, runAsCurrentUser=true";
  }
  return {};
}

const std::vector<sdk::SettingSchema>& settingsSchema() {
  static const std::vector<sdk::SettingSchema> schema = [] {
    auto parsed = sdk::settingsSchemaFromJson(settingsSchemaJson());
    // The JSON ships inside the plugin; a defect there is a build defect the unit tests catch.
    if (!parsed) throw std::logic_error("schema/settings.json: " + parsed.error().message);
    return std::move(parsed).value();
  }();
  return schema;
}

sdk::Result<std::chrono::milliseconds> parseDuration(const sdk::Value& value) {
  using std::chrono::milliseconds;
  if (value.isInteger()) {
    if (value.asInteger() < 0)
      return sdk::Error::make(sdk::ErrorCode::kInvalidArgument, "duration must not be negative");
    return milliseconds(value.asInteger());
  }
  if (!value.isString()) {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                            "duration must be a string like \"30s\" or \"5m\"");
  }
  // One or more <number><unit> parts: "250ms", "30s", "5m", "1h30m", "1d".
  const std::string& s = value.asString();
  const auto invalid = [&]() {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                            "invalid duration \"" + s + "\" (use e.g. 250ms, 30s, 5m, 1h30m)");
  };
  std::int64_t total = 0;
  const char* p = s.data();
  const char* end = s.data() + s.size();
  if (p == end) return invalid();
  while (p < end) {
    std::int64_t number = 0;
    const auto [next, ec] = std::from_chars(p, end, number);
    if (ec != std::errc() || next == p || number < 0) return invalid();
    p = next;
    std::int64_t factor = 0;
    if (end - p >= 2 && p[0] == 'm' && p[1] == 's') {
      factor = 1;
      p += 2;
    } else if (p < end && (*p == 's' || *p == 'm' || *p == 'h' || *p == 'd')) {
      factor = *p == 's' ? 1000 : *p == 'm' ? 60'000 : *p == 'h' ? 3'600'000 : 86'400'000;
      ++p;
    }
    if (factor == 0 || number > (INT64_MAX - total) / factor) return invalid();
    total += number * factor;
  }
  return milliseconds(total);
}

std::string jwtAudienceFor(std::string_view loginUrl) {
  const auto has = [&](std::string_view part) { return loginUrl.find(part) != loginUrl.npos; };
  if (has("test.salesforce.com") || has(".sandbox.my.salesforce.com")) {
    return "https://test.salesforce.com";
  }
  if (has("salesforce.com")) return "https://login.salesforce.com";
  return std::string(loginUrl);
}

sdk::Result<Settings> parseSettings(const sdk::Object& input) {
  std::vector<std::string> errors;
  const auto& schema = settingsSchema();
  for (const auto& [key, value] : input) {
    const bool known = std::any_of(schema.begin(), schema.end(),
                                   [&](const sdk::SettingSchema& s) { return s.name == key; });
    if (!known) errors.push_back("unknown setting '" + key + "'");
  }
  // The effective value of a setting: given, else the schema default.
  const auto get = [&](const std::string& name) -> const sdk::Value& {
    if (const auto* v = input.find(name); v != nullptr && !v->isNull()) return *v;
    for (const auto& s : schema) {
      if (s.name == name) return s.defaultValue;
    }
    throw std::logic_error("setting '" + name + "' missing from schema/settings.json");
  };
  const auto str = [&](const std::string& name) -> std::string {
    const auto& v = get(name);
    if (!v.isString()) {
      errors.push_back("setting '" + name + "' must be a string");
      return {};
    }
    return v.asString();
  };
  const auto integer = [&](const std::string& name, std::int64_t lo,
                           std::int64_t hi) -> std::int64_t {
    const auto& v = get(name);
    if (!v.isInteger() || v.asInteger() < lo || v.asInteger() > hi) {
      errors.push_back("setting '" + name + "' must be an integer from " + std::to_string(lo) +
                       " to " + std::to_string(hi));
      return lo;
    }
    return v.asInteger();
  };
  const auto duration = [&](const std::string& name) -> std::chrono::milliseconds {
    auto d = parseDuration(get(name));
    if (!d) {
      errors.push_back("setting '" + name + "': " + d.error().message);
      return {};
    }
    return *d;
  };
  const auto choice = [&](const std::string& name, const std::vector<std::string>& allowed) {
    const std::string v = str(name);
    const auto it = std::find(allowed.begin(), allowed.end(), v);
    if (it == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      errors.push_back("setting '" + name + "' must be one of: " + list);
      return std::size_t{0};
    }
    return static_cast<std::size_t>(it - allowed.begin());
  };
  const auto secretName = [&](const std::string& name) {
    std::string v = str(name);
    if (v.empty()) errors.push_back("setting '" + name + "' must name a secret");
    return v;
  };

  Settings s;
  s.loginUrl = trimSlash(str("login_url"));
  if (!sdk::isHttpUrl(s.loginUrl)) {
    errors.push_back(
        "setting 'login_url' must be an http(s) URL without query, e.g. "
        "https://login.salesforce.com");
  }
  s.apiVersion = str("api_version");
  if (!s.apiVersion.empty() && (s.apiVersion[0] == 'v' || s.apiVersion[0] == 'V')) {
    s.apiVersion.erase(0, 1);
  }
  {
    const auto dot = s.apiVersion.find('.');
    const bool digits =
        !s.apiVersion.empty() && std::all_of(s.apiVersion.begin(), s.apiVersion.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
        });
    if (!digits || dot == std::string::npos || dot == 0 || dot + 1 == s.apiVersion.size() ||
        s.apiVersion.find('.', dot + 1) != std::string::npos) {
      errors.push_back("setting 'api_version' must look like 60.0");
    }
  }
  s.authMethod = static_cast<AuthMethod>(
      choice("auth_method",
             {"web_server", "refresh_token", "client_credentials", "jwt_bearer", "password"}));
  s.clientIdSecret = secretName("client_id");
  s.clientSecretSecret = secretName("client_secret");
  s.usernameSecret = secretName("username");
  s.passwordSecret = secretName("password");
  s.privateKeySecret = secretName("private_key");
  s.jwtAudience = str("jwt_audience");
  s.pageSize = static_cast<int>(integer("page_size", 200, 2000));
  s.overlap = duration("overlap");
  s.bulkThreshold = integer("bulk_threshold", 0, INT64_MAX);
  s.bulkChunkSize = integer("bulk_chunk_size", 1000, 1'000'000);
  s.bulkPollTimeout = duration("bulk_poll_timeout");
  s.writeBatch = static_cast<int>(integer("write_batch", 1, 200));
  s.upsertExternalIdField = str("upsert_external_id_field");
  if (!s.upsertExternalIdField.empty()) {
    const auto& f = s.upsertExternalIdField;
    const bool ok = std::isalpha(static_cast<unsigned char>(f[0])) &&
                    std::all_of(f.begin(), f.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                    });
    if (!ok) errors.push_back("setting 'upsert_external_id_field' must be a field API name");
  }
  s.lockRetries = static_cast<int>(integer("lock_retries", 0, 10));
  s.apiBudgetPercent = static_cast<int>(integer("api_budget_percent", 1, 100));
  s.duplicateRuleHeader = static_cast<DuplicateRuleHeader>(
      choice("duplicate_rule_header",
             {"off", "allow_save", "run_as_current_user", "allow_save_run_as_current_user"}));
  s.describeTtl = duration("describe_ttl");
  s.extraEntities = splitList(str("extra_entities"));
  s.lookupMaxUrlChars = static_cast<std::size_t>(integer("lookup_max_url_chars", 2000, 300'000));
  s.requestsPerSecond = static_cast<int>(integer("requests_per_second", 1, 1000));
  s.outboundOrganizationId = str("outbound_organization_id");

  if (!errors.empty()) return sdk::settingsError("", errors);
  return s;
}

}  // namespace ferry::plugins::salesforce
