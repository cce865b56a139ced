// Connector plumbing: creation, authentication, the call helper, describe and the webhook.
#include "ferry/plugins/people/connector.hpp"

#include <algorithm>
#include <set>

#include "ferry/plugins/people/catalogue.hpp"

namespace ferry::plugins::people {

namespace {

using sdk::ErrorCode;

constexpr std::int64_t kTokenRenewMarginMs = 60'000;

// Constant-time comparison, so a wrong webhook token reveals nothing through timing.
bool sameSecret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

// %XX escapes decoded ('+' is a space); a malformed escape is kept as it is, so it simply fails
// the comparison it is used for.
std::string percentDecoded(std::string_view text) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int hi = text[i] == '%' && i + 2 < text.size() ? hex(text[i + 1]) : -1;
    const int lo = hi >= 0 ? hex(text[i + 2]) : -1;
    if (lo >= 0) {
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(text[i] == '+' ? ' ' : text[i]);
    }
  }
  return out;
}

std::string queryParam(std::string_view path, std::string_view name) {
  const auto q = path.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = path.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos)
      return percentDecoded(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace

PeopleConnector::PeopleConnector(const sdk::HostContext& context, Settings settings)
    : context_(context), settings_(std::move(settings)) {}

sdk::Result<std::unique_ptr<PeopleConnector>> PeopleConnector::create(
    const sdk::HostContext& context) {
  if (context.http == nullptr || context.secrets == nullptr || context.clock == nullptr) {
    return sdk::Error::make(ErrorCode::kInvalidArgument,
                            "people connector needs the host's HTTP client, secrets and clock");
  }
  auto settings = parseSettings(context.settings);
  if (!settings) return settings.takeError();
  for (const auto& b : settings->buckets) context.http->defineBucket(b);
  return std::unique_ptr<PeopleConnector>(
      new PeopleConnector(context, std::move(settings).value()));
}

sdk::Status PeopleConnector::start() {
  // Credentials must be there; the first call proves they work (check() does so on demand).
  if (settings_.auth == AuthMethod::kApiKey) {
    auto key = context_.secrets->get(settings_.apiKeySecret);
    if (!key) {
      return sdk::Error::make(
          ErrorCode::kUnauthenticated,
          "people: the API key secret \"" + settings_.apiKeySecret + "\" is not set");
    }
    return {};
  }
  for (const auto& name : {settings_.clientIdSecret, settings_.clientSecretSecret}) {
    if (!context_.secrets->get(name)) {
      return sdk::Error::make(ErrorCode::kUnauthenticated,
                              "people: the OAuth secret \"" + name + "\" is not set");
    }
  }
  return {};
}

sdk::Status PeopleConnector::check() {
  if (auto s = start(); !s) return s;
  return loadAttributes(true);
}

sdk::Result<std::string> PeopleConnector::authorization(bool renew) {
  if (settings_.auth == AuthMethod::kApiKey) {
    auto key = context_.secrets->get(settings_.apiKeySecret);
    if (!key) {
      return sdk::Error::make(
          ErrorCode::kUnauthenticated,
          "people: the API key secret \"" + settings_.apiKeySecret + "\" is not set");
    }
    return "App " + *key;
  }
  const std::int64_t now = context_.clock->nowMs();
  if (!renew && !accessToken_.empty() && now + kTokenRenewMarginMs < tokenExpiresMs_) {
    return "Bearer " + accessToken_;
  }
  auto id = context_.secrets->get(settings_.clientIdSecret);
  auto secret = context_.secrets->get(settings_.clientSecretSecret);
  if (!id || !secret) {
    return sdk::Error::make(ErrorCode::kUnauthenticated,
                            "people: OAuth client id or secret is not set");
  }
  sdk::HttpRequest request;
  request.method = "POST";
  request.url = settings_.baseUrl + "/auth/1/oauth2/token";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  request.body = "client_id=" + percentEncode(*id) + "&client_secret=" + percentEncode(*secret) +
                 "&grant_type=client_credentials";
  request.sensitiveBody = true;
  request.bucket = bucket::kToken;
  auto response = context_.http->send(request);
  if (!response) return response.takeError();
  if (response->status != 200) {
    auto error = errorFromResponse("people OAuth token", response->status, response->body);
    if (response->status == 400 || response->status == 401) {
      error.code = ErrorCode::kUnauthenticated;
      context_.setHealth(sdk::ConnectionHealth::kNeedsReauthorization, "OAuth client refused");
    }
    return error;
  }
  const auto json = sdk::Value::fromJson(response->body);
  const sdk::Value* token =
      json && json->isObject() ? json->asObject().find("access_token") : nullptr;
  if (token == nullptr || !token->isString() || token->asString().empty()) {
    return sdk::Error::make(ErrorCode::kMalformedResponse,
                            "people OAuth token: answer has no access_token", true);
  }
  const sdk::Value* ttl = json->asObject().find("expires_in");
  accessToken_ = token->asString();
  tokenExpiresMs_ =
      now + (ttl != nullptr && ttl->isInteger() ? ttl->asInteger() * 1000 : 3'600'000);
  return "Bearer " + accessToken_;
}

sdk::Result<sdk::HttpResponse> PeopleConnector::send(const Call& call) {
  for (int attempt = 0;; ++attempt) {
    auto auth = authorization(attempt > 0);
    if (!auth) return auth.takeError();
    sdk::HttpRequest request;
    request.method = call.method;
    request.url = settings_.baseUrl + call.pathAndQuery;
    request.headers = {{"Authorization", *auth}, {"Accept", "application/json"}};
    if (!call.body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    request.body = call.body;
    request.bucket = call.bucket != nullptr ? call.bucket : "";
    request.retry.idempotent = call.idempotent;
    auto response = context_.http->send(request);
    if (!response) return response;
    if (response->status == 401) {
      // An OAuth token may have been revoked or expired early: renew once. A refused API key
      // needs the operator.
      if (settings_.auth == AuthMethod::kOAuthClientCredentials && attempt == 0) continue;
      context_.setHealth(sdk::ConnectionHealth::kNeedsReauthorization,
                         "People refused the credentials (401)");
    } else if (response->status < 300) {
      context_.setHealth(sdk::ConnectionHealth::kOk, "");
    }
    return response;
  }
}

sdk::Result<sdk::Object> PeopleConnector::sendJson(const Call& call) {
  auto response = send(call);
  if (!response) return response.takeError();
  if (response->status < 200 || response->status >= 300) {
    return errorFromResponse(call.what, response->status, response->body);
  }
  if (response->body.empty()) return sdk::Object{};
  std::string error;
  auto json = sdk::Value::fromJson(response->body, &error);
  if (!json || !json->isObject()) {
    return sdk::Error::make(ErrorCode::kMalformedResponse,
                            call.what + ": answer is not a JSON object" +
                                (error.empty() ? std::string() : " (" + error + ")"),
                            true);
  }
  return std::move(json->asObject());
}

sdk::Status PeopleConnector::loadAttributes(bool force) {
  if (attributesLoaded_ && !force) return {};
  AttributeTypes loaded;
  for (int page = 1;; ++page) {
    auto answer = sendJson(Call{
        "GET",
        "/people/2/customAttributes?limit=1000&page=" + std::to_string(page) + "&orderBy=name:asc",
        {},
        bucket::kAttributesGet,
        "list custom attributes"});
    if (!answer) return answer.takeError();
    const sdk::Value* list = answer->find("customAttributes");
    if (list == nullptr || !list->isList()) {
      return sdk::Error::make(ErrorCode::kMalformedResponse,
                              "list custom attributes: answer has no customAttributes list", true);
    }
    for (const auto& item : list->asList()) {
      if (!item.isObject()) continue;
      const auto* name = item.asObject().find("name");
      const auto* type = item.asObject().find("dataType");
      if (name != nullptr && name->isString()) {
        loaded[name->asString()] =
            type != nullptr && type->isString() ? type->asString() : "STRING";
      }
    }
    if (list->asList().size() < 1000) break;
  }
  attributes_ = std::move(loaded);
  attributesLoaded_ = true;
  return {};
}

sdk::Status PeopleConnector::provisionAttributes(
    const std::vector<sdk::WriteOp>& ops, std::vector<std::optional<sdk::WriteResult>>& results) {
  if (auto s = loadAttributes(false); !s) return s;
  // name -> (dataType, ops that need it)
  std::map<std::string, std::pair<std::string, std::vector<std::size_t>>> missing;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (results[i]) continue;
    const sdk::Value* custom = ops[i].fields.find("customAttributes");
    if (custom == nullptr || !custom->isObject()) continue;
    for (const auto& [name, value] : custom->asObject()) {
      if (attributes_.contains(name)) continue;
      auto type = attributeTypeOfValue(value);
      if (!type) continue;  // nothing to infer from; People reports the undefined name
      auto& entry = missing[name];
      if (entry.first.empty()) entry.first = *type;
      entry.second.push_back(i);
    }
  }
  for (auto& [name, need] : missing) {
    const std::string body =
        sdk::Value(sdk::Object{{"name", name}, {"dataType", need.first}}).toJson();
    auto created =
        sendJson(Call{"POST", "/people/2/customAttributes", body, bucket::kAttributesCreate,
                      "define custom attribute \"" + name + "\""});
    if (!created) {
      if (created.error().retriable) return created.takeError();
      for (const auto i : need.second) {
        sdk::WriteResult r;
        r.error = created.error();
        r.field = "customAttributes." + name;
        results[i] = std::move(r);
      }
      continue;
    }
    context_.logger->info("people: defined custom attribute \"" + name + "\" (" + need.first + ")");
    attributes_[name] = need.first;
  }
  return {};
}

sdk::Result<std::vector<sdk::EntitySchema>> PeopleConnector::describe() {
  if (auto s = loadAttributes(true); !s) return s.takeError();
  return liveEntitySchemas(attributes_, settings_.provisionCustomAttributes);
}

std::size_t PeopleConnector::maxBatch(const std::string& entity) const {
  return entity == "Company" ? 1000 : static_cast<std::size_t>(settings_.writeBatch);
}

sdk::Result<sdk::PushResult> PeopleConnector::handlePush(const sdk::InboundRequest& request) {
  sdk::PushResult result;
  result.contentType = "application/json";
  auto expected = context_.secrets->get(settings_.webhookTokenSecret);
  std::string presented = queryParam(request.path, "token");
  if (const auto* auth = sdk::findHeader(request.headers, "Authorization");
      auth != nullptr && auth->starts_with("Bearer ")) {
    presented = auth->substr(7);
  } else if (const auto* header = sdk::findHeader(request.headers, "X-Ferry-Token")) {
    presented = *header;
  }
  if (!expected || expected->empty() || !sameSecret(presented, *expected)) {
    // Refused without saying which part was wrong.
    result.status = 401;
    result.body = R"({"error":"unauthorized"})";
    return result;
  }
  if (request.method != "POST") {
    result.status = 405;
    result.body = R"({"error":"POST the People webhook events here"})";
    return result;
  }
  auto events = parseWebhook(request.body);
  if (!events) {
    result.status = 400;
    result.body = sdk::Value(sdk::Object{{"error", events.error().message}}).toJson();
    return result;
  }
  std::set<std::string> wake;
  std::vector<std::string> deletedLeads;
  std::vector<std::string> deletedCustomers;
  for (const auto& e : *events) {
    if (!e.type.starts_with("PERSON_")) continue;  // behavioural events carry no profile change
    const bool lead = e.personType == "LEAD";
    const bool customer = e.personType == "CUSTOMER";
    if (lead || !customer) wake.insert("Lead");
    if (customer || !lead) wake.insert("Customer");
    if (e.type == "PERSON_DELETED") (lead ? deletedLeads : deletedCustomers).push_back(e.personId);
  }
  // deletedIds belong to the first woken entity: put the one with deletions first. Deletions of
  // the other type in the same delivery are found by the next reconciliation.
  std::vector<std::string> order(wake.begin(), wake.end());
  if (!deletedLeads.empty() && deletedCustomers.empty()) {
    std::stable_partition(order.begin(), order.end(), [](const auto& n) { return n == "Lead"; });
    result.deletedIds = std::move(deletedLeads);
  } else if (!deletedCustomers.empty()) {
    std::stable_partition(order.begin(), order.end(),
                          [](const auto& n) { return n == "Customer"; });
    result.deletedIds = std::move(deletedCustomers);
  }
  result.wake = std::move(order);
  result.body =
      sdk::Value(sdk::Object{{"accepted", static_cast<std::int64_t>(events->size())}}).toJson();
  return result;
}

}  // namespace ferry::plugins::people
