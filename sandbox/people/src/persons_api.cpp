// v2 person endpoints: single-person CRUD, list with paging/ordering/filter, contact information,
// batch create/update/delete and identity match.
#include <algorithm>
#include <set>

#include <Poco/JSON/Array.h>

#include "errors.hpp"
#include "ferry/sandbox/json_writer.hpp"
#include "filter.hpp"
#include "people_service.hpp"

namespace ferry::sandbox::people {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr size_t kMaxBatch = 1000;
constexpr int kMaxPageSize = 1000;
const char* const kNoMatch = "There is no person matching the query";

std::string conflictProperty(const Conflict& conflict) {
  if (conflict.kind == "externalId") return "externalId";
  return "contactInformation." + conflict.kind;
}

// The `people` array of a batch body, 1..1000 entries; sets `error` otherwise.
Array::Ptr batchArray(const Object& body, const char* key, std::optional<Response>& error) {
  const Var value = body.get(key);
  if (value.type() != typeid(Array::Ptr)) {
    error = legacyError(400, {}, {{key, "must not be null"}});
    return nullptr;
  }
  auto array = value.extract<Array::Ptr>();
  if (array->size() == 0 || array->size() > kMaxBatch) {
    error = legacyError(400, {}, {{key, "size must be between 1 and 1000"}});
    return nullptr;
  }
  return array;
}

void writeErrors(JsonWriter& w, const std::vector<std::string>& messages) {
  w.key("errors").beginArray();
  for (const auto& message : messages) w.beginObject().key("message").value(message).endObject();
  w.endArray();
}

std::vector<std::string> messagesOf(const std::vector<Violation>& violations) {
  std::vector<std::string> out;
  for (const auto& v : violations) out.push_back(violationText(v));
  return out;
}

}  // namespace

Response PeopleService::personResponse(const Person& person) const {
  JsonWriter w;
  writePersonV2(w, person);
  return jsonOk(w.take());
}

Response PeopleService::conflictResponse(const Conflict& conflict) const {
  // The reference leaves the single-write status open (409 or 400); 409 mirrors the batch entry.
  return legacyError(409, conflict.message(),
                     {{conflictProperty(conflict),
                       "already belongs to person " + std::to_string(conflict.personId)}});
}

const Person* PeopleService::lookup(const Request& request, std::optional<Response>& error) const {
  const std::string* identifier = request.param("identifier");
  const std::string* type = request.param("type");
  std::vector<Violation> violations;
  if (identifier == nullptr || identifier->empty())
    violations.push_back({"identifier", "must not be null"});
  if (type == nullptr || type->empty()) violations.push_back({"type", "must not be null"});
  if (!violations.empty()) {
    error = legacyError(400, {}, violations);
    return nullptr;
  }
  const auto kind = parseIdentifierType(*type);
  if (!kind) {
    error = legacyError(400, {}, {{"type", "unknown identifier type " + *type}});
    return nullptr;
  }
  if (*kind == IdentifierType::kChannel && request.param("sender") == nullptr) {
    error = legacyError(400, {}, {{"sender", "must not be null for type " + *type}});
    return nullptr;
  }
  if (*kind == IdentifierType::kId &&
      (identifier->find_first_not_of("0123456789") != std::string::npos ||
       identifier->size() > 18)) {
    error = legacyError(400, {}, {{"identifier", "must be a person id (integer)"}});
    return nullptr;
  }
  const Person* person = store_.find(*kind, *identifier);
  if (person == nullptr) error = legacyError(404, "Person not found");
  return person;
}

Response PeopleService::getPersons(const Request& request) {
  if (request.param("identifier") == nullptr && request.param("type") == nullptr) {
    return listPersons(request);
  }
  std::optional<Response> error;
  const Person* person = lookup(request, error);
  return person != nullptr ? personResponse(*person) : *error;
}

