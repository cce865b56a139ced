// Lookups: identifiers resolved in batches through /persons/match, then the matched persons
// fetched by id (a filtered list, or one GET each where the account refuses id filters).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <set>

#include "ferry/plugins/people/connector.hpp"

namespace ferry::plugins::people {

namespace {

using sdk::ErrorCode;

constexpr std::size_t kMatchBatch = 1000;  // identities per /persons/match call
constexpr std::size_t kFetchBatch = 100;   // ids per filtered list (keeps URLs short)

// A positive int64 written in digits; ids that are not never reach a URL or a filter.
std::optional<std::int64_t> numericId(const std::string& id) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  if (ec != std::errc() || end != id.data() + id.size() || v <= 0) return std::nullopt;
  return v;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The People identifier type for a lookup key field; nullopt when the field is not one.
std::optional<std::string> identityType(const std::string& field) {
  if (field == "externalId") return "EXTERNAL_ID";
  if (field == "contactInformation.email" || field == "email") return "EMAIL";
  if (field == "contactInformation.phone" || field == "phone") return "PHONE";
  if (field == "id") return "ID";
  return std::nullopt;
}

std::string normalised(const std::string& type, std::string value) {
  if (type == "PHONE" && value.starts_with('+')) value.erase(0, 1);
  if (type == "EMAIL") value = lower(std::move(value));
  return value;
}

// Company lookups switch from a GET per key to reading the listing from this many keys on, when
// the listing has fewer pages than there are keys.
constexpr std::size_t kCompanyScanMinKeys = 3;
constexpr int kCompanyPage = 1000;

std::vector<std::string> keyValues(const sdk::Value& v) {
  std::vector<std::string> out;
  if (v.isString()) out.push_back(v.asString());
  if (v.isInteger()) out.push_back(std::to_string(v.asInteger()));
  if (v.isList()) {
    for (const auto& item : v.asList()) {
      if (item.isString() && !item.asString().empty()) out.push_back(item.asString());
    }
  }
  return out;
}

}  // namespace

sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> PeopleConnector::lookup(
    const std::string& entity, const std::vector<sdk::LookupQuery>& queries,
    const std::vector<std::string>& fields) {
  const auto kind = entityKind(entity);
  if (!kind) {
    return sdk::Error::make(ErrorCode::kInvalidArgument,
                            "people has no entity \"" + entity + "\" (Customer, Lead, Company)");
  }
  if (*kind == EntityKind::kCompany) return lookupCompanies(queries);
  if (auto s = loadAttributes(false); !s) return s.takeError();
  return lookupPersons(queries);
}

sdk::Result<std::map<std::string, sdk::Object>> PeopleConnector::fetchPersons(
    const std::vector<std::string>& ids) {
  std::map<std::string, sdk::Object> found;
  bool filterRefused = false;
  for (std::size_t start = 0; start < ids.size() && !filterRefused; start += kFetchBatch) {
    sdk::List alternatives;
    const std::size_t end = std::min(ids.size(), start + kFetchBatch);
    for (std::size_t i = start; i < end; ++i) {
      alternatives.emplace_back(sdk::Object{{"id", *numericId(ids[i])}});
    }
    const std::string filter = sdk::Value(sdk::Object{{"#or", std::move(alternatives)}}).toJson();
    auto response = send(Call{"GET",
                              "/people/2/persons?limit=" + std::to_string(kFetchBatch) +
                                  "&page=1&filter=" + percentEncode(filter),
                              {},
                              bucket::kPersonsGet,
                              "get persons by id"});
    if (!response) return response.takeError();
    if (response->status == 400) {
      // Id filters are not documented for every account: fall back to single reads.
      filterRefused = true;
      break;
    }
    if (response->status >= 300) {
      return errorFromResponse("get persons by id", response->status, response->body);
    }
    const auto json = sdk::Value::fromJson(response->body);
    const sdk::Value* persons =
        json && json->isObject() ? json->asObject().find("persons") : nullptr;
    if (persons == nullptr || !persons->isList()) {
      return sdk::Error::make(ErrorCode::kMalformedResponse,
                              "get persons by id: answer has no persons list", true);
    }
    for (const auto& p : persons->asList()) {
      if (!p.isObject()) continue;
      if (auto id = idOf(p.asObject())) found.emplace(*id, p.asObject());
    }
  }
  if (filterRefused) {
    for (const auto& id : ids) {
      if (found.contains(id)) continue;
      auto response = send(Call{"GET",
                                "/people/2/persons?type=ID&identifier=" + id,
                                {},
                                bucket::kPersonsGet,
                                "get person"});
      if (!response) return response.takeError();
      if (response->status == 404) continue;
      if (response->status >= 300)
        return errorFromResponse("get person", response->status, response->body);
      const auto json = sdk::Value::fromJson(response->body);
      if (!json || !json->isObject()) {
        return sdk::Error::make(ErrorCode::kMalformedResponse,
                                "get person: answer is not an object", true);
      }
      found.emplace(id, json->asObject());
    }
  }
  return found;
}

sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> PeopleConnector::lookupPersons(
    const std::vector<sdk::LookupQuery>& queries) {
  // Every (type, identifier) asked for, once.
  std::vector<std::pair<std::string, std::string>> identities;
  std::set<std::pair<std::string, std::string>> asked;
  std::vector<std::vector<std::pair<std::string, std::string>>> perQuery(queries.size());
  for (std::size_t q = 0; q < queries.size(); ++q) {
    for (const auto& [field, value] : queries[q].keys) {
      const auto type = identityType(field);
      if (!type) {
        return sdk::Error::make(
            ErrorCode::kInvalidArgument,
            "people lookups match on id, externalId, contactInformation.email or "
            "contactInformation.phone, not \"" +
                field + "\"");
      }
      for (const auto& raw : keyValues(value)) {
        auto key = std::make_pair(*type, normalised(*type, raw));
        perQuery[q].push_back(key);
        if (*type != "ID" && asked.insert(key).second) identities.push_back(key);
      }
    }
  }
  std::map<std::pair<std::string, std::string>, std::string> matched;  // identity -> person id
  for (std::size_t start = 0; start < identities.size(); start += kMatchBatch) {
    sdk::List list;
    const std::size_t end = std::min(identities.size(), start + kMatchBatch);
    for (std::size_t i = start; i < end; ++i) {
      list.emplace_back(
          sdk::Object{{"type", identities[i].first}, {"identifier", identities[i].second}});
    }
    auto answer = sendJson(Call{"POST", "/people/2/persons/match",
                                sdk::Value(sdk::Object{{"identities", std::move(list)}}).toJson(),
                                bucket::kMatch, "match persons"});
    if (!answer) return answer.takeError();
    const sdk::Value* matches = answer->find("matches");
    if (matches == nullptr || !matches->isList()) {
      return sdk::Error::make(ErrorCode::kMalformedResponse,
                              "match persons: answer has no matches list", true);
    }
    for (const auto& m : matches->asList()) {
      if (!m.isObject()) continue;
      const sdk::Value* type = m.asObject().find("type");
      const sdk::Value* identifier = m.asObject().find("identifier");
      const sdk::Value* personId = m.asObject().find("personId");
      if (type == nullptr || !type->isString() || identifier == nullptr ||
          !identifier->isString() || personId == nullptr ||
          !(personId->isInteger() || personId->isString())) {
        return sdk::Error::make(ErrorCode::kMalformedResponse,
                                "match persons: a match lacks type, identifier or personId", true);
      }
      const std::string id =
          personId->isInteger() ? std::to_string(personId->asInteger()) : personId->asString();
      if (!numericId(id)) {
        return sdk::Error::make(ErrorCode::kMalformedResponse,
                                "match persons: personId \"" + id + "\" is not a person id", true);
      }
      matched[{type->asString(), normalised(type->asString(), identifier->asString())}] = id;
    }
  }
  std::vector<std::string> wanted;
  std::set<std::string> wantedSet;
  std::vector<std::vector<std::string>> idsPerQuery(queries.size());
  for (std::size_t q = 0; q < queries.size(); ++q) {
    for (const auto& key : perQuery[q]) {
      std::string id;
      if (key.first == "ID") {
        if (numericId(key.second)) id = key.second;
      } else if (const auto it = matched.find(key); it != matched.end()) {
        id = it->second;
      }
      if (id.empty()) continue;
      if (std::find(idsPerQuery[q].begin(), idsPerQuery[q].end(), id) == idsPerQuery[q].end()) {
        idsPerQuery[q].push_back(id);
      }
      if (wantedSet.insert(id).second) wanted.push_back(id);
    }
  }
  auto persons = fetchPersons(wanted);
  if (!persons) return persons.takeError();
  std::vector<std::vector<sdk::FoundRecord>> out(queries.size());
  for (std::size_t q = 0; q < queries.size(); ++q) {
    for (const auto& id : idsPerQuery[q]) {
      const auto it = persons->find(id);
      if (it == persons->end()) continue;  // deleted between match and fetch
      sdk::FoundRecord record;
      record.id = id;
      record.fields = personToRecord(it->second, attributes_);
      if (const auto* m = record.fields.find("modifiedAt"); m != nullptr && m->isDateTime()) {
        record.modifiedAtMs = m->asDateTime().epochMs;
      }
      out[q].push_back(std::move(record));
    }
  }
  return out;
}

sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> PeopleConnector::lookupCompanies(
    const std::vector<sdk::LookupQuery>& queries) {
  // Per query, the (selector, value) pairs to try: People selects one company by id, name,
  // externalId or domain.
  std::vector<std::vector<std::pair<std::string, std::string>>> keys(queries.size());
  std::size_t gets = 0;
  for (std::size_t q = 0; q < queries.size(); ++q) {
    for (const auto& [field, value] : queries[q].keys) {
      std::string selector = field;
      if (field == "domains") selector = "domain";
      if (selector != "id" && selector != "name" && selector != "externalId" &&
          selector != "domain") {
        return sdk::Error::make(
            ErrorCode::kInvalidArgument,
            "people company lookups match on id, name, externalId or domains, not \"" + field +
                "\"");
      }
      for (auto& v : keyValues(value)) keys[q].emplace_back(selector, std::move(v));
    }
    gets += keys[q].size();
  }

  std::vector<std::vector<sdk::FoundRecord>> out(queries.size());
  const auto add = [&](std::size_t q, const sdk::Object& company) {
    const auto id = idOf(company);
    if (!id) return;
    if (std::any_of(out[q].begin(), out[q].end(), [&](const auto& r) { return r.id == *id; })) {
      return;
    }
    sdk::FoundRecord record;
    record.id = *id;
    record.fields = companyToRecord(company);
    if (const auto* m = record.fields.find("modifiedAt"); m != nullptr && m->isDateTime()) {
      record.modifiedAtMs = m->asDateTime().epochMs;
    }
    out[q].push_back(std::move(record));
  };

  // Companies have no batch lookup, and a GET per key runs at People's 5 requests/s. When the
  // account holds few companies for the keys asked (an initial load, typically), reading the
  // whole listing, 1000 a page at the same rate, costs fewer calls.
  if (gets >= kCompanyScanMinKeys) {
    auto first = listPage(EntityKind::kCompany, 1, kCompanyPage, "createdAt:asc", true);
    if (!first) return first.takeError();
    const std::int64_t total = first->lastPage ? static_cast<std::int64_t>(first->items.size())
                                               : first->totalCount.value_or(-1);
    const std::int64_t pages = total < 0 ? -1 : (total + kCompanyPage - 1) / kCompanyPage;
    if (pages >= 0 && static_cast<std::size_t>(pages) < gets) {
      // Which queries each key value answers (names and domains compare case-insensitively,
      // as People keeps them unique).
      std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> wanted;
      const auto fold = [](const std::string& selector, std::string v) {
        if (selector == "name" || selector == "domain") {
          std::transform(v.begin(), v.end(), v.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        }
        return v;
      };
      for (std::size_t q = 0; q < keys.size(); ++q) {
        for (const auto& [selector, v] : keys[q])
          wanted[{selector, fold(selector, v)}].push_back(q);
      }
      const auto match = [&](const sdk::Object& company) {
        const auto check = [&](const std::string& selector, const std::string& v) {
          if (auto it = wanted.find({selector, fold(selector, v)}); it != wanted.end()) {
            for (const std::size_t q : it->second) add(q, company);
          }
        };
        if (const auto id = idOf(company)) check("id", *id);
        for (const char* field : {"name", "externalId"}) {
          if (const auto* v = company.find(field); v != nullptr && v->isString()) {
            check(field, v->asString());
          }
        }
        if (const auto* domains = company.find("domains");
            domains != nullptr && domains->isList()) {
          for (const auto& d : domains->asList()) {
            if (d.isString()) check("domain", d.asString());
          }
        }
      };
      Listed page = std::move(*first);
      for (int n = 2;; ++n) {
        for (const auto& company : page.items) match(company);
        if (page.lastPage) return out;
        auto next = listPage(EntityKind::kCompany, n, kCompanyPage, "createdAt:asc");
        if (!next) return next.takeError();
        page = std::move(*next);
      }
    }
  }

  for (std::size_t q = 0; q < keys.size(); ++q) {
    for (const auto& [selector, v] : keys[q]) {
      auto response = send(Call{"GET",
                                "/people/2/companies?" + selector + "=" + percentEncode(v),
                                {},
                                bucket::kCompaniesGet,
                                "get company"});
      if (!response) return response.takeError();
      if (response->status == 404) continue;
      if (response->status >= 300) {
        return errorFromResponse("get company", response->status, response->body);
      }
      const auto json = sdk::Value::fromJson(response->body);
      if (!json || !json->isObject()) {
        return sdk::Error::make(ErrorCode::kMalformedResponse,
                                "get company: answer is not an object", true);
      }
      // One company, or the list envelope holding it.
      if (const sdk::Value* list = json->asObject().find("companies");
          list != nullptr && list->isList()) {
        for (const auto& c : list->asList()) {
          if (c.isObject()) add(q, c.asObject());
        }
      } else {
        add(q, json->asObject());
      }
    }
  }
  return out;
}

}  // namespace ferry::plugins::people
