// Custom attribute definitions, tags and companies (Early Access) with person links.
#include <algorithm>
#include <set>

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
constexpr size_t kMaxNameLength = 256;

struct ListParams {
  int limit = 20;
  int page = 1;
  std::string orderBy;  // as given
  std::string field;
  bool descending = false;
  bool includeTotal = false;
};

// limit (1..1000), 1-based page, orderBy field:asc|desc over `orderable`, includeTotalCount.
std::optional<Response> parseListParams(const Request& request,
                                        const std::set<std::string>& orderable,
                                        const std::string& defaultOrder, ListParams& out) {
  std::vector<Violation> violations;
  const auto limit = parseIntParam(request, "limit", 20);
  if (!limit || *limit < 1 || *limit > 1000)
    violations.push_back({"limit", "must be between 1 and 1000"});
  const auto page = parseIntParam(request, "page", 1);
  if (!page || *page < 1) violations.push_back({"page", "must be greater than or equal to 1"});
  const std::string* total = request.param("includeTotalCount");
  if (total != nullptr && *total != "true" && *total != "false" && !total->empty()) {
    violations.push_back({"includeTotalCount", "must be true or false"});
  }
  const std::string* order = request.param("orderBy");
  out.orderBy = order != nullptr && !order->empty() ? *order : defaultOrder;
  const auto colon = out.orderBy.find(':');
  out.field = out.orderBy.substr(0, colon);
  const std::string direction =
      colon == std::string::npos ? "asc" : lowerAscii(out.orderBy.substr(colon + 1));
  if (orderable.count(out.field) == 0 || (direction != "asc" && direction != "desc")) {
    violations.push_back({"orderBy", "unsupported order " + out.orderBy});
  }
  if (!violations.empty()) return legacyError(400, {}, violations);
  out.limit = *limit;
  out.page = *page;
  out.descending = direction == "desc";
  out.includeTotal = total != nullptr && *total == "true";
  return std::nullopt;
}

template <typename T, typename Key>
std::vector<const T*> pageOf(std::vector<const T*> rows, const ListParams& p, Key key) {
  std::stable_sort(rows.begin(), rows.end(), [&](const T* a, const T* b) {
    const auto x = key(*a), y = key(*b);
    return p.descending ? y < x : x < y;
  });
  const size_t begin =
      std::min(rows.size(), static_cast<size_t>(p.page - 1) * static_cast<size_t>(p.limit));
  const size_t end = std::min(rows.size(), begin + static_cast<size_t>(p.limit));
  return {rows.begin() + static_cast<std::ptrdiff_t>(begin),
          rows.begin() + static_cast<std::ptrdiff_t>(end)};
}

void writeListTail(JsonWriter& w, const ListParams& p, size_t total) {
  w.key("limit").value(p.limit).key("page").value(p.page).key("orderBy").value(p.orderBy);
  if (p.includeTotal) w.key("totalCount").value(static_cast<int64_t>(total));
}

bool validName(const std::string& name) {
  return !name.empty() && utf8Length(name) <= kMaxNameLength &&
         name.find_first_of("{}[]") == std::string::npos;
}

}  // namespace

// ---- custom attributes ----

Response PeopleService::listAttributes(const Request& request) {
  ListParams p;
  if (auto error = parseListParams(request, {"name", "createdAt", "modifiedAt"}, "name:asc", p))
    return *error;
  std::vector<const AttributeDef*> rows;
  for (const auto& [name, def] : store_.attributes()) rows.push_back(&def);
  const auto total = rows.size();
  const auto page = pageOf(rows, p, [&](const AttributeDef& d) {
    return p.field == "name" ? d.name : (p.field == "createdAt" ? d.createdAt : d.modifiedAt);
  });
  JsonWriter w;
  w.beginObject();
  writeListTail(w, p, total);
  w.key("customAttributes").beginArray();
  for (const auto* def : page) writeAttributeDef(w, *def);
  w.endArray().endObject();
  return jsonOk(w.take());
}

Response PeopleService::createAttribute(const Request& request) {
  Object::Ptr body;
  if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
  return defineAttribute(*body);
}

