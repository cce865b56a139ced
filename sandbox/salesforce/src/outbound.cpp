// Outbound Messages: definitions (admin API, options, snapshot) and the step after every call that
// turns the org's saves into queued notifications. Delivery itself is delivery.cpp's sender.
#include <algorithm>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/json_writer.hpp"
#include "service_impl.hpp"

namespace ferry::sandbox::salesforce {
namespace {

constexpr const char* kActionPrefix = "04k";        // WorkflowOutboundMessage
constexpr const char* kNotificationPrefix = "04l";  // a queued notification

std::vector<std::string> stringList(const Poco::JSON::Object& body, const std::string& key) {
  auto list = body.getArray(key);
  if (!list) throw std::invalid_argument(key + " must be an array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < list->size(); ++i) {
    auto item = list->get(static_cast<unsigned>(i));
    if (!item.isString()) throw std::invalid_argument(key + " must be an array of strings");
    out.push_back(item.convert<std::string>());
  }
  return out;
}

bool boolean(const Poco::JSON::Object& body, const std::string& key) {
  auto value = body.get(key);
  if (!value.isBoolean()) throw std::invalid_argument(key + " must be true or false");
  return value.extract<bool>();
}

std::string text(const Poco::JSON::Object& body, const std::string& key) {
  auto value = body.get(key);
  if (!value.isString()) throw std::invalid_argument(key + " must be a string");
  return value.convert<std::string>();
}

// Applies the keys present in `body` to `config`; throws std::invalid_argument with the reason.
void applyConfig(const Poco::JSON::Object& body, OutboundMessageConfig& config) {
  for (const auto& key : body.getNames()) {
    if (key == "name") {
      config.name = text(body, key);
    } else if (key == "object") {
      config.object = text(body, key);
    } else if (key == "endpointUrl") {
      config.endpointUrl = text(body, key);
    } else if (key == "fields") {
      config.fields = stringList(body, key);
    } else if (key == "triggers") {
      config.onCreate = config.onUpdate = false;
      for (const auto& trigger : stringList(body, key)) {
        if (trigger == "create")
          config.onCreate = true;
        else if (trigger == "update")
          config.onUpdate = true;
        else
          throw std::invalid_argument("triggers takes \"create\" and/or \"update\", not \"" +
                                      trigger + "\"");
      }
    } else if (key == "organizationId") {
      config.organizationId = text(body, key);
    } else if (key == "sendSessionId") {
      config.sendSessionId = boolean(body, key);
    } else if (key == "active") {
      config.active = boolean(body, key);
    } else {
      throw std::invalid_argument("unknown key '" + key +
                                  "' (name, object, endpointUrl, fields, triggers, "
                                  "organizationId, sendSessionId, active)");
    }
  }
}

std::string apiVersionText() { return std::to_string(kMaxApiVersion) + ".0"; }

}  // namespace

std::string SalesforceService::defineOutbound(const OutboundMessageConfig& config,
                                              const std::string& selfId,
                                              OutboundDefinition& out) const {
  const ObjectDef* object = schema_.object(config.object);
  if (!object) return "object must be Account, Contact or Lead, not '" + config.object + "'";
  if (std::string problem = checkLoopbackEndpoint(config.endpointUrl); !problem.empty())
    return problem;
  if (!config.onCreate && !config.onUpdate)
    return "an outbound message needs a trigger: \"create\" and/or \"update\"";
  std::string organizationId;
  if (!config.organizationId.empty()) {
    auto id = normalizeId(config.organizationId);
    if (!id || id->rfind("00D", 0) != 0)
      return "organizationId must be a 15- or 18-character organization id (00D…)";
    organizationId = *id;
  }
  // Id first, then the chosen fields in name order, as the enterprise WSDL lists them.
  std::set<std::string> names;
  for (const auto& name : config.fields) {
    const FieldDef* field = object->field(name);
    if (!field) return object->name + " has no field '" + name + "'";
    if (field->name != "Id") names.insert(field->name);
  }
  out.config = config;
  out.config.organizationId = organizationId;
  out.object = object;
  out.fields = {object->require("Id")};
  out.config.fields.assign(names.begin(), names.end());
  for (const auto& name : names) out.fields.push_back(object->require(name));
  if (out.config.name.empty())  // numbered like the id it is about to get
    out.config.name = object->name + "_Outbound_" + std::to_string(outboundSerial_ + 1);
  for (const auto& other : outbound_) {
    if (other.id != selfId && iequals(other.config.name, out.config.name))
      return "an outbound message named '" + out.config.name + "' exists";
  }
  return {};
}

void SalesforceService::installDefaultOutbound() {
  outbound_.clear();
  outboundSerial_ = 0;
  for (const auto& config : defaults_.outboundMessages) {
    OutboundDefinition definition;
    if (std::string problem = defineOutbound(config, "", definition); !problem.empty())
      throw std::invalid_argument("outbound message for " + config.object + ": " + problem);
    definition.id = makeId(kActionPrefix, ++outboundSerial_);
    outbound_.push_back(std::move(definition));
  }
}

std::string SalesforceService::outboundJson(const OutboundDefinition& definition) const {
  const OutboundMessageConfig& config = definition.config;
  JsonWriter json;
  json.beginObject().key("id").value(definition.id).key("name").value(config.name);
  json.key("object").value(definition.object->name);
  json.key("endpointUrl").value(redactUrl(config.endpointUrl));
  json.key("fields").beginArray().value("Id");
  for (const auto& field : config.fields) json.value(field);
  json.endArray().key("triggers").beginArray();
  if (config.onCreate) json.value("create");
  if (config.onUpdate) json.value("update");
  json.endArray();
  json.key("organizationId")
      .value(config.organizationId.empty() ? org_->orgId() : config.organizationId);
  json.key("sendSessionId").value(config.sendSessionId).key("active").value(config.active);
  json.key("apiVersion").value(apiVersionText()).endObject();
  return json.take();
}

std::string SalesforceService::renderSObject(const OutboundDefinition& definition,
                                             const Record& record) const {
  const ObjectDef& object = *definition.object;
  std::string out = "<sObject xsi:type=\"sf:" + object.name +
                    "\" xmlns:sf=\"urn:sobject.enterprise.soap.sforce.com\">";
  // A record deleted before the message leaves is sent without data (its Id stays, so a listener
  // can still tell which record it was). Null fields are left out, as in a sparse sObject.
  const size_t count = record.deleted() ? 1 : definition.fields.size();
  for (size_t i = 0; i < count; ++i) {
    const size_t index = definition.fields[i];
    const Value& value = record.values[index];
    if (isNull(value)) continue;
    const std::string& name = object.fields[index].name;
    out += "<sf:" + name + ">";
    appendXmlText(out, Org::valueToCsv(object.fields[index], value));
    out += "</sf:" + name + ">";
  }
  out += "</sObject>";
  return out;
}

OutboundEnvelope SalesforceService::outboundEnvelope(const OutboundDefinition& definition,
                                                     const std::string& base) {
  OutboundEnvelope envelope;
  envelope.actionId = definition.id;
  envelope.organizationId =
      definition.config.organizationId.empty() ? org_->orgId() : definition.config.organizationId;
  if (definition.config.sendSessionId) {
    // A session of the integration user, valid for API calls back into the org.
    envelope.sessionId = org_->orgId().substr(0, 15) + "!" + randomToken(96);
    accessTokens_[envelope.sessionId] = AccessToken{now(), ""};
  }
  // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string&&.
  std::string tail = "/";
  tail += apiVersionText();
  tail += '/';
  tail += org_->orgId().substr(0, 15);
  envelope.enterpriseUrl = base + "/services/Soap/c" + tail;
  envelope.partnerUrl = base + "/services/Soap/u" + tail;
  return envelope;
}

void SalesforceService::dispatchChanges(const Request& request) {
  std::vector<Org::Change> changes = org_->takeChanges();
  if (changes.empty() || outbound_.empty()) return;
  // One entry per record; a record created and then edited in the same call counts as created.
  std::vector<Org::Change> records;
  std::unordered_map<std::string, size_t> seen;
  for (auto& change : changes) {
    auto [at, fresh] = seen.emplace(change.id, records.size());
    if (fresh)
      records.push_back(std::move(change));
    else
      records[at->second].created = records[at->second].created || change.created;
  }
  const std::string base = instanceUrl(request);
  for (const auto& definition : outbound_) {
    std::unordered_map<std::string, std::string> sObjects;  // record id -> rendering
    for (const auto& change : records) {
      const Record* record = org_->find(change.id);
      if (record && record->type == definition.object)
        sObjects.emplace(record->id, renderSObject(definition, *record));
    }
    if (sObjects.empty()) continue;
    sender_->refresh(definition.id, sObjects);
    std::optional<OutboundEnvelope> envelope;
    for (const auto& change : records) {
      auto rendered = sObjects.find(change.id);
      if (rendered == sObjects.end()) continue;
      const Record& record = *org_->find(change.id);
      // Workflow rules fire on create and edit, never on delete.
      if (!definition.config.active || record.deleted()) continue;
      if (change.created ? !definition.config.onCreate : !definition.config.onUpdate) continue;
      if (!envelope) envelope = outboundEnvelope(definition, base);
      // Actions run after the commit: a late-committing write is not announced before queries
      // can see it.
      const int64_t waitMs = std::max<int64_t>(0, record.visibleAtMs - now());
      sender_->enqueue(
          definition.config.endpointUrl, *envelope,
          {makeId(kNotificationPrefix, ++notificationSerial_), record.id, rendered->second},
          std::chrono::milliseconds(waitMs));
    }
  }
}

Response SalesforceService::outboundAdmin(const Request& request,
                                          const std::vector<std::string>& parts) {
  const std::string& method = request.method;
  Response error;
  if (parts.size() == 1) {
    if (method == "GET") {
      JsonWriter json;
      json.beginObject().key("outboundMessages").beginArray();
      for (const auto& definition : outbound_) json.raw(outboundJson(definition));
      json.endArray().endObject();
      return jsonResponse(200, json.take());
    }
    if (method != "POST") return adminError(405, "use GET or POST /outbound-messages");
    auto body = adminBodyObject(request, error);
    if (!body) return error;
    OutboundMessageConfig config;
    try {
      applyConfig(*body, config);
    } catch (const std::invalid_argument& problem) {
      return adminError(400, problem.what());
    }
    OutboundDefinition definition;
    if (std::string problem = defineOutbound(config, "", definition); !problem.empty())
      return adminError(problem.find("exists") != std::string::npos ? 409 : 400, problem);
    definition.id = makeId(kActionPrefix, ++outboundSerial_);
    outbound_.push_back(std::move(definition));
    return jsonResponse(201, outboundJson(outbound_.back()));
  }
  auto found = std::find_if(outbound_.begin(), outbound_.end(),
                            [&](const OutboundDefinition& d) { return d.id == parts[1]; });
  if (parts.size() != 2 || found == outbound_.end())
    return adminError(404, "no outbound message " + parts[1]);
  if (method == "GET") return jsonResponse(200, outboundJson(*found));
  if (method == "DELETE") {
    // Messages already queued for it are still delivered, as in Salesforce.
    outbound_.erase(found);
    return jsonResponse(200, R"({"ok":true})");
  }
  if (method != "PATCH" && method != "PUT")
    return adminError(405, "use GET, PATCH or DELETE /outbound-messages/{id}");
  auto body = adminBodyObject(request, error);
  if (!body) return error;
  OutboundMessageConfig config = found->config;
  try {
    applyConfig(*body, config);
  } catch (const std::invalid_argument& problem) {
    return adminError(400, problem.what());
  }
  if (!iequals(config.object, found->object->name))
    return adminError(400, "the object of an outbound message cannot change");
  OutboundDefinition changed;
  if (std::string problem = defineOutbound(config, found->id, changed); !problem.empty())
    return adminError(problem.find("exists") != std::string::npos ? 409 : 400, problem);
  changed.id = found->id;
  *found = std::move(changed);
  return jsonResponse(200, outboundJson(*found));
}

Response SalesforceService::deliveryAdmin(const Request& request,
                                          const std::vector<std::string>& parts) {
  const std::string& method = request.method;
  if (parts.size() == 1) {
    if (method == "GET") return jsonResponse(200, sender_->toJson());
    if (method == "DELETE") {
      sender_->clear();
      return jsonResponse(200, R"({"ok":true})");
    }
    return adminError(405, "use GET or DELETE /outbound-delivery");
  }
  if (parts.size() == 2 && parts[1] == "retry" && method == "POST") {
    sender_->retryNow();
    return jsonResponse(200, R"({"ok":true})");
  }
  if (parts.size() == 2 && parts[1] == "knobs" &&
      (method == "PUT" || method == "PATCH" || method == "POST")) {
    Response error;
    auto body = adminBodyObject(request, error);
    if (!body) return error;
    OutboundDeliveryKnobs knobs = sender_->knobs();
    try {
      for (const auto& name : body->getNames()) {
        auto value = body->get(name);
        if (name == "retryInitialMs")
          knobs.retryInitialMs = value.convert<int64_t>();
        else if (name == "retryMaxMs")
          knobs.retryMaxMs = value.convert<int64_t>();
        else if (name == "maxAgeMs")
          knobs.maxAgeMs = value.convert<int64_t>();
        else if (name == "timeoutMs")
          knobs.timeoutMs = value.convert<int64_t>();
        else if (name == "delayMs")
          knobs.delayMs = value.convert<int64_t>();
        else if (name == "failNext")
          knobs.failNext = value.convert<int64_t>();
        else if (name == "failShare")
          knobs.failShare = value.convert<double>();
        else if (name == "dropNext")
          knobs.dropNext = value.convert<int64_t>();
        else if (name == "dropShare")
          knobs.dropShare = value.convert<double>();
        else if (name == "paused")
          knobs.paused = value.convert<bool>();
        else if (name == "seed")
          knobs.seed = value.convert<uint64_t>();
        else
          return adminError(400, "unknown delivery knob '" + name + "'");
      }
    } catch (const Poco::Exception&) {
      return adminError(400, "a delivery knob has a value of the wrong type");
    }
    if (std::string problem = sender_->setKnobs(knobs); !problem.empty())
      return adminError(400, problem);
    return jsonResponse(200, sender_->toJson());
  }
  return adminError(404, "no outbound-delivery call " + method + " " + request.path);
}

void SalesforceService::writeOutboundSnapshot(JsonWriter& json) const {
  json.key("outboundSerial").value(outboundSerial_);
  json.key("outboundMessages").beginArray();
  for (const auto& definition : outbound_) {
    const OutboundMessageConfig& config = definition.config;
    json.beginObject().key("id").value(definition.id).key("name").value(config.name);
    json.key("object").value(config.object).key("endpointUrl").value(config.endpointUrl);
    json.key("fields").beginArray();
    for (const auto& field : config.fields) json.value(field);
    json.endArray().key("triggers").beginArray();
    if (config.onCreate) json.value("create");
    if (config.onUpdate) json.value("update");
    json.endArray().key("organizationId").value(config.organizationId);
    json.key("sendSessionId").value(config.sendSessionId).key("active").value(config.active);
    json.endObject();
  }
  json.endArray();
}

void SalesforceService::restoreOutbound(const Poco::JSON::Object& root) {
  auto list = root.getArray("outboundMessages");
  if (!list) return;  // a snapshot from before Outbound Messages keeps the current ones
  std::vector<OutboundDefinition> restored;
  for (size_t i = 0; i < list->size(); ++i) {
    auto item = list->getObject(static_cast<unsigned>(i));
    if (!item) throw std::runtime_error("salesforce snapshot: outboundMessages holds a non-object");
    Poco::JSON::Object fields(*item);
    fields.remove("id");
    OutboundMessageConfig config;
    OutboundDefinition definition;
    try {
      applyConfig(fields, config);
    } catch (const std::invalid_argument& problem) {
      throw std::runtime_error(std::string("salesforce snapshot: ") + problem.what());
    }
    std::swap(outbound_, restored);  // names are checked against the restored ones
    std::string problem = defineOutbound(config, "", definition);
    std::swap(outbound_, restored);
    if (!problem.empty()) throw std::runtime_error("salesforce snapshot: " + problem);
    definition.id = item->optValue<std::string>("id", "");
    restored.push_back(std::move(definition));
  }
  outbound_ = std::move(restored);
  outboundSerial_ = root.optValue<uint64_t>("outboundSerial", outbound_.size());
}

Response SalesforceService::handle(const Request& request) {
  Response response = route(request);
  dispatchChanges(request);
  return response;
}

Response SalesforceService::admin(const Request& request, const std::string& subPath) {
  Response response = adminRoute(request, subPath);
  dispatchChanges(request);
  return response;
}

}  // namespace ferry::sandbox::salesforce
