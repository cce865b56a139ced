// The sandbox's own People admin API under /__sandbox/people/: seeding, "portal" edits that fire
// webhooks, dump, reset and the emulator's settings.
#include <algorithm>

#include <Poco/JSON/Array.h>

#include "errors.hpp"
#include "ferry/sandbox/fake_data.hpp"
#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/json_writer.hpp"
#include "people_service.hpp"

namespace ferry::sandbox::people {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr int64_t kMaxSeed = 1000000;

// Optional members of an admin body: false when present with the wrong JSON type.
bool readInt(const Object& body, const std::string& key, int64_t& out) {
  const Var v = body.get(key);
  if (v.isEmpty()) return true;
  if (v.isBoolean() || !v.isInteger()) return false;
  out = v.convert<int64_t>();
  return true;
}

bool readDouble(const Object& body, const std::string& key, double& out) {
  const Var v = body.get(key);
  if (v.isEmpty()) return true;
  if (v.isBoolean() || v.isString() || !v.isNumeric()) return false;
  out = v.convert<double>();
  return true;
}

bool readString(const Object& body, const std::string& key, std::string& out) {
  const Var v = body.get(key);
  if (v.isEmpty()) return true;
  if (!v.isString()) return false;
  out = v.extract<std::string>();
  return true;
}

std::string trimSlashes(const std::string& path) {
  const auto begin = path.find_first_not_of('/');
  if (begin == std::string::npos) return {};
  const auto end = path.find_last_not_of('/');
  return path.substr(begin, end - begin + 1);
}

}  // namespace

Response PeopleService::admin(const Request& request, const std::string& subPath) {
  const std::string path = trimSlashes(subPath);
  const std::string& m = request.method;
  try {
    if (path == "seed" && m == "POST") return seed(request);
    if (path == "persons") {
      // Edits "as a user in the portal": same validation as the API, origin PORTAL, webhooks fire.
      if (m == "POST") return createPerson(request, Source::kPortal);
      if (m == "PUT") return writePerson(request, WriteMode::kReplace, Source::kPortal);
      if (m == "PATCH") return writePerson(request, WriteMode::kMerge, Source::kPortal);
      if (m == "DELETE") return deletePerson(request, Source::kPortal);
      if (m == "GET") return getPersons(request);
    }
    if (path == "persons/merge" && m == "POST") return portalMerge(request);
    if (path == "dump" && m == "GET") return dump();
    if (path == "reset" && m == "POST") {
      reset();
      return jsonOk("{\"reset\":true}");
    }
    if (path == "webhook") return webhookSettings(request, false);
    if (path == "webhook/flush" && m == "POST") return webhookSettings(request, true);
    if (path == "customAttributes") {
      if (m == "GET") return listAttributes(request);
      if (m == "POST") return createAttribute(request);
    }
    if (path == "rateLimits") return rateLimitSettings(request);
    return adminError(404, "unknown People admin call " + m + " /__sandbox/people/" + path);
  } catch (const std::exception& e) {
    return adminError(500, std::string("admin call failed: ") + e.what());
  }
}

Response PeopleService::seed(const Request& request) {
  Object::Ptr body;
  if (request.body.empty()) {
    body = new Object();
  } else if (auto error = parseObject(request, Envelope::kLegacy, body)) {
    return *error;
  }
  int64_t count = 100, seedValue = 42;
  double invalidShare = 0.0;
  std::string type = "CUSTOMER", prefix;
  if (!readInt(*body, "count", count) || !readInt(*body, "seed", seedValue) ||
      !readDouble(*body, "invalidShare", invalidShare) || !readString(*body, "type", type) ||
      !readString(*body, "externalIdPrefix", prefix)) {
    return adminError(400,
                      "count and seed must be integers, invalidShare a number, type and "
                      "externalIdPrefix strings");
  }
  if (count < 1 || count > kMaxSeed) return adminError(400, "count must be between 1 and 1000000");
  if (invalidShare < 0.0 || invalidShare > 1.0)
    return adminError(400, "invalidShare must be between 0 and 1");
  if (type != "CUSTOMER" && type != "LEAD") return adminError(400, "type must be CUSTOMER or LEAD");
  std::vector<std::string> tags;
  if (body->has("tags")) {
    const auto list = body->getArray("tags");
    if (!list) return adminError(400, "tags must be an array of strings");
    for (size_t i = 0; i < list->size(); ++i) {
      const Var tag = list->get(i);
      if (!tag.isString() || tag.extract<std::string>().empty())
        return adminError(400, "tags must be non-empty strings");
      tags.push_back(tag.extract<std::string>());
    }
  }
  FakeDataGenerator generator({static_cast<uint64_t>(seedValue), invalidShare});
  const auto stamp = now();
  for (const auto& tag : tags) store_.ensureTag(tag, stamp);
  int64_t created = 0, skipped = 0, firstId = 0, lastId = 0;
  for (int64_t i = 0; i < count; ++i) {
    const FakePerson fake = generator.next();
    Person person;
    person.fields["type"] = type;
    person.fields["firstName"] = fake.firstName;
    person.fields["lastName"] = fake.lastName;
    if (!fake.city.empty()) person.fields["city"] = fake.city.substr(0, 50);
    if (!fake.country.empty()) person.fields["country"] = fake.country.substr(0, 50);
    if (!prefix.empty()) person.fields["externalId"] = prefix + std::to_string(fake.index);
    // Seeded records stand for data imported before validation, so invalid values asked for via
    // invalidShare are kept as they are.
    if (!fake.email.empty()) person.emails.push_back({fake.email, true});
    const std::string phone =
        !fake.phone.empty() && fake.phone.front() == '+' ? fake.phone.substr(1) : fake.phone;
    if (!phone.empty()) person.phones.push_back({phone, true});
    person.tags = tags;
    person.origin = person.modifiedFrom = "PORTAL";
    person.createdAt = person.modifiedAt = stamp;
    if (store_.findConflict(person)) {
      ++skipped;
      continue;
    }
    const int64_t id = store_.insert(std::move(person)).id;
    if (created++ == 0) firstId = id;
    lastId = id;
  }
  JsonWriter w;
  w.beginObject().key("created").value(created).key("skipped").value(skipped);
  w.key("firstId").value(firstId).key("lastId").value(lastId).endObject();
  return jsonOk(w.take());
}