Response PeopleService::listPersons(const Request& request) {
  std::vector<Violation> violations;
  const auto limit = parseIntParam(request, "limit", 20);
  if (!limit || *limit < 1 || *limit > kMaxPageSize) {
    violations.push_back({"limit", "must be between 1 and 1000"});
  }
  const auto page = parseIntParam(request, "page", 1);
  if (!page || *page < 1) violations.push_back({"page", "must be greater than or equal to 1"});
  bool includeTotal = false;
  if (const std::string* total = request.param("includeTotalCount")) {
    if (*total == "true") {
      includeTotal = true;
    } else if (*total != "false" && !total->empty()) {
      violations.push_back({"includeTotalCount", "must be true or false"});
    }
  }
  std::string orderField, orderBy;
  bool descending = false;
  if (const std::string* order = request.param("orderBy"); order != nullptr && !order->empty()) {
    orderBy = *order;
    const auto colon = order->find(':');
    orderField = order->substr(0, colon);
    const std::string direction =
        colon == std::string::npos ? "asc" : lowerAscii(order->substr(colon + 1));
    static const std::set<std::string> kOrderable = {"firstName", "lastName", "createdAt",
                                                     "modifiedAt"};
    if (kOrderable.count(orderField) == 0 || (direction != "asc" && direction != "desc")) {
      violations.push_back({"orderBy",
                            "must be <field>:asc|desc with field one of firstName, lastName, "
                            "createdAt, modifiedAt"});
    }
    descending = direction == "desc";
  }
  std::unique_ptr<PersonFilter> filter;
  if (const std::string* text = request.param("filter"); text != nullptr && !text->empty()) {
    std::string problem;
    filter = PersonFilter::parse(*text, store_.attributes(), problem);
    if (!filter) violations.push_back({"filter", problem});
  }
  if (!violations.empty()) return legacyError(400, {}, violations);

  std::vector<const Person*> rows;
  rows.reserve(store_.persons().size());
  for (const auto& [id, person] : store_.persons()) {
    if (!filter || filter->matches(person)) rows.push_back(&person);
  }
  if (!orderField.empty()) {
    static const std::string kNone;
    auto key = [&](const Person* p) -> const std::string& {
      if (orderField == "createdAt") return p->createdAt;
      if (orderField == "modifiedAt") return p->modifiedAt;
      const auto it = p->fields.find(orderField);
      return it == p->fields.end() ? kNone : it->second;
    };
    // Ties are broken by id so pages stay stable while nothing changes.
    std::sort(rows.begin(), rows.end(), [&](const Person* a, const Person* b) {
      const int c = key(a).compare(key(b));
      if (c != 0) return descending ? c > 0 : c < 0;
      return descending ? a->id > b->id : a->id < b->id;
    });
  }
  const size_t begin =
      std::min(rows.size(), static_cast<size_t>(*page - 1) * static_cast<size_t>(*limit));
  const size_t end = std::min(rows.size(), begin + static_cast<size_t>(*limit));
  JsonWriter w;
  w.beginObject().key("persons").beginArray();
  for (size_t i = begin; i < end; ++i) writePersonV2(w, *rows[i]);
  w.endArray().key("limit").value(*limit).key("page").value(*page);
  if (!orderBy.empty()) w.key("orderBy").value(orderBy);
  if (includeTotal) w.key("totalCount").value(static_cast<int64_t>(rows.size()));
  w.endObject();
  return jsonOk(w.take());
}

Response PeopleService::createPerson(const Request& request, Source source) {
  Object::Ptr body;
  if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
  std::vector<Violation> violations;
  const auto input = parsePersonInput(*body, BodyShape::kV2, "", store_.attributes(), violations);
  if (!violations.empty()) return legacyError(400, {}, violations);
  const auto written =
      commit(applyInput(Person{}, input, WriteMode::kReplace), nullptr, source, true);
  if (written.kind == Written::Kind::kConflict) return conflictResponse(written.conflict);
  return personResponse(*written.person);
}

Response PeopleService::writePerson(const Request& request, WriteMode mode, Source source) {
  std::optional<Response> error;
  const Person* before = lookup(request, error);
  if (before == nullptr) return *error;
  Object::Ptr body;
  if (auto bad = parseObject(request, Envelope::kLegacy, body)) return *bad;
  std::vector<Violation> violations;
  const auto input = parsePersonInput(*body, BodyShape::kV2, "", store_.attributes(), violations);
  if (!violations.empty()) return legacyError(400, {}, violations);
  const auto written = commit(applyInput(*before, input, mode), before, source, true);
  if (written.kind == Written::Kind::kConflict) return conflictResponse(written.conflict);
  return personResponse(*written.person);
}