Response PeopleService::defineAttribute(const Object& body) {
  std::vector<Violation> violations;
  const Var name = body.get("name");
  const Var dataType = body.get("dataType");
  std::string attributeName;
  if (!name.isString() || !validName(name.extract<std::string>())) {
    violations.push_back({"name", "must be 1..256 characters without { } [ ]"});
  } else {
    attributeName = name.extract<std::string>();
    if (findPersonField(attributeName) != nullptr) {
      violations.push_back({"name", "is a standard attribute"});
    }
  }
  std::optional<AttributeType> type;
  if (dataType.isString()) type = parseAttributeType(dataType.extract<std::string>());
  if (!type) {
    violations.push_back({"dataType",
                          "must be one of [STRING, DECIMAL, INTEGER, BOOLEAN, DATE, DATE_TIME, "
                          "LIST_OF_OBJECTS]"});
  }
  AttributeDef def;
  const Var schema = body.get("objectSchema");
  if (type == AttributeType::kListOfObjects) {
    if (schema.type() != typeid(Object::Ptr) || schema.extract<Object::Ptr>()->size() == 0) {
      violations.push_back({"objectSchema", "must not be empty for LIST_OF_OBJECTS"});
    } else {
      for (const auto& [key, value] : *schema.extract<Object::Ptr>()) {
        const auto fieldType =
            value.isString() ? parseAttributeType(value.extract<std::string>()) : std::nullopt;
        if (!fieldType || *fieldType == AttributeType::kListOfObjects) {
          violations.push_back({"objectSchema." + key, "must be a scalar data type"});
        } else {
          def.objectSchema[key] = *fieldType;
        }
      }
    }
  } else if (type && !schema.isEmpty()) {
    violations.push_back({"objectSchema", "is only allowed for LIST_OF_OBJECTS"});
  }
  if (violations.empty() && store_.attributes().count(attributeName) > 0) {
    violations.push_back({"name", "custom attribute " + attributeName + " already exists"});
  }
  if (!violations.empty()) return legacyError(400, {}, violations);
  def.name = attributeName;
  def.type = *type;
  def.createdAt = def.modifiedAt = now();
  store_.attributes()[def.name] = def;
  JsonWriter w;
  writeAttributeDef(w, def);
  return jsonOk(w.take());
}

Response PeopleService::getAttribute(const std::string& name) {
  const auto it = store_.attributes().find(name);
  if (it == store_.attributes().end()) return legacyError(404, "Custom attribute not found");
  JsonWriter w;
  writeAttributeDef(w, it->second);
  return jsonOk(w.take());
}

Response PeopleService::deleteAttribute(const std::string& name) {
  if (store_.attributes().count(name) == 0) return legacyError(404, "Custom attribute not found");
  store_.eraseAttribute(name);
  return emptyOk();
}

Response PeopleService::appendAttribute(const Request& request, const std::string& name) {
  const auto def = store_.attributes().find(name);
  if (def == store_.attributes().end()) return legacyError(404, "Custom attribute not found");
  if (def->second.type != AttributeType::kListOfObjects) {
    return legacyError(400, {}, {{name, "append needs a LIST_OF_OBJECTS attribute"}});
  }
  std::optional<Response> error;
  const Person* before = lookup(request, error);
  if (before == nullptr) return *error;
  Object::Ptr item;
  if (auto bad = parseObject(request, Envelope::kLegacy, item)) return *bad;
  Array::Ptr list = new Array();
  const auto current = before->customAttributes.find(name);
  if (current != before->customAttributes.end()) {
    const auto existing = current->second.extract<Array::Ptr>();
    for (size_t i = 0; i < existing->size(); ++i) list->add(existing->get(i));
  }
  list->add(item);
  if (auto problem = checkAttributeValue(def->second, Var(list)); !problem.empty()) {
    return legacyError(400, {}, {{name, problem}});
  }
  Person candidate = *before;
  candidate.customAttributes[name] = Var(list);
  const auto written = commit(std::move(candidate), before, Source::kApi, true);
  return personResponse(*written.person);
}

// ---- tags ----

