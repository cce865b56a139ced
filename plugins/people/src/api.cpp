// Wire formats of the People API (reference §5, §9, §11, §12).
#include "ferry/plugins/people/api.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace ferry::plugins::people {

namespace {

using sdk::ErrorCode;
using sdk::Object;
using sdk::Value;

const std::string* textAt(const Object& o, std::string_view key) {
  const Value* v = o.find(key);
  return v != nullptr && v->isString() ? &v->asString() : nullptr;
}

const Object* objectAt(const Object& o, std::string_view key) {
  const Value* v = o.find(key);
  return v != nullptr && v->isObject() ? &v->asObject() : nullptr;
}

const sdk::List* listAt(const Object& o, std::string_view key) {
  const Value* v = o.find(key);
  return v != nullptr && v->isList() ? &v->asList() : nullptr;
}

// Codes and messages may arrive as numbers or strings.
std::string scalarText(const Value* v) {
  if (v == nullptr) return {};
  if (v->isString()) return v->asString();
  if (v->isInteger()) return std::to_string(v->asInteger());
  return {};
}

ErrorCode codeForStatus(int status) {
  switch (status) {
    case 400:
    case 413:
    case 422:
      return ErrorCode::kInvalidArgument;
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kConflict;
    case 429:
      return ErrorCode::kRateLimited;
    default:
      return ErrorCode::kUnavailable;
  }
}

// A printable excerpt of an unparsable body (control characters replaced, cut at 160).
std::string excerpt(std::string_view body) {
  std::string out;
  for (const char c : body.substr(0, 160)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  }
  if (body.size() > 160) out += "...";
  return out;
}

// Standard person attributes that travel as text in both directions.
constexpr std::array<const char*, 10> kPersonText = {
    "externalId", "firstName", "lastName", "middleName",        "gender",
    "address",    "city",      "country",  "preferredLanguage", "profilePicture"};
constexpr std::array<const char*, 3> kPersonReadOnlyText = {"type", "origin", "modifiedFrom"};

constexpr std::array<const char*, 11> kCompanyText = {
    "name",          "externalId",     "country",   "region", "industry", "segment",
    "customerStage", "accountManager", "vatNumber", "notes",  "origin"};

Value typedAttribute(const Value& raw, const std::string* dataType) {
  if (dataType == nullptr || !raw.isString()) return raw;
  if (*dataType == "DATE") {
    if (auto d = sdk::Date::parseIso(raw.asString())) return *d;
  } else if (*dataType == "DATE_TIME") {
    if (auto t = sdk::DateTime::parseIso(raw.asString())) return *t;
  }
  return raw;
}

Value wireValue(const Value& v) {
  if (v.isDate()) return v.asDate().toIso();
  if (v.isDateTime()) return v.asDateTime().toIso();
  return v;
}

// A scalar or list of text values (a mapped scalar becomes a one-element list).
sdk::Result<std::vector<std::string>> textList(const Value& v, const std::string& field) {
  std::vector<std::string> out;
  if (v.isNull()) return out;
  if (v.isString()) {
    if (!v.asString().empty()) out.push_back(v.asString());
    return out;
  }
  if (!v.isList()) {
    return sdk::Error::make(ErrorCode::kInvalidArgument,
                            field + " must be text or a list of text, not " + v.preview());
  }
  for (const auto& item : v.asList()) {
    if (item.isNull()) continue;
    if (!item.isString()) {
      return sdk::Error::make(ErrorCode::kInvalidArgument,
                              field + " items must be text, not " + item.preview());
    }
    if (!item.asString().empty()) out.push_back(item.asString());
  }
  return out;
}

bool isReadOnlyField(std::string_view name) {
  return name == "id" || name == "origin" || name == "modifiedFrom" || name == "createdAt" ||
         name == "modifiedAt" || name == "type";
}

}  // namespace

// ---- Errors -----------------------------------------------------------------------------------