Response PeopleService::deletePerson(const Request& request, Source source) {
  std::optional<Response> error;
  const Person* person = lookup(request, error);
  if (person == nullptr) return *error;
  removePerson(person->id, source);
  return emptyOk();
}

Response PeopleService::contactInformation(const Request& request) {
  std::optional<Response> error;
  const Person* before = lookup(request, error);
  if (before == nullptr) return *error;
  Object::Ptr body;
  if (auto bad = parseObject(request, Envelope::kLegacy, body)) return *bad;
  if (!body->has("contactInformation") || body->get("contactInformation").isEmpty()) {
    return legacyError(400, {}, {{"contactInformation", "must not be null"}});
  }
  std::vector<Violation> violations;
  PersonInput input;
  parseContactInformationV2(body->get("contactInformation"), "contactInformation", input,
                            violations);
  if (!violations.empty()) return legacyError(400, {}, violations);
  Person candidate = *before;
  const auto empty = std::vector<Contact>{};
  if (request.method == "PUT") {
    candidate.emails = input.emails.value_or(empty);
    candidate.phones = input.phones.value_or(empty);
  } else if (request.method == "PATCH") {
    appendContacts(candidate.emails, input.emails.value_or(empty), true);
    appendContacts(candidate.phones, input.phones.value_or(empty), false);
  } else {
    auto remove = [](std::vector<Contact>& from, const std::vector<Contact>& listed, bool email) {
      from.erase(std::remove_if(from.begin(), from.end(),
                                [&](const Contact& c) {
                                  return std::any_of(
                                      listed.begin(), listed.end(),
                                      [&](const Contact& l) { return sameContact(c, l, email); });
                                }),
                 from.end());
    };
    remove(candidate.emails, input.emails.value_or(empty), true);
    remove(candidate.phones, input.phones.value_or(empty), false);
  }
  const auto written = commit(std::move(candidate), before, Source::kApi, true);
  if (written.kind == Written::Kind::kConflict) return conflictResponse(written.conflict);
  return personResponse(*written.person);
}

Response PeopleService::batchCreate(const Request& request) {
  Object::Ptr body;
  if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
  std::optional<Response> error;
  const auto people = batchArray(*body, "people", error);
  if (!people) return *error;
  JsonWriter w;
  w.beginObject().key("results").beginArray();
  bool failed = false;
  auto fail = [&](size_t index, int status, const std::vector<std::string>& messages) {
    failed = true;
    w.beginObject().key("index").value(static_cast<int64_t>(index)).key("status").value(status);
    writeErrors(w, messages);
    w.endObject();
  };
  for (size_t i = 0; i < people->size(); ++i) {
    const auto entry = people->getObject(i);
    if (!entry) {
      fail(i, 400, {"Person must be a JSON object"});
      continue;
    }
    std::vector<Violation> violations;
    const auto input =
        parsePersonInput(*entry, BodyShape::kV2, "", store_.attributes(), violations);
    if (!violations.empty()) {
      fail(i, 400, messagesOf(violations));
      continue;
    }
    const auto written =
        commit(applyInput(Person{}, input, WriteMode::kReplace), nullptr, Source::kApi, true);
    if (written.kind == Written::Kind::kConflict) fail(i, 409, {written.conflict.message()});
  }
  w.endArray().endObject();
  return jsonOk(w.take(), failed ? 207 : 200);
}

namespace {

// Resolves {"type","identifier"} of a batch entry; returns the status and message on failure.
struct QueryResult {
  const Person* person = nullptr;
  int status = 0;
  std::string message;
};

QueryResult resolveQuery(const PeopleStore& store, const Var& query) {
  if (query.type() != typeid(Object::Ptr)) return {nullptr, 400, "query: must not be null"};
  const auto object = query.extract<Object::Ptr>();
  const Var type = object->get("type");
  const Var identifier = object->get("identifier");
  if (!type.isString() || !identifier.isString()) {
    return {nullptr, 400, "query: type and identifier must be strings"};
  }
  const auto kind = parseIdentifierType(type.extract<std::string>());
  if (!kind)
    return {nullptr, 400, "query.type: unknown identifier type " + type.extract<std::string>()};
  const Person* person = store.find(*kind, identifier.extract<std::string>());
  if (person == nullptr) return {nullptr, 409, kNoMatch};
  return {person, 200, {}};
}

}  // namespace

