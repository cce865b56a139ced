// Writes. Persons: partial v3 upserts (never the full-overwrite PUT), keyed on externalId, email
// or phone so a replay finds the same person; then what PATCH cannot do (it appends): dropped
// emails/phones through DELETE contactInformation, dropped tags through the tag endpoint; then
// company links. Companies: v2 batches, creates keyed on externalId when there is one.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "ferry/plugins/people/connector.hpp"

namespace ferry::plugins::people {

namespace {

using sdk::ErrorCode;
using Outcome = sdk::WriteResult::Outcome;

sdk::WriteResult rejected(sdk::Error error, std::string field = {}) {
  sdk::WriteResult r;
  r.outcome = Outcome::kRejected;
  r.error = std::move(error);
  r.field = std::move(field);
  return r;
}

bool succeeded(const std::optional<sdk::WriteResult>& r) {
  return r && r->outcome != Outcome::kRejected;
}

std::vector<std::string> texts(const sdk::Value* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (v->isString() && !v->asString().empty()) out.push_back(v->asString());
  if (v->isList()) {
    for (const auto& item : v->asList()) {
      if (item.isString() && !item.asString().empty()) out.push_back(item.asString());
    }
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string withoutPlus(std::string s) {
  if (s.starts_with('+')) s.erase(0, 1);
  return s;
}

// Values of `field` in previous that the desired record no longer has (nothing when the field is
// not mapped, i.e. absent from the desired record).
std::vector<std::string> dropped(const sdk::WriteOp& op, const char* field,
                                 std::string (*key)(std::string)) {
  if (!op.previous) return {};
  const sdk::Value* desired = sdk::findPath(op.fields, field);
  if (desired == nullptr) return {};
  std::set<std::string> keep;
  for (const auto& v : texts(desired)) keep.insert(key(v));
  std::vector<std::string> out;
  for (const auto& v : texts(sdk::findPath(*op.previous, field))) {
    if (!keep.contains(key(v))) out.push_back(v);
  }
  return out;
}

std::string identityText(std::string s) { return s; }

bool hasText(const sdk::Object& fields, const char* path) {
  return !texts(sdk::findPath(fields, path)).empty();
}

// v2 shape of a v3 person: contactInformation as {email:[{address}], phone:[{number}]}.
sdk::Object toV2(sdk::Object v3) {
  if (const sdk::Value* contacts = v3.find("contactInformation");
      contacts != nullptr && contacts->isList()) {
    sdk::List emails;
    sdk::List phones;
    for (const auto& c : contacts->asList()) {
      const auto& o = c.asObject();
      const std::string& identifier = o.find("identifier")->asString();
      if (o.find("type")->asString() == "EMAIL") {
        emails.emplace_back(sdk::Object{{"address", identifier}});
      } else {
        phones.emplace_back(sdk::Object{{"number", identifier}});
      }
    }
    sdk::Object v2;
    if (!emails.empty()) v2.set("email", std::move(emails));
    if (!phones.empty()) v2.set("phone", std::move(phones));
    v3.set("contactInformation", std::move(v2));
  }
  return v3;
}

std::string firstError(const sdk::Object& entry) {
  const sdk::Value* errors = entry.find("errors");
  std::string text;
  if (errors != nullptr && errors->isList()) {
    for (const auto& e : errors->asList()) {
      const sdk::Value* m = e.isObject() ? e.asObject().find("message") : nullptr;
      if (m != nullptr && m->isString()) text += (text.empty() ? "" : "; ") + m->asString();
    }
  }
  return text.empty() ? "rejected without a message" : text;
}

int statusOf(const sdk::Object& entry) {
  const sdk::Value* s = entry.find("status");
  if (s == nullptr) return 0;
  if (s->isInteger()) return static_cast<int>(s->asInteger());
  if (s->isString()) {
    int v = 0;
    std::from_chars(s->asString().data(), s->asString().data() + s->asString().size(), v);
    return v;
  }
  return 0;
}

ErrorCode codeOfEntryStatus(int status) {
  switch (status) {
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kConflict;
    case 429:
      return ErrorCode::kRateLimited;
    default:
      return status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInvalidArgument;
  }
}

std::optional<std::int64_t> numericId(const std::string& id) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  if (ec != std::errc() || end != id.data() + id.size() || v <= 0) return std::nullopt;
  return v;
}

bool noMatch(const std::string& message) {
  return message.find("no ") != std::string::npos && message.find("matching") != std::string::npos;
}

}  // namespace

sdk::Result<std::vector<sdk::WriteResult>> PeopleConnector::write(
    const std::string& entity, const std::vector<sdk::WriteOp>& ops) {
  const auto kind = entityKind(entity);
  if (!kind) {
    return sdk::Error::make(ErrorCode::kInvalidArgument,
                            "people has no entity \"" + entity + "\" (Customer, Lead, Company)");
  }
  std::vector<sdk::WriteOp> nested = ops;
  for (auto& op : nested) {
    op.fields = nestDotted(op.fields);
    if (op.previous) op.previous = nestDotted(*op.previous);
  }
  if (*kind == EntityKind::kCompany) return writeCompanies(nested);
  return writePersons(*kind, nested);
}

sdk::Result<std::vector<sdk::WriteResult>> PeopleConnector::writePersons(
    EntityKind kind, const std::vector<sdk::WriteOp>& ops) {
  std::vector<std::optional<sdk::WriteResult>> results(ops.size());
  std::vector<std::size_t> deletes;
  std::vector<std::size_t> upserts;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind == sdk::WriteOp::Kind::kDelete) {
      if (!numericId(ops[i].id)) {
        results[i] = rejected(
            sdk::Error::make(ErrorCode::kInvalidArgument,
                             "delete needs a People person id, not \"" + ops[i].id + "\""));
      } else {
        deletes.push_back(i);
      }
    } else {
      upserts.push_back(i);
    }
  }
  if (settings_.provisionCustomAttributes && !upserts.empty()) {
    if (auto s = provisionAttributes(ops, results); !s) return s.takeError();
  }
  if (auto s = upsertPersons(kind, ops, upserts, results); !s) return s.takeError();
  removeDroppedValues(ops, upserts, results);
  linkCompanies(ops, upserts, results);
  if (auto s = deletePersons(ops, deletes, results); !s) return s.takeError();