sdk::Error errorFromResponse(std::string_view what, int status, std::string_view body) {
  const ErrorCode code = codeForStatus(status);
  const bool retriable = status == 429 || status >= 500;
  std::string message = std::string(what) + ": HTTP " + std::to_string(status);
  std::string remote;
  const auto json = Value::fromJson(body);
  const Object* root = json && json->isObject() ? &json->asObject() : nullptr;
  const Object* legacy = nullptr;
  if (root != nullptr) {
    if (const Object* re = objectAt(*root, "requestError"))
      legacy = objectAt(*re, "serviceException");
  }
  if (legacy != nullptr) {
    remote = scalarText(legacy->find("messageId"));
    message += " " + remote;
    if (const auto* text = textAt(*legacy, "text")) message += ": " + *text;
    if (const Object* v = objectAt(*legacy, "validationErrors"); v != nullptr && !v->empty()) {
      std::string details;
      for (const auto& [path, messages] : *v) {
        std::string joined;
        if (messages.isList()) {
          for (const auto& m : messages.asList()) {
            if (m.isString()) joined += (joined.empty() ? "" : ", ") + m.asString();
          }
        } else if (messages.isString()) {
          joined = messages.asString();
        }
        details += (details.empty() ? "" : "; ") + path + ": " + joined;
      }
      message += " (" + details + ")";
    }
  } else if (root != nullptr && root->contains("errorCode")) {
    remote = scalarText(root->find("errorCode"));
    message += " " + remote;
    if (const auto* d = textAt(*root, "description")) message += ": " + *d;
    if (const auto* violations = listAt(*root, "violations")) {
      std::string details;
      for (const auto& item : *violations) {
        if (!item.isObject()) continue;
        const auto* p = textAt(item.asObject(), "property");
        const auto* m = textAt(item.asObject(), "violation");
        details += (details.empty() ? "" : "; ") + (p ? *p : std::string("?")) + ": " +
                   (m ? *m : std::string("?"));
      }
      if (!details.empty()) message += " (" + details + ")";
    }
  } else if (root != nullptr && root->contains("code") && root->contains("message")) {
    remote = scalarText(root->find("code"));
    message += " " + remote + ": " + scalarText(root->find("message"));
    if (const auto* details = listAt(*root, "details")) {
      std::string text;
      for (const auto& item : *details) {
        if (!item.isObject()) continue;
        const auto* p = textAt(item.asObject(), "property");
        const auto* m = textAt(item.asObject(), "message");
        text += (text.empty() ? "" : "; ") + (p ? *p : std::string("?")) + ": " +
                (m ? *m : std::string("?"));
      }
      if (!text.empty()) message += " (" + text + ")";
    }
  } else if (!body.empty()) {
    message += " with an unrecognised body: " + excerpt(body);
  }
  return sdk::Error::make(code, std::move(message), retriable, std::move(remote));
}

// ---- URLs and times ---------------------------------------------------------------------------

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::optional<std::int64_t> parsePeopleTime(std::string_view text) {
  // Exactly "yyyy-MM-ddTHH:mm:ss", optionally with a fraction or zone (tolerated, not required).
  if (text.size() < 19 || text[10] != 'T') return std::nullopt;
  const auto t = sdk::DateTime::parseIso(text);
  if (!t) return std::nullopt;
  return t->epochMs;
}

// ---- Entities ---------------------------------------------------------------------------------

std::optional<EntityKind> entityKind(std::string_view entity) {
  if (entity == "Customer") return EntityKind::kCustomer;
  if (entity == "Lead") return EntityKind::kLead;
  if (entity == "Company") return EntityKind::kCompany;
  return std::nullopt;
}

const char* personType(EntityKind kind) { return kind == EntityKind::kLead ? "LEAD" : "CUSTOMER"; }

sdk::Object nestDotted(const Object& record) {
  Object out;
  for (const auto& [key, value] : record) {
    if (key.find('.') == std::string::npos) {
      Value* existing = out.find(key);
      if (existing != nullptr && existing->isObject() && value.isObject()) {
        for (const auto& [k, v] : value.asObject()) existing->asObject().set(k, v);
      } else {
        out.set(key, value);
      }
    }
  }
  for (const auto& [key, value] : record) {
    if (key.find('.') != std::string::npos) sdk::setPath(out, key, value);
  }
  return out;
}