Response PeopleService::dump() const {
  JsonWriter w;
  w.beginObject().key("persons").beginArray();
  for (const auto& [id, person] : store_.persons()) writePersonV2(w, person);
  w.endArray().key("customAttributes").beginArray();
  for (const auto& [name, def] : store_.attributes()) writeAttributeDef(w, def);
  w.endArray().key("tags").beginArray();
  for (const auto& [name, tag] : store_.tags()) writeTag(w, tag);
  w.endArray().key("companies").beginArray();
  for (const auto& [id, company] : store_.companies()) writeCompany(w, company);
  w.endArray().key("companyLinks").beginArray();
  for (const auto& [id, person] : store_.persons()) {
    if (person.companyId) {
      w.beginObject()
          .key("personId")
          .value(id)
          .key("companyId")
          .value(*person.companyId)
          .endObject();
    }
  }
  w.endArray().endObject();
  return jsonOk(w.take());
}

Response PeopleService::webhookSettings(const Request& request, bool flush) {
  if (flush) {
    // Waits for queued deliveries (tests: "the event has arrived" without sleeping blindly).
    int64_t timeoutMs = 5000;
    if (!request.body.empty()) {
      Object::Ptr body;
      if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
      if (!readInt(*body, "timeoutMs", timeoutMs))
        return adminError(400, "timeoutMs must be an integer");
    }
    if (timeoutMs < 0 || timeoutMs > 60000)
      return adminError(400, "timeoutMs must be between 0 and 60000");
    const bool idle = webhooks_.waitIdle(std::chrono::milliseconds(timeoutMs));
    JsonWriter w;
    w.beginObject().key("idle").value(idle).endObject();
    return jsonOk(w.take());
  }
  if (request.method == "PUT") {
    Object::Ptr body;
    if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
    const Var url = body->get("url");
    if (!url.isEmpty() && !url.isString()) return adminError(400, "url must be a string or null");
    if (auto error = webhooks_.setUrl(url.isEmpty() ? std::string() : url.extract<std::string>());
        !error.empty()) {
      return adminError(400, error);
    }
    if (body->has("onApiChanges")) {
      const Var flag = body->get("onApiChanges");
      if (!flag.isBoolean()) return adminError(400, "onApiChanges must be a boolean");
      options_.webhookOnApiChanges = flag.extract<bool>();
    }
  } else if (request.method != "GET") {
    return adminError(405, "webhook settings support GET and PUT (POST webhook/flush waits)");
  }
  const auto stats = webhooks_.stats();
  JsonWriter w;
  w.beginObject()
      .key("url")
      .value(webhooks_.url().empty() ? std::string() : redactUrl(webhooks_.url()))
      .key("onApiChanges")
      .value(options_.webhookOnApiChanges);
  w.key("queued").value(stats.queued).key("delivered").value(stats.delivered);
  w.key("failed").value(stats.failed).key("attempts").value(stats.attempts);
  w.key("pending").value(static_cast<uint64_t>(stats.pending)).endObject();
  return jsonOk(w.take());
}

Response PeopleService::rateLimitSettings(const Request& request) {
  if (request.method == "PUT") {
    Object::Ptr body;
    if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
    const Var enabled = body->get("enabled");
    if (!enabled.isBoolean()) return adminError(400, "enabled must be a boolean");
    limiter_.setEnabled(enabled.extract<bool>());
    limiter_.reset();
  } else if (request.method != "GET") {
    return adminError(405, "rate limit settings support GET and PUT");
  }
  JsonWriter w;
  w.beginObject().key("enabled").value(limiter_.enabled()).key("perSecond").beginObject();
  w.key("GET /people/2/persons").value(5).key("POST /people/2/persons").value(10);
  w.key("POST /people/2/persons/match").value(15).key("other People endpoints").value(5);
  w.endObject().endObject();
  return jsonOk(w.take());
}

Response PeopleService::portalMerge(const Request& request) {
  Object::Ptr body;
  if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
  const auto ids = body->getArray("ids");
  if (!ids || ids->size() < 2) return adminError(400, "ids must list at least two person ids");
  std::vector<int64_t> wanted;
  for (size_t i = 0; i < ids->size(); ++i) {
    const Var id = ids->get(i);
    if (!id.isInteger() || store_.find(id.convert<int64_t>()) == nullptr) {
      return adminError(404, "no person with id " + id.convert<std::string>());
    }
    wanted.push_back(id.convert<int64_t>());
  }
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  if (wanted.size() < 2) return adminError(400, "ids must list at least two different persons");
  const Person survivor = mergePersons(wanted, Source::kPortal);
  emit({mergedEvent(survivor, eventContext(Source::kPortal))}, Source::kPortal);
  return personResponse(survivor);
}

}  // namespace ferry::sandbox::people