Response PeopleService::listTags(const Request& request) {
  ListParams p;
  if (auto error = parseListParams(request, {"name", "createdAt", "modifiedAt"}, "name:asc", p))
    return *error;
  std::vector<const Tag*> rows;
  for (const auto& [name, tag] : store_.tags()) rows.push_back(&tag);
  const auto total = rows.size();
  const auto page = pageOf(rows, p, [&](const Tag& t) {
    return p.field == "name" ? t.name : (p.field == "createdAt" ? t.createdAt : t.modifiedAt);
  });
  JsonWriter w;
  w.beginObject().key("tags").beginArray();
  for (const auto* tag : page) writeTag(w, *tag);
  w.endArray();
  writeListTail(w, p, total);
  w.endObject();
  return jsonOk(w.take());
}

Response PeopleService::createTag(const Request& request) {
  Object::Ptr body;
  if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
  const Var name = body->get("name");
  if (!name.isString() || name.extract<std::string>().empty() ||
      utf8Length(name.extract<std::string>()) > kMaxNameLength) {
    return legacyError(400, {}, {{"name", "size must be between 1 and 256"}});
  }
  if (store_.findTag(name.extract<std::string>()) != nullptr) {
    return legacyError(400, {},
                       {{"name", "tag " + name.extract<std::string>() + " already exists"}});
  }
  JsonWriter w;
  writeTag(w, store_.ensureTag(name.extract<std::string>(), now()));
  return jsonOk(w.take());
}

Response PeopleService::getTag(const std::string& name) {
  const Tag* tag = store_.findTag(name);
  if (tag == nullptr) return legacyError(404, "Tag not found");
  JsonWriter w;
  writeTag(w, *tag);
  return jsonOk(w.take());
}

Response PeopleService::deleteTag(const std::string& name) {
  if (store_.findTag(name) == nullptr) return legacyError(404, "Tag not found");
  store_.eraseTag(name);
  return emptyOk();
}

namespace {

// {"people":[{"query":{"type","identifier"}}]} entries resolved to persons; unresolved entries are
// reported like the persons batch does (409 "There is no person matching the query").
struct PeopleRefs {
  std::vector<int64_t> ids;
  std::vector<std::pair<Var, std::pair<int, std::string>>> failures;  // query, (status, message)
};

std::optional<Response> resolvePeople(const PeopleStore& store, const Object& body,
                                      PeopleRefs& out) {
  const Var people = body.get("people");
  if (people.type() != typeid(Array::Ptr))
    return legacyError(400, {}, {{"people", "must not be null"}});
  const auto array = people.extract<Array::Ptr>();
  if (array->size() == 0 || array->size() > kMaxBatch) {
    return legacyError(400, {}, {{"people", "size must be between 1 and 1000"}});
  }
  for (size_t i = 0; i < array->size(); ++i) {
    const auto entry = array->getObject(i);
    const Var query = entry ? entry->get("query") : Var();
    const auto q = query.type() == typeid(Object::Ptr) ? query.extract<Object::Ptr>() : nullptr;
    if (!q || !q->get("type").isString() || !q->get("identifier").isString()) {
      out.failures.push_back({query, {400, "query: type and identifier must be strings"}});
      continue;
    }
    const auto kind = parseIdentifierType(q->getValue<std::string>("type"));
    const Person* person =
        kind ? store.find(*kind, q->getValue<std::string>("identifier")) : nullptr;
    if (person == nullptr) {
      out.failures.push_back({query, {409, "There is no person matching the query"}});
      continue;
    }
    out.ids.push_back(person->id);
  }
  return std::nullopt;
}

Response peopleResults(const PeopleRefs& refs) {
  JsonWriter w;
  w.beginObject().key("results").beginArray();
  for (const auto& [query, failure] : refs.failures) {
    w.beginObject().key("query").value(query).key("status").value(failure.first);
    w.key("errors")
        .beginArray()
        .beginObject()
        .key("message")
        .value(failure.second)
        .endObject()
        .endArray();
    w.endObject();
  }
  w.endArray().endObject();
  return jsonOk(w.take(), refs.failures.empty() ? 200 : 207);
}

}  // namespace

Response PeopleService::tagPersons(const Request& request, const std::string& name, bool add) {
  if (store_.findTag(name) == nullptr) return legacyError(404, "Tag not found");
  Object::Ptr body;
  if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
  PeopleRefs refs;
  if (auto error = resolvePeople(store_, *body, refs)) return *error;
  for (const auto id : refs.ids) {
    const Person* before = store_.find(id);
    Person candidate = *before;
    auto& tags = candidate.tags;
    const auto it = std::find(tags.begin(), tags.end(), name);
    if (add && it == tags.end()) tags.push_back(name);
    if (!add && it != tags.end()) tags.erase(it);
    commit(std::move(candidate), before, Source::kApi, false);
  }
  return peopleResults(refs);
}