  std::vector<sdk::WriteResult> out;
  out.reserve(ops.size());
  for (auto& r : results) {
    out.push_back(r ? std::move(*r)
                    : rejected(sdk::Error::make(ErrorCode::kInternal, "no outcome recorded")));
  }
  return out;
}

sdk::Status PeopleConnector::upsertPersons(EntityKind kind, const std::vector<sdk::WriteOp>& ops,
                                           const std::vector<std::size_t>& which,
                                           std::vector<std::optional<sdk::WriteResult>>& results) {
  std::vector<std::size_t> batchIndex;
  std::vector<UpsertEntry> batch;
  std::vector<std::size_t> byId;  // updates carrying no identifier: v2 batch PATCH by id
  std::vector<sdk::Object> byIdBodies;

  const auto flush = [&]() -> sdk::Status {
    if (batch.empty()) return {};
    sdk::List persons;
    persons.reserve(batch.size());
    for (const auto& e : batch) persons.emplace_back(e.person);
    auto response = send(Call{"PATCH", "/people/3/persons/upsert",
                              sdk::Value(sdk::Object{{"persons", std::move(persons)}}).toJson(),
                              bucket::kUpsert, "upsert persons", true});
    if (!response) return response.takeError();
    if (response->status != 200 && response->status != 207) {
      // Nothing is known to be written: the host retries the batch (upserts replay harmlessly).
      return errorFromResponse("upsert persons", response->status, response->body);
    }
    auto outcomes = parseUpsertAnswer(response->body, batch.size());
    if (!outcomes) return outcomes.takeError();
    for (std::size_t k = 0; k < batch.size(); ++k) {
      auto r = toWriteResult((*outcomes)[k]);
      if (r.outcome == Outcome::kRejected) {
        r.field = fieldOfProperty(r.field, batch[k]);
        // A clash names every holder, the record's own person included: report the other one.
        for (const auto& holder : (*outcomes)[k].holders) {
          if (holder != ops[batchIndex[k]].id) {
            r.conflictingId = holder;
            break;
          }
        }
      }
      results[batchIndex[k]] = std::move(r);
    }
    batch.clear();
    batchIndex.clear();
    return {};
  };

  for (const auto i : which) {
    if (results[i]) continue;  // already rejected (attribute provisioning)
    const sdk::WriteOp& op = ops[i];
    sdk::Object fields = op.fields;
    fields.erase("company");
    const bool create = op.kind == sdk::WriteOp::Kind::kCreate;
    if (create) {
      const char* missing = nullptr;
      if (settings_.writeKey == WriteKey::kExternalId && !hasText(fields, "externalId")) {
        if (!op.idempotencyKey.empty()) {
          fields.set("externalId",
                     op.idempotencyKey);  // the source key makes the create replayable
        } else {
          missing = "an externalId (map one, or let the source record's key fill it)";
        }
      } else if (settings_.writeKey == WriteKey::kEmail &&
                 !hasText(fields, "contactInformation.email")) {
        missing = "an email (write_key is email)";
      } else if (settings_.writeKey == WriteKey::kPhone &&
                 !hasText(fields, "contactInformation.phone")) {
        missing = "a phone (write_key is phone)";
      }
      if (missing != nullptr) {
        results[i] = rejected(sdk::Error::make(ErrorCode::kInvalidArgument,
                                               std::string("a new person needs ") + missing));
        continue;
      }
    }
    // Writing as a Customer promotes a Lead (conversion). Writing as a Lead sets the type only on
    // creates: an update must not demote a person someone already made a Customer.
    const bool setType = kind == EntityKind::kCustomer || create;
    auto entry = buildUpsertPerson(fields, setType ? personType(kind) : nullptr);
    if (!entry) {
      results[i] = rejected(entry.takeError());
      continue;
    }
    const bool identified = hasText(fields, "externalId") ||
                            hasText(fields, "contactInformation.email") ||
                            hasText(fields, "contactInformation.phone");
    if (!identified) {
      if (!numericId(op.id)) {
        results[i] = rejected(
            sdk::Error::make(ErrorCode::kInvalidArgument,
                             "a person needs an externalId, an email or a phone to be written"));
      } else {
        byId.push_back(i);
        byIdBodies.push_back(toV2(std::move(entry->person)));
      }
      continue;
    }
    batchIndex.push_back(i);
    batch.push_back(std::move(entry).value());
    if (batch.size() >= static_cast<std::size_t>(settings_.writeBatch)) {
      if (auto s = flush(); !s) return s;
    }
  }
  if (auto s = flush(); !s) return s;

  for (std::size_t start = 0; start < byId.size(); start += 1000) {
    const std::size_t end = std::min(byId.size(), start + 1000);
    sdk::List people;
    for (std::size_t k = start; k < end; ++k) {
      people.emplace_back(
          sdk::Object{{"query", sdk::Object{{"type", "ID"}, {"identifier", ops[byId[k]].id}}},
                      {"update", std::move(byIdBodies[k])}});
    }
    auto answer = sendJson(Call{"PATCH", "/people/2/persons/batch",
                                sdk::Value(sdk::Object{{"people", std::move(people)}}).toJson(),
                                bucket::kUpsert, "update persons by id", true});
    if (!answer) return answer.takeError();
    std::map<std::string, const sdk::Object*> failures;
    if (const sdk::Value* list = answer->find("results"); list != nullptr && list->isList()) {
      for (const auto& r : list->asList()) {
        if (!r.isObject() || statusOf(r.asObject()) == 200) continue;
        const sdk::Value* q = r.asObject().find("query");
        const sdk::Value* identifier =
            q != nullptr && q->isObject() ? q->asObject().find("identifier") : nullptr;
        if (identifier != nullptr && identifier->isString())
          failures[identifier->asString()] = &r.asObject();
        if (identifier != nullptr && identifier->isInteger()) {
          failures[std::to_string(identifier->asInteger())] = &r.asObject();
        }
      }
    }
    for (std::size_t k = start; k < end; ++k) {
      const std::size_t i = byId[k];
      if (const auto it = failures.find(ops[i].id); it != failures.end()) {
        const int status = statusOf(*it->second);
        const std::string message = firstError(*it->second);
        auto error =
            sdk::Error::make(noMatch(message) ? ErrorCode::kNotFound : codeOfEntryStatus(status),
                             message, status >= 500);
        auto r = rejected(std::move(error));
        r.conflictingId = conflictingIdIn(message);
        results[i] = std::move(r);
      } else {
        sdk::WriteResult r;
        r.outcome = Outcome::kUpdated;
        r.id = ops[i].id;
        results[i] = std::move(r);
      }
    }
  }
  return {};
}