Response PeopleService::queriedBatch(const Request& request, bool reportsModified,
                                     const QueriedEntryFn& apply) {
  Object::Ptr body;
  if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
  std::optional<Response> error;
  const auto people = batchArray(*body, "people", error);
  if (!people) return *error;
  JsonWriter w;
  w.beginObject().key("results").beginArray();
  bool failed = false;
  for (size_t i = 0; i < people->size(); ++i) {
    const auto entry = people->getObject(i);
    const Var query = entry ? entry->get("query") : Var();
    const auto target = entry ? resolveQuery(store_, query)
                              : QueryResult{nullptr, 400, "Entry must be a JSON object"};
    std::optional<EntryFailure> failure;
    if (target.person == nullptr) {
      failure = EntryFailure{target.status, {target.message}};
    } else {
      failure = apply(*entry, *target.person);
    }
    if (!failure) continue;
    failed = true;
    w.beginObject().key("query").value(query).key("status").value(failure->status);
    if (reportsModified) w.key("isModified").value(false);
    writeErrors(w, failure->messages);
    w.endObject();
  }
  w.endArray().endObject();
  return jsonOk(w.take(), failed ? 207 : 200);
}

Response PeopleService::batchUpdate(const Request& request) {
  return queriedBatch(
      request, true,
      [this](const Object& entry, const Person& target) -> std::optional<EntryFailure> {
        const auto update = entry.getObject("update");
        if (!update) return EntryFailure{400, {"update: must not be null"}};
        std::vector<Violation> violations;
        const auto input =
            parsePersonInput(*update, BodyShape::kV2, "update.", store_.attributes(), violations);
        if (!violations.empty()) return EntryFailure{400, messagesOf(violations)};
        const auto written =
            commit(applyInput(target, input, WriteMode::kMerge), &target, Source::kApi, true);
        if (written.kind == Written::Kind::kConflict) {
          return EntryFailure{409, {written.conflict.message()}};
        }
        return std::nullopt;
      });
}

Response PeopleService::batchDelete(const Request& request) {
  return queriedBatch(request, false,
                      [this](const Object&, const Person& target) -> std::optional<EntryFailure> {
                        removePerson(target.id, Source::kApi);
                        return std::nullopt;
                      });
}

Response PeopleService::match(const Request& request) {
  Object::Ptr body;
  if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
  std::optional<Response> error;
  const auto identities = batchArray(*body, "identities", error);
  if (!identities) return *error;
  std::vector<Violation> violations;
  struct Identity {
    std::string type, identifier;
    IdentifierType kind;
  };
  std::vector<Identity> wanted;
  for (size_t i = 0; i < identities->size(); ++i) {
    const std::string path = "identities[" + std::to_string(i) + "]";
    const auto entry = identities->getObject(i);
    if (!entry || !entry->get("type").isString() || !entry->get("identifier").isString()) {
      violations.push_back({path, "type and identifier must be strings"});
      continue;
    }
    const auto type = entry->getValue<std::string>("type");
    const auto kind = parseIdentifierType(type);
    if (!kind) {
      violations.push_back({path + ".type", "unknown identifier type " + type});
      continue;
    }
    if (*kind == IdentifierType::kChannel && !entry->has("sender")) {
      violations.push_back({path + ".sender", "must not be null for type " + type});
      continue;
    }
    wanted.push_back({type, entry->getValue<std::string>("identifier"), *kind});
  }
  if (!violations.empty()) return legacyError(400, {}, violations);
  JsonWriter w;
  w.beginObject().key("matches").beginArray();
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& identity : wanted) {
    const std::string key = identity.kind == IdentifierType::kEmail
                                ? lowerAscii(identity.identifier)
                                : identity.identifier;
    if (!seen.insert({identity.type, key}).second) continue;  // duplicates collapse to one
    const Person* person = store_.find(identity.kind, identity.identifier);
    if (person == nullptr) continue;  // unmatched identities are simply absent
    w.beginObject().key("type").value(identity.type).key("identifier").value(identity.identifier);
    w.key("personId").value(person->id).endObject();
  }
  w.endArray().endObject();
  return jsonOk(w.take());
}

}  // namespace ferry::sandbox::people
