// v3 batch upsert (PUT full / PATCH partial) and merge: per-record results with
// CREATED/UPDATED/NOT_MODIFIED and per-record errors {index, code, message, details}.
#include <algorithm>

#include <Poco/JSON/Array.h>

#include "errors.hpp"
#include "ferry/sandbox/json_writer.hpp"
#include "people_service.hpp"

namespace ferry::sandbox::people {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr size_t kMaxBatch = 1000;
const char* const kInvalidPerson = "One or more properties of the person are invalid";

struct RecordError {
  size_t index = 0;
  std::string code;
  std::string message;
  std::vector<Violation> details;
};

void writeRecordErrors(JsonWriter& w, const std::vector<RecordError>& errors) {
  w.key("errors").beginArray();
  for (const auto& e : errors) {
    w.beginObject().key("index").value(static_cast<int64_t>(e.index)).key("code").value(e.code);
    w.key("message").value(e.message).key("details").beginArray();
    for (const auto& d : e.details) {
      w.beginObject().key("property").value(d.property).key("message").value(d.message).endObject();
    }
    w.endArray().endObject();
  }
  w.endArray();
}

// The `persons` array of a v3 body, 1..1000 entries; sets `error` otherwise.
Array::Ptr personsArray(const Object& body, std::optional<Response>& error) {
  const Var value = body.get("persons");
  if (value.isEmpty()) {
    error = v3Error(400, "400104", "Missing required property", {{"persons", "must not be null"}});
    return nullptr;
  }
  if (value.type() != typeid(Array::Ptr)) {
    error = v3Error(400, "400100", "Invalid request", {{"persons", "must be an array"}});
    return nullptr;
  }
  auto array = value.extract<Array::Ptr>();
  if (array->size() == 0 || array->size() > kMaxBatch) {
    error =
        v3Error(400, "400100", "Invalid request", {{"persons", "size must be between 1 and 1000"}});
    return nullptr;
  }
  return array;
}

// A person holding only the identifiers of an input: what upsert and merge match on.
Person identityProbe(const PersonInput& input) {
  Person probe;
  const auto externalId = input.fields.find("externalId");
  if (externalId != input.fields.end() && externalId->second) {
    probe.fields["externalId"] = *externalId->second;
  }
  if (input.emails) probe.emails = *input.emails;
  if (input.phones) probe.phones = *input.phones;
  return probe;
}

bool hasIdentifier(const Person& probe) {
  return probe.fields.count("externalId") > 0 || !probe.emails.empty() || !probe.phones.empty();
}

// Parses one record; on failure fills `error` and returns nullopt.
std::optional<PersonInput> parseRecord(const Array& persons, size_t index,
                                       const AttributeDefs& defs, RecordError& error) {
  const std::string prefix = "persons[" + std::to_string(index) + "]";
  error.index = index;
  const auto entry = persons.getObject(index);
  if (!entry) {
    error.code = "400100";
    error.message = kInvalidPerson;
    error.details = {{prefix, "must be an object"}};
    return std::nullopt;
  }
  std::vector<Violation> violations;
  auto input = parsePersonInput(*entry, BodyShape::kV3, prefix + ".", defs, violations);
  if (violations.empty() && !hasIdentifier(identityProbe(input))) {
    violations.push_back(
        {prefix, "at least one identifier (externalId, EMAIL or PHONE) is required"});
  }
  if (!violations.empty()) {
    error.code = "400100";
    error.message = kInvalidPerson;
    error.details = std::move(violations);
    return std::nullopt;
  }
  return input;
}

}  // namespace