void PeopleConnector::removeDroppedValues(const std::vector<sdk::WriteOp>& ops,
                                          const std::vector<std::size_t>& which,
                                          std::vector<std::optional<sdk::WriteResult>>& results) {
  std::map<std::string, std::vector<std::size_t>> tagRemovals;
  for (const auto i : which) {
    if (!succeeded(results[i]) || !ops[i].previous) continue;
    const std::string id = results[i]->id.empty() ? ops[i].id : results[i]->id;
    if (!numericId(id)) continue;
    const auto emails = dropped(ops[i], "contactInformation.email", lower);
    const auto phones = dropped(ops[i], "contactInformation.phone", withoutPlus);
    if (!emails.empty() || !phones.empty()) {
      sdk::List emailList;
      for (const auto& e : emails) emailList.emplace_back(sdk::Object{{"address", e}});
      sdk::List phoneList;
      for (const auto& p : phones) phoneList.emplace_back(sdk::Object{{"number", withoutPlus(p)}});
      sdk::Object contacts;
      if (!emailList.empty()) contacts.set("email", std::move(emailList));
      if (!phoneList.empty()) contacts.set("phone", std::move(phoneList));
      auto response =
          send(Call{"DELETE", "/people/2/persons/contactInformation?type=ID&identifier=" + id,
                    sdk::Value(sdk::Object{{"contactInformation", std::move(contacts)}}).toJson(),
                    bucket::kContactsDelete, "remove contact information", true});
      if (!response) {
        results[i] = rejected(response.takeError(), "contactInformation");
      } else if (response->status >= 300 && response->status != 404) {
        results[i] = rejected(
            errorFromResponse("remove contact information", response->status, response->body),
            "contactInformation");
      }
    }
    for (const auto& tag : dropped(ops[i], "tags", identityText)) tagRemovals[tag].push_back(i);
  }
  for (const auto& [tag, members] : tagRemovals) {
    for (std::size_t start = 0; start < members.size(); start += 1000) {
      const std::size_t end = std::min(members.size(), start + 1000);
      sdk::List people;
      for (std::size_t k = start; k < end; ++k) {
        const auto i = members[k];
        const std::string id = results[i]->id.empty() ? ops[i].id : results[i]->id;
        people.emplace_back(
            sdk::Object{{"query", sdk::Object{{"type", "ID"}, {"identifier", id}}}});
      }
      auto response = send(Call{"DELETE", "/people/2/tags/" + percentEncode(tag) + "/persons",
                                sdk::Value(sdk::Object{{"people", std::move(people)}}).toJson(),
                                bucket::kTagsRemove, "remove tag \"" + tag + "\"", true});
      std::optional<sdk::Error> error;
      if (!response) {
        error = response.takeError();
      } else if (response->status >= 300 && response->status != 404) {  // 404: the tag is gone
        error = errorFromResponse("remove tag \"" + tag + "\"", response->status, response->body);
      }
      if (!error) continue;
      for (std::size_t k = start; k < end; ++k) {
        if (succeeded(results[members[k]])) results[members[k]] = rejected(*error, "tags");
      }
    }
  }
}