std::optional<std::string> idOf(const Object& object) {
  const Value* id = object.find("id");
  if (id == nullptr) return std::nullopt;
  if (id->isInteger()) return std::to_string(id->asInteger());
  if (id->isString() && !id->asString().empty() &&
      std::all_of(id->asString().begin(), id->asString().end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    return id->asString();
  }
  return std::nullopt;
}

sdk::Object personToRecord(const Object& person, const AttributeTypes& attributes) {
  Object record;
  if (auto id = idOf(person)) record.set("id", *id);
  for (const char* key : kPersonText) {
    if (const auto* v = textAt(person, key)) record.set(key, *v);
  }
  for (const char* key : kPersonReadOnlyText) {
    if (const auto* v = textAt(person, key)) record.set(key, *v);
  }
  if (const auto* b = textAt(person, "birthDate")) {
    if (auto d = sdk::Date::parseIso(*b)) record.set("birthDate", *d);
  }
  for (const char* key : {"createdAt", "modifiedAt"}) {
    if (const auto* t = textAt(person, key)) {
      if (auto ms = parsePeopleTime(*t)) record.set(key, sdk::DateTime{*ms});
    }
  }
  sdk::List tags;
  if (const auto* list = listAt(person, "tags")) {
    for (const auto& t : *list) {
      if (t.isString()) tags.emplace_back(t.asString());
    }
  }
  record.set("tags", std::move(tags));
  sdk::List emails;
  sdk::List phones;
  if (const Object* ci = objectAt(person, "contactInformation")) {
    if (const auto* list = listAt(*ci, "email")) {
      for (const auto& e : *list) {
        if (const auto* a = e.isObject() ? textAt(e.asObject(), "address") : nullptr)
          emails.emplace_back(*a);
      }
    }
    if (const auto* list = listAt(*ci, "phone")) {
      for (const auto& p : *list) {
        if (const auto* n = p.isObject() ? textAt(p.asObject(), "number") : nullptr) {
          phones.emplace_back(n->starts_with('+') ? *n : "+" + *n);
        }
      }
    }
  }
  Object contacts;
  contacts.set("email", std::move(emails));
  contacts.set("phone", std::move(phones));
  record.set("contactInformation", std::move(contacts));
  Object custom;
  if (const Object* ca = objectAt(person, "customAttributes")) {
    for (const auto& [name, value] : *ca) {
      const auto it = attributes.find(name);
      custom.set(name, typedAttribute(value, it == attributes.end() ? nullptr : &it->second));
    }
  }
  record.set("customAttributes", std::move(custom));
  return record;
}

sdk::Object companyToRecord(const Object& company) {
  Object record;
  if (auto id = idOf(company)) record.set("id", *id);
  for (const char* key : kCompanyText) {
    if (const auto* v = textAt(company, key)) record.set(key, *v);
  }
  for (const char* key : {"domains", "tags"}) {
    sdk::List items;
    if (const auto* list = listAt(company, key)) {
      for (const auto& t : *list) {
        if (t.isString()) items.emplace_back(t.asString());
      }
    }
    record.set(key, std::move(items));
  }
  for (const char* key : {"createdAt", "modifiedAt"}) {
    if (const auto* t = textAt(company, key)) {
      if (auto ms = parsePeopleTime(*t)) record.set(key, sdk::DateTime{*ms});
    }
  }
  if (const Object* ca = objectAt(company, "customAttributes")) record.set("customAttributes", *ca);
  return record;
}

sdk::Result<UpsertEntry> buildUpsertPerson(const Object& fields, const char* type) {
  UpsertEntry entry;
  Object& person = entry.person;
  if (type != nullptr) person.set("type", type);
  const auto bad = [](std::string message) {
    return sdk::Error::make(ErrorCode::kInvalidArgument, std::move(message));
  };
  for (const auto& [key, value] : fields) {
    if (isReadOnlyField(key) || key == "company") continue;
    if (std::find_if(kPersonText.begin(), kPersonText.end(),
                     [&](const char* k) { return key == k; }) != kPersonText.end()) {
      if (!value.isNull() && !value.isString())
        return bad(key + " must be text, not " + value.preview());
      person.set(key, value);
    } else if (key == "birthDate") {
      if (value.isDate()) {
        person.set(key, value.asDate().toIso());
      } else if (value.isString() || value.isNull()) {
        person.set(key, value);
      } else {
        return bad("birthDate must be a date, not " + value.preview());
      }
    } else if (key == "tags") {
      auto tags = textList(value, "tags");
      if (!tags) return tags.takeError();
      sdk::List list(tags->begin(), tags->end());
      person.set("tags", std::move(list));
    } else if (key == "customAttributes") {
      if (value.isNull()) continue;
      if (!value.isObject())
        return bad("customAttributes must be an object, not " + value.preview());
      Object custom;
      for (const auto& [name, v] : value.asObject()) custom.set(name, wireValue(v));
      person.set("customAttributes", std::move(custom));
    } else if (key == "contactInformation") {
      if (value.isNull()) continue;
      if (!value.isObject())
        return bad("contactInformation must be an object, not " + value.preview());
      sdk::List contacts;
      for (const auto& [kind, items] : value.asObject()) {
        const std::string field = "contactInformation." + kind;
        if (kind != "email" && kind != "phone") {
          return bad(field + " is not writable (only email and phone are)");
        }
        auto values = textList(items, field);
        if (!values) return values.takeError();
        for (const auto& text : *values) {
          std::string identifier = text;
          // People stores phones as international digits without '+'.
          if (kind == "phone" && identifier.starts_with('+')) identifier.erase(0, 1);
          contacts.emplace_back(Object{{"type", kind == "email" ? "EMAIL" : "PHONE"},
                                       {"identifier", std::move(identifier)}});
          entry.contactPaths.push_back(field);
        }
      }
      if (!contacts.empty()) person.set("contactInformation", std::move(contacts));
    } else {
      return bad("\"" + key + "\" is not a People person attribute");
    }
  }
  return entry;
}

sdk::Result<sdk::Object> buildCompany(const Object& fields) {
  Object company;
  for (const auto& [key, value] : fields) {
    if (key == "id" || key == "origin" || key == "createdAt" || key == "modifiedAt") continue;
    if (std::find_if(kCompanyText.begin(), kCompanyText.end(),
                     [&](const char* k) { return key == k; }) != kCompanyText.end()) {
      if (!value.isNull() && !value.isString()) {
        return sdk::Error::make(ErrorCode::kInvalidArgument,
                                key + " must be text, not " + value.preview());
      }
      company.set(key, value);
    } else if (key == "domains" || key == "tags") {
      auto items = textList(value, key);
      if (!items) return items.takeError();
      company.set(key, sdk::List(items->begin(), items->end()));
    } else if (key == "customAttributes") {
      if (value.isNull()) continue;
      if (!value.isObject()) {
        return sdk::Error::make(ErrorCode::kInvalidArgument,
                                "customAttributes must be an object, not " + value.preview());
      }
      Object custom;
      for (const auto& [name, v] : value.asObject()) custom.set(name, wireValue(v));
      company.set(key, std::move(custom));
    } else {
      return sdk::Error::make(ErrorCode::kInvalidArgument,
                              "\"" + key + "\" is not a People company attribute");
    }
  }
  return company;
}

sdk::Result<std::vector<UpsertOutcome>> parseUpsertAnswer(std::string_view body,
                                                          std::size_t count) {
  const auto malformed = [&](const std::string& why) {
    return sdk::Error::make(ErrorCode::kMalformedResponse,
                            "upsert persons: unexpected answer (" + why + "): " + excerpt(body),
                            true);
  };
  const auto json = Value::fromJson(body);
  if (!json || !json->isObject()) return malformed("not a JSON object");
  std::vector<UpsertOutcome> outcomes(count);
  std::vector<bool> filled(count, false);
  const auto indexOf = [&](const Object& item) -> std::optional<std::size_t> {
    const Value* i = item.find("index");
    if (i == nullptr || !i->isInteger() || i->asInteger() < 0 ||
        static_cast<std::size_t>(i->asInteger()) >= count) {
      return std::nullopt;
    }
    return static_cast<std::size_t>(i->asInteger());
  };
  if (const auto* results = listAt(json->asObject(), "results")) {
    for (const auto& r : *results) {
      if (!r.isObject()) return malformed("a result is not an object");
      const auto index = indexOf(r.asObject());
      const auto* status = textAt(r.asObject(), "status");
      if (!index || status == nullptr) return malformed("a result lacks index or status");
      outcomes[*index].id = idOf(r.asObject());
      outcomes[*index].status = *status;
      filled[*index] = true;
    }
  }
  if (const auto* errors = listAt(json->asObject(), "errors")) {
    for (const auto& e : *errors) {
      if (!e.isObject()) return malformed("an error is not an object");
      const auto index = indexOf(e.asObject());
      if (!index) return malformed("an error lacks a valid index");
      UpsertOutcome& o = outcomes[*index];
      o.code = scalarText(e.asObject().find("code"));
      o.message = scalarText(e.asObject().find("message"));
      if (const auto* details = listAt(e.asObject(), "details")) {
        for (const auto& d : *details) {
          if (!d.isObject()) continue;
          std::string property = scalarText(d.asObject().find("property"));
          const std::string text = scalarText(d.asObject().find("message"));
          const std::string prefix = "persons[" + std::to_string(*index) + "]";
          if (property.starts_with(prefix)) property.erase(0, prefix.size());
          if (property.starts_with('.')) property.erase(0, 1);
          if (o.property.empty()) o.property = property;
          o.message += "; " + (property.empty() ? std::string() : property + ": ") + text;
          if (auto holder = conflictingIdIn(text); !holder.empty())
            o.holders.push_back(std::move(holder));
        }
      }
      o.conflictingId = o.holders.empty() ? conflictingIdIn(o.message) : o.holders.front();
      filled[*index] = true;
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (!filled[i]) return malformed("no outcome for record " + std::to_string(i));
  }
  return outcomes;
}

std::string fieldOfProperty(const std::string& property, const UpsertEntry& entry) {
  if (property.starts_with("contactInformation[")) {
    std::size_t index = 0;
    const char* begin = property.data() + 19;
    const auto [end, ec] = std::from_chars(begin, property.data() + property.size(), index);
    if (ec == std::errc() && index < entry.contactPaths.size()) return entry.contactPaths[index];
    return "contactInformation";
  }
  if (property.starts_with("customAttributes")) {
    // "customAttributes.Tier" or "customAttributes[Tier]".
    std::string name = property.substr(16);
    if (name.starts_with('.')) name.erase(0, 1);
    if (name.starts_with('[') && name.ends_with(']')) name = name.substr(1, name.size() - 2);
    return name.empty() ? "customAttributes" : "customAttributes." + name;
  }
  const auto end = property.find_first_of(".[");
  return property.substr(0, end);
}

std::string conflictingIdIn(std::string_view text) {
  const auto at = text.find("person ");
  if (at == std::string_view::npos) return {};
  std::string id;
  for (std::size_t i = at + 7; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]));
       ++i) {
    id.push_back(text[i]);
  }
  return id;
}