// ---- companies ----

namespace {

enum class Selector { kNone, kName, kId, kExternalId, kDomain, kInvalid };

Selector selectorOf(const Request& request, std::string& value) {
  Selector found = Selector::kNone;
  int count = 0;
  for (const auto& [param, kind] : std::initializer_list<std::pair<const char*, Selector>>{
           {"name", Selector::kName},
           {"id", Selector::kId},
           {"externalId", Selector::kExternalId},
           {"domain", Selector::kDomain}}) {
    if (const std::string* v = request.param(param)) {
      ++count;
      found = kind;
      value = *v;
    }
  }
  return count > 1 ? Selector::kInvalid : found;
}

const Company* findCompany(const PeopleStore& store, Selector selector, const std::string& value) {
  switch (selector) {
    case Selector::kName:
      return store.findCompanyByName(value);
    case Selector::kExternalId:
      return store.findCompanyByExternalId(value);
    case Selector::kDomain:
      return store.findCompanyByDomain(value);
    case Selector::kId:
      if (value.empty() || value.size() > 18 ||
          value.find_first_not_of("0123456789") != std::string::npos) {
        return nullptr;
      }
      return store.findCompany(std::stoll(value));
    default:
      return nullptr;
  }
}

std::vector<std::string> stringList(const Var& value, const std::string& path,
                                    std::vector<Violation>& violations) {
  std::vector<std::string> out;
  if (value.isEmpty()) return out;
  if (value.type() != typeid(Array::Ptr)) {
    violations.push_back({path, "must be an array of strings"});
    return out;
  }
  const auto array = value.extract<Array::Ptr>();
  for (size_t i = 0; i < array->size(); ++i) {
    const Var item = array->get(i);
    if (!item.isString()) {
      violations.push_back({path + "[" + std::to_string(i) + "]", "must be a string"});
      continue;
    }
    const auto text = item.extract<std::string>();
    if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(text);
  }
  return out;
}

// Applies a company body onto `company`: create/replace (merge=false) or PATCH (merge=true, lists
// appended unless replaceTags/replaceDomains).
void applyCompany(Company& company, const Object& body, bool merge, bool replaceTags,
                  bool replaceDomains, std::vector<Violation>& violations) {
  static const std::set<std::string> kReadOnly = {"id", "origin", "modifiedFrom", "createdAt",
                                                  "modifiedAt"};
  for (const auto& [name, value] : body) {
    if (kReadOnly.count(name) > 0) continue;
    if (name == "domains" || name == "tags") {
      auto list = stringList(value, name, violations);
      auto& target = name == "domains" ? company.domains : company.tags;
      const bool replace = !merge || (name == "domains" ? replaceDomains : replaceTags);
      if (replace) target.clear();
      for (auto& item : list) {
        if (std::find(target.begin(), target.end(), item) == target.end()) target.push_back(item);
      }
      continue;
    }
    if (name == "customAttributes" || name == "serviceData") {
      if (!value.isEmpty() && value.type() != typeid(Object::Ptr)) {
        violations.push_back({name, "must be an object"});
        continue;
      }
      (name == "customAttributes" ? company.customAttributes : company.serviceData) = value;
      continue;
    }
    const auto& specs = companyFieldSpecs();
    const auto spec = std::find_if(specs.begin(), specs.end(),
                                   [&](const FieldSpec& s) { return name == s.name; });
    if (spec == specs.end()) {
      violations.push_back({name, "Unrecognized property"});
      continue;
    }
    if (value.isEmpty()) {
      company.fields.erase(name);
      continue;
    }
    if (!value.isString()) {
      violations.push_back({name, "must be a string"});
      continue;
    }
    const auto text = value.extract<std::string>();
    if (utf8Length(text) > spec->maxLength) {
      violations.push_back({name, "size must be between 0 and " + std::to_string(spec->maxLength)});
      continue;
    }
    company.fields[name] = text;
  }
  if (company.fields.count("name") == 0) violations.push_back({"name", "must not be blank"});
}

}  // namespace