void PeopleConnector::linkCompanies(const std::vector<sdk::WriteOp>& ops,
                                    const std::vector<std::size_t>& which,
                                    std::vector<std::optional<sdk::WriteResult>>& results) {
  // (selector, value) -> ops to link / unlink
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> links;
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> unlinks;
  const auto selectorOf =
      [](const sdk::Object& record) -> std::optional<std::pair<std::string, std::string>> {
    for (const char* key : {"externalId", "name"}) {
      const auto values = texts(sdk::findPath(record, std::string("company.") + key));
      if (!values.empty()) return std::make_pair(std::string(key), values.front());
    }
    return std::nullopt;
  };
  for (const auto i : which) {
    if (!succeeded(results[i]) || results[i]->id.empty()) continue;
    if (sdk::findPath(ops[i].fields, "company") == nullptr) continue;  // links not mapped
    const auto desired = selectorOf(ops[i].fields);
    const auto before = ops[i].previous ? selectorOf(*ops[i].previous) : std::nullopt;
    const bool created = results[i]->outcome == Outcome::kCreated;
    if (desired && (created || desired != before)) links[*desired].push_back(i);
    if (before && before != desired) unlinks[*before].push_back(i);
  }
  const auto run = [&](const char* method, const auto& groups, const char* bucketName,
                       const char* verb) {
    for (const auto& [selector, members] : groups) {
      for (std::size_t start = 0; start < members.size(); start += 1000) {
        const std::size_t end = std::min(members.size(), start + 1000);
        sdk::List people;
        for (std::size_t k = start; k < end; ++k) {
          people.emplace_back(sdk::Object{
              {"query", sdk::Object{{"type", "ID"}, {"identifier", results[members[k]]->id}}}});
        }
        const std::string what =
            std::string(verb) + " company " + selector.first + "=" + selector.second;
        auto response = send(Call{
            method,
            "/people/2/companies/persons?" + selector.first + "=" + percentEncode(selector.second),
            sdk::Value(sdk::Object{{"people", std::move(people)}}).toJson(), bucketName, what,
            true});
        std::optional<sdk::Error> error;
        if (!response) {
          error = response.takeError();
        } else if (response->status == 404 && std::string(method) == "PATCH") {
          // The company may not be synced yet: retriable, the companies flow can create it.
          error = sdk::Error::make(ErrorCode::kNotFound,
                                   what + ": no such company (sync companies first)", true,
                                   "NOT_FOUND");
        } else if (response->status >= 300 && response->status != 404) {
          error = errorFromResponse(what, response->status, response->body);
        }
        if (!error) continue;
        for (std::size_t k = start; k < end; ++k) {
          if (succeeded(results[members[k]]))
            results[members[k]] = rejected(*error, "company." + selector.first);
        }
      }
    }
  };
  run("DELETE", unlinks, bucket::kCompanyUnlink, "unlink from");
  run("PATCH", links, bucket::kCompanyLink, "link to");
}