sdk::WriteResult toWriteResult(const UpsertOutcome& o) {
  sdk::WriteResult r;
  if (o.status == "CREATED" || o.status == "UPDATED" || o.status == "NOT_MODIFIED") {
    r.outcome = o.status == "CREATED"   ? sdk::WriteResult::Outcome::kCreated
                : o.status == "UPDATED" ? sdk::WriteResult::Outcome::kUpdated
                                        : sdk::WriteResult::Outcome::kUnchanged;
    r.id = o.id.value_or("");
    return r;
  }
  r.outcome = sdk::WriteResult::Outcome::kRejected;
  // 409100: identifiers held by other persons; 5xxxxx: People failed; a status outside the
  // documented three is reported, not guessed at; the rest (400xxx) is the record's own fault.
  ErrorCode code = ErrorCode::kInvalidArgument;
  bool retriable = false;
  if (!o.status.empty()) {
    code = ErrorCode::kMalformedResponse;
  } else if (o.code.starts_with("409")) {
    code = ErrorCode::kConflict;
  } else if (o.code.starts_with("5")) {
    code = ErrorCode::kUnavailable;
    retriable = true;
  } else if (o.code.starts_with("404")) {
    code = ErrorCode::kNotFound;
  }
  std::string message = o.status.empty() ? o.message : "unknown upsert status " + o.status;
  if (!o.conflictingId.empty()) message += " (conflicts with person " + o.conflictingId + ")";
  r.error = sdk::Error::make(code, std::move(message), retriable, o.code);
  r.field = o.property;
  r.conflictingId = o.conflictingId;
  return r;
}