Response PeopleService::upsert(const Request& request, WriteMode mode) {
  Object::Ptr body;
  if (auto error = parseObject(request, Envelope::kV3, body)) return *error;
  std::optional<Response> error;
  const auto persons = personsArray(*body, error);
  if (!persons) return *error;

  JsonWriter w;
  w.beginObject().key("results").beginArray();
  std::vector<RecordError> errors;
  for (size_t i = 0; i < persons->size(); ++i) {
    RecordError recordError;
    const auto input = parseRecord(*persons, i, store_.attributes(), recordError);
    if (!input) {
      errors.push_back(std::move(recordError));
      continue;
    }
    const auto holders = store_.holdersOf(identityProbe(*input));
    if (holders.size() > 1) {
      RecordError conflict{i, "409100", "The person's identifiers belong to different persons", {}};
      for (const auto id : holders) {
        conflict.details.push_back({"persons[" + std::to_string(i) + "]",
                                    "an identifier belongs to person " + std::to_string(id)});
      }
      errors.push_back(std::move(conflict));
      continue;
    }
    const Person* before = holders.empty() ? nullptr : store_.find(holders.front());
    auto candidate = applyInput(before != nullptr ? *before : Person{}, *input, mode);
    const auto written = commit(std::move(candidate), before, Source::kApi, false);
    if (written.kind == Written::Kind::kConflict) {
      errors.push_back({i,
                        "409100",
                        written.conflict.message(),
                        {{"persons[" + std::to_string(i) + "]",
                          "belongs to person " + std::to_string(written.conflict.personId)}}});
      continue;
    }
    const char* status = written.kind == Written::Kind::kCreated   ? "CREATED"
                         : written.kind == Written::Kind::kUpdated ? "UPDATED"
                                                                   : "NOT_MODIFIED";
    w.beginObject().key("id").value(written.person->id).key("index").value(static_cast<int64_t>(i));
    w.key("status").value(status).endObject();
  }
  w.endArray();
  writeRecordErrors(w, errors);
  w.endObject();
  return jsonOk(w.take(), errors.empty() ? 200 : 207);
}

Person PeopleService::mergePersons(const std::vector<int64_t>& ids, Source source) {
  Person survivor = *store_.find(ids.front());
  for (size_t k = 1; k < ids.size(); ++k) {
    const Person* other = store_.find(ids[k]);
    if (other == nullptr) continue;
    // The oldest profile wins; the others only fill what it lacks.
    for (const auto& [name, value] : other->fields) survivor.fields.emplace(name, value);
    for (const auto& tag : other->tags) {
      if (std::find(survivor.tags.begin(), survivor.tags.end(), tag) == survivor.tags.end()) {
        survivor.tags.push_back(tag);
      }
    }
    for (const auto& [name, value] : other->customAttributes)
      survivor.customAttributes.emplace(name, value);
    auto demoted = [](std::vector<Contact> contacts) {
      for (auto& c : contacts) c.primary = false;
      return contacts;
    };
    appendContacts(survivor.emails, demoted(other->emails), true);
    appendContacts(survivor.phones, demoted(other->phones), false);
    if (!survivor.companyId) survivor.companyId = other->companyId;
    store_.erase(ids[k]);
  }
  survivor.modifiedAt = now();
  survivor.modifiedFrom = sourceName(source);
  return store_.replace(survivor);
}

Response PeopleService::merge(const Request& request) {
  Object::Ptr body;
  if (auto error = parseObject(request, Envelope::kV3, body)) return *error;
  std::optional<Response> error;
  const auto persons = personsArray(*body, error);
  if (!persons) return *error;

  JsonWriter w;
  w.beginObject().key("results").beginArray();
  std::vector<RecordError> errors;
  for (size_t i = 0; i < persons->size(); ++i) {
    RecordError recordError;
    const auto input = parseRecord(*persons, i, store_.attributes(), recordError);
    if (!input) {
      errors.push_back(std::move(recordError));
      continue;
    }
    const auto holders = store_.holdersOf(identityProbe(*input));
    const Person* before = nullptr;
    if (!holders.empty()) {
      const bool merged = holders.size() > 1;
      const Person survivor =
          merged ? mergePersons(holders, Source::kApi) : *store_.find(holders.front());
      if (merged) emit({mergedEvent(survivor, eventContext(Source::kApi))}, Source::kApi);
      before = store_.find(survivor.id);
    }
    auto candidate = applyInput(before != nullptr ? *before : Person{}, *input, WriteMode::kMerge);
    const auto written = commit(std::move(candidate), before, Source::kApi, false);
    if (written.kind == Written::Kind::kConflict) {
      errors.push_back({i, "409100", written.conflict.message(), {}});
      continue;
    }
    w.beginObject().key("id").value(written.person->id).key("index").value(static_cast<int64_t>(i));
    w.endObject();
  }
  w.endArray();
  writeRecordErrors(w, errors);
  w.endObject();
  return jsonOk(w.take(), errors.empty() ? 200 : 207);
}

}  // namespace ferry::sandbox::people