sdk::Status PeopleConnector::deletePersons(const std::vector<sdk::WriteOp>& ops,
                                           const std::vector<std::size_t>& which,
                                           std::vector<std::optional<sdk::WriteResult>>& results) {
  for (std::size_t start = 0; start < which.size(); start += 1000) {
    const std::size_t end = std::min(which.size(), start + 1000);
    sdk::List people;
    for (std::size_t k = start; k < end; ++k) {
      people.emplace_back(
          sdk::Object{{"query", sdk::Object{{"type", "ID"}, {"identifier", ops[which[k]].id}}}});
    }
    auto answer = sendJson(Call{"DELETE", "/people/2/persons/batch",
                                sdk::Value(sdk::Object{{"people", std::move(people)}}).toJson(),
                                bucket::kBatchDelete, "delete persons", true});
    if (!answer) return answer.takeError();
    std::map<std::string, std::string> failures;  // id -> message
    if (const sdk::Value* list = answer->find("results"); list != nullptr && list->isList()) {
      for (const auto& r : list->asList()) {
        if (!r.isObject() || statusOf(r.asObject()) == 200) continue;
        const sdk::Value* q = r.asObject().find("query");
        const sdk::Value* identifier =
            q != nullptr && q->isObject() ? q->asObject().find("identifier") : nullptr;
        if (identifier == nullptr) continue;
        const std::string id = identifier->isString()    ? identifier->asString()
                               : identifier->isInteger() ? std::to_string(identifier->asInteger())
                                                         : std::string();
        failures[id] = firstError(r.asObject());
      }
    }
    for (std::size_t k = start; k < end; ++k) {
      const auto i = which[k];
      const auto it = failures.find(ops[i].id);
      if (it != failures.end() && !noMatch(it->second)) {
        results[i] = rejected(sdk::Error::make(ErrorCode::kInvalidArgument, it->second));
        continue;
      }
      sdk::WriteResult r;  // deleted now, or already gone: either way it no longer exists
      r.outcome = Outcome::kDeleted;
      r.id = ops[i].id;
      results[i] = std::move(r);
    }
  }
  return {};
}