Response PeopleService::companies(const Request& request) {
  std::string selectorValue;
  const Selector selector = selectorOf(request, selectorValue);
  if (selector == Selector::kInvalid) {
    return legacyError(400, "Exactly one of name, id, externalId or domain must be given");
  }
  const auto write = [&](const Company& company) {
    JsonWriter w;
    writeCompany(w, company);
    return jsonOk(w.take());
  };
  // Duplicate names (case-insensitive) and external ids are refused.
  const auto duplicate = [&](const Company& company) -> std::optional<Response> {
    const Company* byName = store_.findCompanyByName(company.fields.at("name"));
    if (byName != nullptr && byName->id != company.id) {
      return legacyError(409, "Company with name " + company.fields.at("name") + " already exists");
    }
    if (const auto ext = company.fields.find("externalId"); ext != company.fields.end()) {
      const Company* byExt = store_.findCompanyByExternalId(ext->second);
      if (byExt != nullptr && byExt->id != company.id) {
        return legacyError(409, "Company with externalId " + ext->second + " already exists");
      }
    }
    return std::nullopt;
  };
  const std::string& method = request.method;
  if (method == "GET" && selector == Selector::kNone) {
    if (request.param("filter") != nullptr) {
      return legacyError(400, "The sandbox does not emulate filters on companies");
    }
    ListParams p;
    if (auto error = parseListParams(request, {"name", "createdAt", "modifiedAt"}, "name:asc", p))
      return *error;
    std::vector<const Company*> rows;
    for (const auto& [id, company] : store_.companies()) rows.push_back(&company);
    const auto total = rows.size();
    const auto page = pageOf(rows, p, [&](const Company& c) {
      if (p.field == "name") return lowerAscii(c.fields.count("name") ? c.fields.at("name") : "");
      return p.field == "createdAt" ? c.createdAt : c.modifiedAt;
    });
    JsonWriter w;
    w.beginObject().key("companies").beginArray();
    for (const auto* company : page) writeCompany(w, *company);
    w.endArray();
    writeListTail(w, p, total);
    w.endObject();
    return jsonOk(w.take());
  }
  if (method == "POST") {
    Object::Ptr body;
    if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
    Company company;
    std::vector<Violation> violations;
    applyCompany(company, *body, false, true, true, violations);
    if (!violations.empty()) return legacyError(400, {}, violations);
    if (auto dup = duplicate(company)) return *dup;
    company.createdAt = company.modifiedAt = now();
    company.origin = company.modifiedFrom = "API";
    return write(store_.insertCompany(std::move(company)));
  }
  if (selector == Selector::kNone) {
    return legacyError(400, "One of name, id, externalId or domain must be given");
  }
  const Company* found = findCompany(store_, selector, selectorValue);
  if (found == nullptr) return legacyError(404, "Company not found");
  if (method == "GET") return write(*found);
  if (method == "DELETE") {
    store_.eraseCompany(found->id);
    return emptyOk();
  }
  Object::Ptr body;
  if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
  Company company = *found;
  std::vector<Violation> violations;
  const std::string* replaceTags = request.param("replaceTags");
  const std::string* replaceDomains = request.param("replaceDomains");
  applyCompany(company, *body, true, replaceTags != nullptr && *replaceTags == "true",
               replaceDomains != nullptr && *replaceDomains == "true", violations);
  if (!violations.empty()) return legacyError(400, {}, violations);
  if (auto dup = duplicate(company)) return *dup;
  company.modifiedAt = now();
  company.modifiedFrom = "API";
  return write(store_.replaceCompany(company));
}

