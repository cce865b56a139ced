// Lookups: identifiers resolved in batches through /persons/match, then the matched persons
// fetched by id (a filtered list, or one GET each where the account refuses id filters).
#include <algorithm>
#include <cctype>
#include <charconv>
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
  std::vector<std::vector<sdk::FoundRecord>> out(queries.size());
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
      for (const auto& v : keyValues(value)) {
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
        std::vector<const sdk::Object*> companies;
        if (const sdk::Value* list = json->asObject().find("companies");
            list != nullptr && list->isList()) {
          for (const auto& c : list->asList()) {
            if (c.isObject()) companies.push_back(&c.asObject());
          }
        } else if (idOf(json->asObject())) {
          companies.push_back(&json->asObject());
        }
        for (const auto* c : companies) {
          const auto id = idOf(*c);
          if (!id) continue;
          if (std::any_of(out[q].begin(), out[q].end(), [&](const auto& r) { return r.id == *id; }))
            continue;
          sdk::FoundRecord record;
          record.id = *id;
          record.fields = companyToRecord(*c);
          if (const auto* m = record.fields.find("modifiedAt"); m != nullptr && m->isDateTime()) {
            record.modifiedAtMs = m->asDateTime().epochMs;
          }
          out[q].push_back(std::move(record));
        }
      }
    }
  }
  return out;
}

}  // namespace ferry::plugins::people