// ---- Webhook ----------------------------------------------------------------------------------

sdk::Result<std::vector<PeopleEvent>> parseWebhook(std::string_view body) {
  std::string error;
  const auto json = Value::fromJson(body, &error);
  const auto bad = [](const std::string& why) {
    return sdk::Error::make(ErrorCode::kInvalidArgument, "People webhook body: " + why);
  };
  if (!json) return bad("not JSON (" + error + ")");
  std::vector<const Value*> items;
  if (json->isList()) {
    for (const auto& v : json->asList()) items.push_back(&v);
  } else {
    items.push_back(&*json);
  }
  std::vector<PeopleEvent> events;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string where = items.size() > 1 ? "event " + std::to_string(i) + ": " : "";
    if (!items[i]->isObject()) return bad(where + "not an object");
    const Object& o = items[i]->asObject();
    const auto* type = textAt(o, "type");
    if (type == nullptr || type->empty()) return bad(where + "\"type\" is missing");
    PeopleEvent event;
    event.type = *type;
    if (const Object* payload = objectAt(o, "payload")) {
      if (const Object* person = objectAt(*payload, "person"))
        event.personId = idOf(*person).value_or("");
      if (const auto* pt = textAt(*payload, "personType")) event.personType = *pt;
    }
    if (event.type.starts_with("PERSON_") && event.personId.empty()) {
      return bad(where + *type + " without payload.person.id");
    }
    events.push_back(std::move(event));
  }
  return events;
}

}  // namespace ferry::plugins::people