sdk::Result<std::vector<sdk::WriteResult>> PeopleConnector::writeCompanies(
    const std::vector<sdk::WriteOp>& ops) {
  std::vector<std::optional<sdk::WriteResult>> results(ops.size());
  std::vector<std::size_t> keyedCreates;  // creates with an externalId: PATCH first (replay-safe)
  std::vector<std::size_t> creates;
  std::vector<std::size_t> updates;
  std::vector<std::size_t> deletes;
  std::vector<sdk::Object> bodies(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto& op = ops[i];
    if (op.kind == sdk::WriteOp::Kind::kDelete) {
      deletes.push_back(i);
      continue;
    }
    auto body = buildCompany(op.fields);
    if (!body) {
      results[i] = rejected(body.takeError());
      continue;
    }
    bodies[i] = std::move(body).value();
    if (op.kind == sdk::WriteOp::Kind::kUpdate) {
      if (numericId(op.id)) {
        updates.push_back(i);
      } else {
        results[i] =
            rejected(sdk::Error::make(ErrorCode::kInvalidArgument,
                                      "update needs a People company id, not \"" + op.id + "\""));
      }
    } else if (hasText(op.fields, "externalId")) {
      keyedCreates.push_back(i);
    } else {
      creates.push_back(i);
    }
  }

  // One batch call; calls `onEntry(i, status, id, message)` per entry, in order.
  const auto batchCall = [&](const char* method, const std::vector<std::size_t>& which,
                             auto makeEntry, const char* bucketName, const std::string& what,
                             auto onEntry) -> sdk::Status {
    for (std::size_t start = 0; start < which.size(); start += 1000) {
      const std::size_t end = std::min(which.size(), start + 1000);
      sdk::List companies;
      for (std::size_t k = start; k < end; ++k) companies.emplace_back(makeEntry(which[k]));
      auto answer =
          sendJson(Call{method, "/people/2/companies/batch",
                        sdk::Value(sdk::Object{{"companies", std::move(companies)}}).toJson(),
                        bucketName, what, std::string(method) != "POST"});
      if (!answer) return answer.takeError();
      const sdk::Value* list = answer->find("results");
      if (list == nullptr || !list->isList() || list->asList().size() != end - start) {
        return sdk::Error::make(ErrorCode::kMalformedResponse,
                                what + ": expected one result per company", true);
      }
      for (std::size_t k = start; k < end; ++k) {
        const sdk::Value& entry = list->asList()[k - start];
        if (!entry.isObject()) {
          return sdk::Error::make(ErrorCode::kMalformedResponse,
                                  what + ": a result is not an object", true);
        }
        onEntry(which[k], statusOf(entry.asObject()), idOf(entry.asObject()).value_or(""),
                firstError(entry.asObject()));
      }
    }
    return {};
  };
  const auto failure = [](int status, const std::string& message) {
    return rejected(sdk::Error::make(codeOfEntryStatus(status), message, status >= 500), {});
  };
  const auto ok = [](Outcome outcome, std::string id) {
    sdk::WriteResult r;
    r.outcome = outcome;
    r.id = std::move(id);
    return r;
  };

  auto s = batchCall(
      "PATCH", keyedCreates,
      [&](std::size_t i) {
        return sdk::Object{
            {"query", sdk::Object{{"externalId",
                                   texts(sdk::findPath(ops[i].fields, "externalId")).front()}}},
            {"update", bodies[i]}};
      },
      bucket::kCompaniesUpdate, "update companies by externalId",
      [&](std::size_t i, int status, const std::string& id, const std::string& message) {
        if (status == 200) {
          results[i] = ok(Outcome::kUpdated, id);
        } else if (noMatch(message)) {
          creates.push_back(i);
        } else {
          results[i] = failure(status, message);
        }
      });
  if (!s) return s.takeError();
  s = batchCall(
      "POST", creates, [&](std::size_t i) { return bodies[i]; }, bucket::kCompaniesCreate,
      "create companies",
      [&](std::size_t i, int status, const std::string& id, const std::string& message) {
        results[i] = status == 200 ? ok(Outcome::kCreated, id) : failure(status, message);
        if (status == 409) results[i]->field = "name";
      });
  if (!s) return s.takeError();
  s = batchCall(
      "PATCH", updates,
      [&](std::size_t i) {
        return sdk::Object{{"query", sdk::Object{{"id", *numericId(ops[i].id)}}},
                           {"update", bodies[i]}};
      },
      bucket::kCompaniesUpdate, "update companies",
      [&](std::size_t i, int status, const std::string& id, const std::string& message) {
        results[i] = status == 200      ? ok(Outcome::kUpdated, id.empty() ? ops[i].id : id)
                     : noMatch(message) ? rejected(sdk::Error::make(ErrorCode::kNotFound, message))
                                        : failure(status, message);
      });
  if (!s) return s.takeError();
  // Batch PATCH appends tags and domains: where the desired lists dropped items, replace them.
  for (const auto i : updates) {
    if (!succeeded(results[i])) continue;
    sdk::Object lists;
    for (const char* key : {"tags", "domains"}) {
      if (!dropped(ops[i], key, identityText).empty())
        lists.set(key, bodies[i].find(key) ? *bodies[i].find(key) : sdk::List{});
    }
    if (lists.empty()) continue;
    auto response = send(Call{
        "PATCH", "/people/2/companies?id=" + ops[i].id + "&replaceTags=true&replaceDomains=true",
        sdk::Value(std::move(lists)).toJson(), bucket::kCompaniesUpdate,
        "replace company tags and domains", true});
    if (!response) {
      results[i] = rejected(response.takeError());
    } else if (response->status >= 300) {
      results[i] = rejected(
          errorFromResponse("replace company tags and domains", response->status, response->body));
    }
  }
  s = batchCall(
      "DELETE", deletes,
      [&](std::size_t i) {
        const auto id = numericId(ops[i].id);
        return sdk::Object{
            {"query", id ? sdk::Object{{"id", *id}} : sdk::Object{{"externalId", ops[i].id}}}};
      },
      bucket::kCompaniesDelete, "delete companies",
      [&](std::size_t i, int status, const std::string&, const std::string& message) {
        results[i] = status == 200 || noMatch(message) ? ok(Outcome::kDeleted, ops[i].id)
                                                       : failure(status, message);
      });
  if (!s) return s.takeError();

  std::vector<sdk::WriteResult> out;
  for (auto& r : results) {
    out.push_back(r ? std::move(*r)
                    : rejected(sdk::Error::make(ErrorCode::kInternal, "no outcome recorded")));
  }
  return out;
}

}  // namespace ferry::plugins::people
