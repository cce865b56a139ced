// Sandbox admin calls under /__sandbox/salesforce/ (see sandbox/README.md): seed, dump, knobs,
// and changes "as a user in the UI" (create/update/delete, lead conversion, merge). They bypass
// authentication and the API allowance but not validation.
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/json_writer.hpp"
#include "service_impl.hpp"

namespace ferry::sandbox::salesforce {
namespace {

std::string saveResultJson(const SaveResult& result) {
  JsonWriter json;
  json.beginObject().key("id");
  if (result.success)
    json.value(result.id);
  else
    json.null();
  json.key("success")
      .value(result.success)
      .key("errors")
      .raw(saveErrorsJson(result.errors, false))
      .endObject();
  return json.take();
}

}  // namespace

Response SalesforceService::knobsJson() const {
  const WriteKnobs& knobs = org_->knobs();
  JsonWriter json;
  json.beginObject()
      .key("lateCommitMs")
      .value(knobs.lateCommitMs)
      .key("duplicateRule")
      .value(knobs.duplicateRule)
      .key("unableToLockRowNext")
      .value(knobs.unableToLockRowNext)
      .key("unableToLockRowShare")
      .value(knobs.unableToLockRowShare)
      .key("tokenTtlSeconds")
      .value(options_.tokenTtlSeconds)
      .key("dailyApiLimit")
      .value(options_.dailyApiLimit)
      .key("apiUsage")
      .value(apiUsage())
      .key("clockOffsetMs")
      .value(clockOffsetMs_)
      .key("now")
      .value(formatDateTime(now()))
      .endObject();
  return jsonResponse(200, json.take());
}

Response SalesforceService::setKnobs(const Request& request) {
  Response error;
  auto body = adminBodyObject(request, error);
  if (!body) return error;
  WriteKnobs knobs = org_->knobs();
  SalesforceOptions options = options_;
  int64_t offset = clockOffsetMs_;
  std::optional<int64_t> usage;
  try {
    for (const auto& name : body->getNames()) {
      auto value = body->get(name);
      if (name == "lateCommitMs")
        knobs.lateCommitMs = value.convert<int64_t>();
      else if (name == "duplicateRule")
        knobs.duplicateRule = value.convert<bool>();
      else if (name == "unableToLockRowNext")
        knobs.unableToLockRowNext = value.convert<int>();
      else if (name == "unableToLockRowShare")
        knobs.unableToLockRowShare = value.convert<double>();
      else if (name == "tokenTtlSeconds")
        options.tokenTtlSeconds = value.convert<int64_t>();
      else if (name == "dailyApiLimit")
        options.dailyApiLimit = value.convert<int64_t>();
      else if (name == "apiUsage")
        usage = value.convert<int64_t>();
      else if (name == "clockOffsetMs")
        offset = value.convert<int64_t>();
      else if (name == "advanceClockMs")
        offset += value.convert<int64_t>();
      else
        return adminError(400, "unknown knob '" + name + "'");
    }
  } catch (const Poco::Exception&) {
    return adminError(400, "a knob has a value of the wrong type");
  }
  if (knobs.lateCommitMs < 0 || knobs.unableToLockRowNext < 0 || knobs.unableToLockRowShare < 0 ||
      knobs.unableToLockRowShare > 1 || options.tokenTtlSeconds <= 0 || options.dailyApiLimit < 0 ||
      (usage && *usage < 0))
    return adminError(
        400,
        "knob out of range (lateCommitMs>=0, 0<=unableToLockRowShare<=1, tokenTtlSeconds>0, ...)");
  org_->knobs() = knobs;
  options_.tokenTtlSeconds = options.tokenTtlSeconds;
  options_.dailyApiLimit = options.dailyApiLimit;
  clockOffsetMs_ = offset;
  if (usage) usageAdjustment_ += *usage - apiUsage();
  return knobsJson();
}

Response SalesforceService::seed(const Request& request) {
  Response error;
  auto body = adminBodyObject(request, error);
  if (!body) return error;
  int64_t accounts = 0, contacts = 0, leads = 0;
  FakeDataOptions fake;
  fake.seed = options_.seed;
  try {
    accounts = body->optValue<int64_t>("Account", 0);
    contacts = body->optValue<int64_t>("Contact", 0);
    leads = body->optValue<int64_t>("Lead", 0);
    fake.seed = body->optValue<uint64_t>("seed", options_.seed);
    fake.invalidShare = body->optValue<double>("invalidShare", 0.0);
  } catch (const Poco::Exception&) {
    return adminError(
        400,
        "seed takes {\"Account\":n,\"Contact\":n,\"Lead\":n,\"seed\":n,\"invalidShare\":0..1}");
  }
  if (accounts < 0 || contacts < 0 || leads < 0 || accounts + contacts + leads > 1000000 ||
      fake.invalidShare < 0 || fake.invalidShare > 1)
    return adminError(400, "counts must be 0..1000000 in total and invalidShare 0..1");
  FakeDataGenerator generator(fake);
  const ObjectDef& account = *schema_.object("Account");
  const ObjectDef& contact = *schema_.object("Contact");
  const ObjectDef& lead = *schema_.object("Lead");
  std::vector<std::string> accountIds;
  int64_t failed = 0;
  // Salesforce cannot hold an invalid email, so an "invalid" person keeps a bad phone (phones
  // are not validated) and loses the email.
  auto email = [](const FakePerson& p) -> InputValue {
    return p.emailInvalid ? InputValue{} : InputValue{p.email};
  };
  for (int64_t i = 0; i < accounts; ++i) {
    FakePerson p = generator.next();
    FieldInputs fields = {{"Name", p.company + " " + p.city + " " + std::to_string(p.index)},
                          {"Phone", p.phone},
                          {"BillingCity", p.city},
                          {"BillingCountry", p.country},
                          {"Website", "https://www.example.com/" + std::to_string(p.index)}};
    SaveResult result = org_->create(account, fields);
    if (result.success)
      accountIds.push_back(result.id);
    else
      ++failed;
  }
  for (int64_t i = 0; i < contacts; ++i) {
    FakePerson p = generator.next();
    FieldInputs fields = {{"FirstName", p.firstName},   {"LastName", p.lastName},
                          {"Email", email(p)},          {"MobilePhone", p.phone},
                          {"Title", p.title},           {"MailingCity", p.city},
                          {"MailingCountry", p.country}};
    if (!accountIds.empty())
      fields.emplace_back("AccountId", accountIds[static_cast<size_t>(i) % accountIds.size()]);
    failed += !org_->create(contact, fields).success;
  }
  for (int64_t i = 0; i < leads; ++i) {
    FakePerson p = generator.next();
    FieldInputs fields = {{"FirstName", p.firstName}, {"LastName", p.lastName},
                          {"Company", p.company},     {"Email", email(p)},
                          {"MobilePhone", p.phone},   {"Title", p.title},
                          {"City", p.city},           {"Country", p.country}};
    failed += !org_->create(lead, fields).success;
  }
  org_->takeChanges();  // seeding sets up the org; it is no user's edit, so no workflow fires
  JsonWriter json;
  json.beginObject()
      .key("created")
      .beginObject()
      .key("Account")
      .value(static_cast<int64_t>(accountIds.size()))
      .key("Contact")
      .value(contacts)
      .key("Lead")
      .value(leads)
      .endObject()
      .key("failed")
      .value(failed)
      .endObject();
  return jsonResponse(200, json.take());
}

Response SalesforceService::adminRoute(const Request& request, const std::string& subPath) {
  auto parts = splitPath(subPath);
  const std::string& method = request.method;
  if (parts.empty()) {
    if (method != "GET") return adminError(405, "use GET");
    JsonWriter json;
    json.beginObject().key("records").beginObject();
    for (const auto& object : schema_.objects()) {
      json.key(object.name)
          .beginObject()
          .key("live")
          .value(static_cast<uint64_t>(org_->count(object, false)))
          .key("total")
          .value(static_cast<uint64_t>(org_->count(object, true)))
          .endObject();
    }
    json.endObject().key("knobs").raw(knobsJson().body);
    json.key("credentials")
        .beginObject()
        .key("clientId")
        .value(options_.clientId)
        .key("username")
        .value(options_.username)
        .key("orgId")
        .value(org_->orgId())
        .key("userId")
        .value(org_->userId())
        .endObject()
        .endObject();
    return jsonResponse(200, json.take());
  }
  const std::string& head = parts[0];
  if (head == "seed" && method == "POST") return seed(request);
  if (head == "outbound-messages") return outboundAdmin(request, parts);
  if (head == "outbound-delivery") return deliveryAdmin(request, parts);
  if (head == "dump" && method == "GET") {
    const ObjectDef* only = nullptr;
    if (const std::string* name = request.param("object")) {
      only = schema_.object(*name);
      if (!only) return adminError(404, "unknown object " + *name);
    }
    return jsonResponse(200, org_->dump(only));
  }
  if (head == "knobs") {
    if (method == "GET") return knobsJson();
    if (method == "PUT" || method == "PATCH" || method == "POST") return setKnobs(request);
    return adminError(405, "use GET or PUT");
  }
  if (head == "expire-tokens" && method == "POST") {
    expireTokens();
    return jsonResponse(200, R"({"ok":true})");
  }
  if (head == "reset" && method == "POST") {
    reset();
    return jsonResponse(200, R"({"ok":true})");
  }
  if (head == "records" && parts.size() >= 2) {
    const ObjectDef* object = schema_.object(parts[1]);
    if (!object) return adminError(404, "unknown object " + parts[1]);
    Response error;
    if (parts.size() == 2 && method == "POST") {
      auto body = adminBodyObject(request, error);
      if (!body) return error;
      FieldInputs inputs;
      std::string problem;
      if (!toFieldInputs(*body, inputs, problem)) return adminError(400, problem);
      SaveResult result = org_->create(*object, inputs);
      return jsonResponse(result.success ? 201 : 400, saveResultJson(result));
    }
    if (parts.size() == 3 && (method == "PATCH" || method == "POST")) {
      auto body = adminBodyObject(request, error);
      if (!body) return error;
      FieldInputs inputs;
      std::string problem;
      if (!toFieldInputs(*body, inputs, problem)) return adminError(400, problem);
      SaveResult result = org_->update(*object, parts[2], inputs);
      return jsonResponse(result.success ? 200 : 400, saveResultJson(result));
    }
    if (parts.size() == 3 && method == "DELETE") {
      SaveResult result = org_->remove(parts[2]);
      return jsonResponse(result.success ? 200 : 400, saveResultJson(result));
    }
    return adminError(405, "use POST /records/{Object}, PATCH or DELETE /records/{Object}/{id}");
  }
  if (head == "convert-lead" && method == "POST") {
    Response error;
    auto body = adminBodyObject(request, error);
    if (!body) return error;
    auto result = org_->convertLead(body->optValue<std::string>("leadId", ""),
                                    body->optValue<std::string>("accountId", ""),
                                    body->optValue<std::string>("contactId", ""),
                                    body->optValue<std::string>("convertedStatus", ""));
    JsonWriter json;
    json.beginObject().key("success").value(result.errors.empty());
    if (result.errors.empty())
      json.key("accountId").value(result.accountId).key("contactId").value(result.contactId);
    json.key("errors").raw(saveErrorsJson(result.errors, false)).endObject();
    return jsonResponse(result.errors.empty() ? 200 : 400, json.take());
  }
  if (head == "merge" && method == "POST") {
    Response error;
    auto body = adminBodyObject(request, error);
    if (!body) return error;
    std::vector<std::string> duplicates;
    if (auto list = body->getArray("duplicateIds")) {
      for (size_t i = 0; i < list->size(); ++i)
        duplicates.push_back(list->getElement<std::string>(static_cast<unsigned>(i)));
    }
    auto errors = org_->merge(body->optValue<std::string>("masterId", ""), duplicates);
    JsonWriter json;
    json.beginObject()
        .key("success")
        .value(errors.empty())
        .key("errors")
        .raw(saveErrorsJson(errors, false))
        .endObject();
    return jsonResponse(errors.empty() ? 200 : 400, json.take());
  }
  return adminError(404, "no salesforce admin call " + method + " " + subPath);
}

void SalesforceService::reset() {
  org_->reset();
  org_->knobs() = WriteKnobs{};
  org_->knobs().lateCommitMs = defaults_.lateCommitMs;
  org_->knobs().duplicateRule = defaults_.duplicateRule;
  options_.tokenTtlSeconds = defaults_.tokenTtlSeconds;
  options_.dailyApiLimit = defaults_.dailyApiLimit;
  clockOffsetMs_ = 0;
  accessTokens_.clear();
  refreshTokens_.clear();
  codes_.clear();
  usageByHour_.clear();
  usageAdjustment_ = 0;
  cursors_.clear();
  cursorOrder_.clear();
  ingestJobs_.clear();
  queryJobs_.clear();
  sender_->clear();
  sender_->setKnobs(defaults_.outboundDelivery);
  installDefaultOutbound();
}

std::string SalesforceService::snapshot() const {
  JsonWriter json;
  json.beginObject().key("org").raw(org_->snapshot());
  // Refresh tokens survive a restart so a connected client keeps working; access tokens do not.
  json.key("refreshTokens").beginArray();
  for (const auto& [token, info] : refreshTokens_)
    json.beginObject().key("token").value(token).key("scope").value(info.scope).endObject();
  json.endArray();
  writeOutboundSnapshot(json);
  json.endObject();
  return json.take();
}

void SalesforceService::restore(const std::string& text) {
  auto root = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
  auto org = root ? root->getObject("org") : nullptr;
  if (!org) throw std::runtime_error("salesforce snapshot lacks \"org\"");
  std::ostringstream orgText;
  org->stringify(orgText);
  restoreOutbound(*root);  // validated first: it throws before anything changes
  org_->restore(orgText.str());
  org_->takeChanges();
  refreshTokens_.clear();
  accessTokens_.clear();
  if (auto tokens = root->getArray("refreshTokens")) {
    for (size_t i = 0; i < tokens->size(); ++i) {
      auto item = tokens->getObject(static_cast<unsigned>(i));
      if (item)
        refreshTokens_[item->optValue<std::string>("token", "")] =
            RefreshToken{item->optValue<std::string>("scope", "")};
    }
  }
}

}  // namespace ferry::sandbox::salesforce
