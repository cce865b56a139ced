// Connector lifecycle, describe cache, Outbound Message intake and the OAuth entry points.
#include "ferry/plugins/salesforce/connector.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "ferry/plugins/salesforce/outbound.hpp"
#include "ferry/plugins/salesforce/soql.hpp"

namespace ferry::plugins::salesforce {

namespace {

using sdk::ErrorCode;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const std::vector<std::string>& firstClassEntities() {
  static const std::vector<std::string> names{"Lead", "Contact", "Account"};
  return names;
}

}  // namespace

SalesforceConnector::SalesforceConnector(const sdk::HostContext& context, Settings settings)
    : context_(context), settings_(settings), session_(context, std::move(settings)) {}

sdk::Result<std::unique_ptr<SalesforceConnector>> SalesforceConnector::create(
    const sdk::HostContext& context) {
  auto settings = parseSettings(context.settings);
  if (!settings) return settings.takeError();
  for (const auto& name : settings->extraEntities) {
    if (!isIdentifier(name)) {
      return sdk::Error::make(ErrorCode::kInvalidArgument,
                              "setting 'extra_entities': '" + name + "' is not an sObject name");
    }
  }
  if (context.http == nullptr || context.secrets == nullptr) {
    return sdk::Error::make(ErrorCode::kInternal,
                            "the host context lacks an HTTP client or a secret store");
  }
  return std::unique_ptr<SalesforceConnector>(
      new SalesforceConnector(context, std::move(settings).value()));
}

sdk::Status SalesforceConnector::start() {
  session_.open();
  return {};
}

void SalesforceConnector::stop() noexcept {
  bulkChunk_.reset();
  pending_.reset();
}

sdk::Status SalesforceConnector::check() {
  session_.open();
  ApiCall call;
  call.path = settings_.dataPath() + "/limits";
  call.timeout = std::chrono::seconds(30);
  call.what = "check connection";
  auto response = session_.sendOk(call);
  if (!response) return response.takeError();
  return {};
}

sdk::Result<const ObjectDescription*> SalesforceConnector::describeObject(const std::string& name) {
  if (!isIdentifier(name)) {
    return sdk::Error::make(ErrorCode::kInvalidArgument, "'" + name + "' is not an sObject name");
  }
  const std::string key = lower(name);
  const std::int64_t now = context_.clock != nullptr ? context_.clock->nowMs() : 0;
  const std::int64_t ttl = settings_.describeTtl.count();
  auto it = describes_.find(key);
  if (it != describes_.end() && now - it->second.fetchedAtMs < ttl) return &it->second.object;

  const std::string stateKey = "salesforce/describe/" + key;
  if (it == describes_.end() && context_.state != nullptr) {
    auto stored = context_.state->get(stateKey);
    if (stored && stored->has_value()) {
      const auto json = sdk::Value::fromJson(**stored);
      const auto* at = json && json->isObject() ? json->asObject().find("at") : nullptr;
      const auto* d = json && json->isObject() ? json->asObject().find("describe") : nullptr;
      if (at != nullptr && at->isInteger() && d != nullptr) {
        if (auto object = fromCompactJson(*d)) {
          it = describes_.insert_or_assign(key, CachedDescribe{std::move(*object), at->asInteger()})
                   .first;
          if (now - it->second.fetchedAtMs < ttl) return &it->second.object;
        }
      }
    }
  }

  ApiCall call;
  call.path = settings_.dataPath() + "/sobjects/" + name + "/describe";
  call.timeout = std::chrono::seconds(60);
  call.what = "describe " + name;
  auto response = session_.sendOk(call);
  if (!response) {
    // A stale describe beats no describe when Salesforce is briefly unreachable.
    if (it != describes_.end() && response.error().retriable) {
      if (context_.logger != nullptr) {
        context_.logger->warn("describe " + name + " failed (" + response.error().message +
                              "); using the cached description");
      }
      return &it->second.object;
    }
    auto error = response.takeError();
    if (error.remoteCode == "NOT_FOUND" || error.remoteCode == "INVALID_TYPE") {
      error.code = ErrorCode::kNotFound;
      error.message = "no sObject '" + name + "' in this org (" + error.message + ")";
    }
    return error;
  }
  auto object = parseDescribe(response->body);
  if (!object) return object.takeError();
  if (context_.state != nullptr) {
    const std::string cached =
        "{\"at\":" + std::to_string(now) + ",\"describe\":" + toCompactJson(*object) + "}";
    (void)context_.state->put(stateKey, cached);
  }
  it = describes_.insert_or_assign(key, CachedDescribe{std::move(*object), now}).first;
  return &it->second.object;
}

sdk::Result<std::vector<sdk::EntitySchema>> SalesforceConnector::describe() {
  std::vector<std::string> names = firstClassEntities();
  for (const auto& extra : settings_.extraEntities) {
    const bool seen = std::any_of(names.begin(), names.end(),
                                  [&](const std::string& n) { return lower(n) == lower(extra); });
    if (!seen) names.push_back(extra);
  }
  std::vector<sdk::EntitySchema> out;
  for (const auto& name : names) {
    auto object = describeObject(name);
    if (object) {
      out.push_back(toEntitySchema(**object));
      continue;
    }
    // An object this user may not see (or this org lacks) leaves the others usable; anything
    // else (auth, transport, limits) is the connection's problem and is reported as such.
    const auto code = object.error().code;
    if (code != ErrorCode::kNotFound && code != ErrorCode::kPermissionDenied) {
      return object.takeError();
    }
    if (context_.logger != nullptr) {
      context_.logger->warn("describe skips " + name + ": " + object.error().message);
    }
  }
  if (out.empty()) {
    return sdk::Error::make(ErrorCode::kPermissionDenied,
                            "none of the configured sObjects can be described by this user");
  }
  return out;
}

std::size_t SalesforceConnector::maxBatch(const std::string&) const {
  return static_cast<std::size_t>(settings_.writeBatch);
}

sdk::Result<sdk::PushResult> SalesforceConnector::handlePush(const sdk::InboundRequest& request) {
  sdk::PushResult result;
  result.contentType = "text/xml; charset=utf-8";
  if (request.method != "POST") {
    result.status = 405;
    result.body = outboundFault("Outbound Messages are delivered with POST");
    return result;
  }
  auto message = parseOutboundMessage(request.body);
  if (!message) {
    result.status = 400;
    result.body = outboundFault(message.error().message);
    return result;
  }
  if (!settings_.outboundOrganizationId.empty()) {
    // Org ids come as 15 or 18 characters; the first 15 identify the org.
    const auto prefix = [](const std::string& id) { return id.substr(0, 15); };
    if (prefix(message->organizationId) != prefix(settings_.outboundOrganizationId)) {
      result.status = 403;
      result.body = outboundFault("message from an organization this connection does not serve");
      return result;
    }
  }
  std::set<std::string> seen;
  for (const auto& note : message->notifications) {
    if (seen.insert(note.objectType).second) result.wake.push_back(note.objectType);
  }
  if (context_.metrics != nullptr) {
    context_.metrics->add("salesforce_outbound_notifications", "",
                          static_cast<double>(message->notifications.size()));
  }
  result.status = 200;
  result.body = outboundAck(true);
  return result;
}

sdk::Result<std::string> SalesforceConnector::authorizationUrl(const std::string& redirectUri,
                                                               const std::string& state) {
  return session_.authorizeUrl(redirectUri, state);
}

sdk::Status SalesforceConnector::exchangeAuthorizationCode(const std::string& code,
                                                           const std::string& redirectUri) {
  return session_.exchangeCode(code, redirectUri);
}

}  // namespace ferry::plugins::salesforce