Response PeopleService::companyBatch(const Request& request) {
  Object::Ptr body;
  if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
  const Var list = body->get("companies");
  if (list.type() != typeid(Array::Ptr))
    return legacyError(400, {}, {{"companies", "must not be null"}});
  const auto array = list.extract<Array::Ptr>();
  if (array->size() == 0 || array->size() > kMaxBatch) {
    return legacyError(400, {}, {{"companies", "size must be between 1 and 1000"}});
  }
  JsonWriter w;
  w.beginObject().key("results").beginArray();
  bool failed = false;
  for (size_t i = 0; i < array->size(); ++i) {
    const auto entry = array->getObject(i);
    std::vector<std::string> errors;
    int status = 200;
    std::optional<int64_t> id;
    Var query;
    const Company* target = nullptr;
    if (!entry) {
      status = 400;
      errors.push_back("Entry must be a JSON object");
    } else if (request.method != "POST") {
      // PATCH/DELETE entries select a company with {"query":{"id"|"name"|"externalId"|"domain":v}}.
      query = entry->get("query");
      const auto q = query.type() == typeid(Object::Ptr) ? query.extract<Object::Ptr>() : nullptr;
      if (!q || q->size() != 1) {
        status = 400;
        errors.push_back("query must hold exactly one of id, name, externalId, domain");
      } else {
        const auto& [key, value] = *q->begin();
        const Selector s = key == "id"           ? Selector::kId
                           : key == "name"       ? Selector::kName
                           : key == "externalId" ? Selector::kExternalId
                           : key == "domain"     ? Selector::kDomain
                                                 : Selector::kInvalid;
        const bool scalar = value.isString() || (value.isInteger() && !value.isBoolean());
        target = s == Selector::kInvalid || !scalar
                     ? nullptr
                     : findCompany(store_, s, value.convert<std::string>());
        if (s == Selector::kInvalid || !scalar) {
          status = 400;
          errors.push_back(
              "query must hold exactly one of id, name, externalId, domain with a scalar value");
        } else if (target == nullptr) {
          status = 409;
          errors.push_back("There is no company matching the query");
        }
      }
    }
    if (status == 200 && request.method == "DELETE") {
      id = target->id;
      store_.eraseCompany(target->id);
    } else if (status == 200) {
      Company company = target != nullptr ? *target : Company{};
      std::vector<Violation> violations;
      const auto update = request.method == "POST" ? entry : entry->getObject("update");
      if (!update) {
        violations.push_back({"update", "must not be null"});
      } else {
        applyCompany(company, *update, request.method == "PATCH", false, false, violations);
      }
      if (!violations.empty()) {
        status = 400;
        for (const auto& v : violations) errors.push_back(violationText(v));
      } else {
        const Company* byName = store_.findCompanyByName(company.fields.at("name"));
        if (byName != nullptr && byName->id != company.id) {
          status = 409;
          errors.push_back("Company with name " + company.fields.at("name") + " already exists");
        } else {
          const auto stamp = now();
          company.modifiedAt = stamp;
          company.modifiedFrom = "API";
          if (company.id == 0) {
            company.createdAt = stamp;
            company.origin = "API";
            id = store_.insertCompany(std::move(company)).id;
          } else {
            id = store_.replaceCompany(company).id;
          }
        }
      }
    }
    failed = failed || status != 200;
    w.beginObject().key("status").value(status);
    if (id) w.key("id").value(*id);
    if (request.method == "POST") {
      w.key("index").value(static_cast<int64_t>(i));
    } else {
      w.key("query").value(query);
    }
    w.key("errors").beginArray();
    for (const auto& e : errors) w.beginObject().key("message").value(e).endObject();
    w.endArray().endObject();
  }
  w.endArray().endObject();
  return jsonOk(w.take(), failed ? 207 : 200);
}

Response PeopleService::companyPersons(const Request& request, bool link) {
  std::string selectorValue;
  const Selector selector = selectorOf(request, selectorValue);
  if (selector == Selector::kNone || selector == Selector::kInvalid) {
    return legacyError(400, "Exactly one of name, id, externalId or domain must be given");
  }
  const Company* company = findCompany(store_, selector, selectorValue);
  if (company == nullptr) return legacyError(404, "Company not found");
  Object::Ptr body;
  if (auto error = parseObject(request, Envelope::kLegacy, body)) return *error;
  PeopleRefs refs;
  if (auto error = resolvePeople(store_, *body, refs)) return *error;
  for (const auto id : refs.ids) {
    const Person* person = store_.find(id);
    if (link) {
      store_.linkPerson(id, company->id);
    } else if (person->companyId == company->id) {
      store_.linkPerson(id, std::nullopt);
    }
  }
  return peopleResults(refs);
}

}  // namespace ferry::sandbox::people
