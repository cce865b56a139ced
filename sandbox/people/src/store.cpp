#include "store.hpp"

#include <algorithm>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace ferry::sandbox::people {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

std::optional<IdentifierType> parseIdentifierType(const std::string& type) {
  if (type == "ID") return IdentifierType::kId;
  if (type == "EXTERNAL_ID") return IdentifierType::kExternalId;
  if (type == "EMAIL") return IdentifierType::kEmail;
  if (type == "PHONE") return IdentifierType::kPhone;
  static const char* const kChannels[] = {
      "PUSH",
      "WEB_PUSH",
      "LINE",
      "FACEBOOK",
      "TELEGRAM",
      "LIVE_CHAT",
      "VIBER_BOTS",
      "INSTAGRAM",
      "INSTAGRAM_DM",
      "TWITTER",
      "APPLE_BUSINESS_CHAT",
      "KAKAO_SANGDAM",
      "OPEN_CHANNEL",
      "ZALO_FOLLOWER",
      "TIKTOK_BM",
      "WHATSAPP",
  };
  for (const char* channel : kChannels) {
    if (type == channel) return IdentifierType::kChannel;
  }
  return std::nullopt;
}

std::string Conflict::message() const {
  if (kind == "externalId") return "Person with externalId " + value + " already exists.";
  return "Destination(" + kind + ") " + value + " already exists.";
}

const Person* PeopleStore::find(int64_t id) const {
  const auto it = persons_.find(id);
  return it == persons_.end() ? nullptr : &it->second;
}

const Person* PeopleStore::find(IdentifierType type, const std::string& identifier) const {
  const std::unordered_map<std::string, int64_t>* index = nullptr;
  std::string key = identifier;
  switch (type) {
    case IdentifierType::kId: {
      try {
        size_t used = 0;
        const int64_t id = std::stoll(identifier, &used);
        return used == identifier.size() ? find(id) : nullptr;
      } catch (const std::exception&) {
        return nullptr;
      }
    }
    case IdentifierType::kExternalId:
      index = &byExternalId_;
      break;
    case IdentifierType::kEmail:
      index = &byEmail_;
      key = lowerAscii(identifier);
      break;
    case IdentifierType::kPhone:
      index = &byPhone_;
      break;
    case IdentifierType::kChannel:
      return nullptr;
  }
  const auto it = index->find(key);
  return it == index->end() ? nullptr : find(it->second);
}

std::optional<Conflict> PeopleStore::findConflict(const Person& candidate) const {
  const auto externalId = candidate.field("externalId");
  if (!externalId.empty()) {
    const auto it = byExternalId_.find(externalId);
    if (it != byExternalId_.end() && it->second != candidate.id) {
      return Conflict{"externalId", externalId, it->second};
    }
  }
  for (const auto& email : candidate.emails) {
    const auto it = byEmail_.find(lowerAscii(email.value));
    if (it != byEmail_.end() && it->second != candidate.id)
      return Conflict{"email", email.value, it->second};
  }
  for (const auto& phone : candidate.phones) {
    const auto it = byPhone_.find(phone.value);
    if (it != byPhone_.end() && it->second != candidate.id)
      return Conflict{"phone", phone.value, it->second};
  }
  return std::nullopt;
}

std::vector<int64_t> PeopleStore::holdersOf(const Person& candidate) const {
  std::vector<int64_t> ids;
  auto add = [&](const std::unordered_map<std::string, int64_t>& index, const std::string& key) {
    const auto it = index.find(key);
    if (it != index.end()) ids.push_back(it->second);
  };
  if (const auto externalId = candidate.field("externalId"); !externalId.empty()) {
    add(byExternalId_, externalId);
  }
  for (const auto& email : candidate.emails) add(byEmail_, lowerAscii(email.value));
  for (const auto& phone : candidate.phones) add(byPhone_, phone.value);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

void PeopleStore::index(const Person& person) {
  if (const auto externalId = person.field("externalId"); !externalId.empty()) {
    byExternalId_[externalId] = person.id;
  }
  for (const auto& email : person.emails) byEmail_[lowerAscii(email.value)] = person.id;
  for (const auto& phone : person.phones) byPhone_[phone.value] = person.id;
}

void PeopleStore::unindex(const Person& person) {
  auto drop = [&](std::unordered_map<std::string, int64_t>& index, const std::string& key) {
    const auto it = index.find(key);
    if (it != index.end() && it->second == person.id) index.erase(it);
  };
  if (const auto externalId = person.field("externalId"); !externalId.empty()) {
    drop(byExternalId_, externalId);
  }
  for (const auto& email : person.emails) drop(byEmail_, lowerAscii(email.value));
  for (const auto& phone : person.phones) drop(byPhone_, phone.value);
}

const Person& PeopleStore::insert(Person person) {
  if (person.id == 0) person.id = nextPersonId_++;
  nextPersonId_ = std::max(nextPersonId_, person.id + 1);
  const auto [it, inserted] = persons_.insert_or_assign(person.id, std::move(person));
  index(it->second);
  return it->second;
}

const Person& PeopleStore::replace(const Person& person) {
  auto& stored = persons_.at(person.id);
  unindex(stored);
  stored = person;
  index(stored);
  return stored;
}

void PeopleStore::erase(int64_t id) {
  const auto it = persons_.find(id);
  if (it == persons_.end()) return;
  unindex(it->second);
  persons_.erase(it);
}

void PeopleStore::eraseAttribute(const std::string& name) {
  attributes_.erase(name);
  for (auto& [id, person] : persons_) person.customAttributes.erase(name);
}

const Tag* PeopleStore::findTag(const std::string& name) const {
  const auto it = tags_.find(name);
  return it == tags_.end() ? nullptr : &it->second;
}

const Tag& PeopleStore::ensureTag(const std::string& name, const std::string& now) {
  auto it = tags_.find(name);
  if (it == tags_.end()) it = tags_.emplace(name, Tag{nextTagId_++, name, now, now}).first;
  return it->second;
}

void PeopleStore::eraseTag(const std::string& name) {
  tags_.erase(name);
  for (auto& [id, person] : persons_) {
    person.tags.erase(std::remove(person.tags.begin(), person.tags.end(), name), person.tags.end());
  }
}

const Company* PeopleStore::findCompany(int64_t id) const {
  const auto it = companies_.find(id);
  return it == companies_.end() ? nullptr : &it->second;
}

const Company* PeopleStore::findCompanyByName(const std::string& name) const {
  const auto key = lowerAscii(name);
  for (const auto& [id, company] : companies_) {
    const auto it = company.fields.find("name");
    if (it != company.fields.end() && lowerAscii(it->second) == key) return &company;
  }
  return nullptr;
}

const Company* PeopleStore::findCompanyByExternalId(const std::string& externalId) const {
  for (const auto& [id, company] : companies_) {
    const auto it = company.fields.find("externalId");
    if (it != company.fields.end() && it->second == externalId) return &company;
  }
  return nullptr;
}

const Company* PeopleStore::findCompanyByDomain(const std::string& domain) const {
  const auto key = lowerAscii(domain);
  for (const auto& [id, company] : companies_) {
    for (const auto& d : company.domains) {
      if (lowerAscii(d) == key) return &company;
    }
  }
  return nullptr;
}

const Company& PeopleStore::insertCompany(Company company) {
  if (company.id == 0) company.id = nextCompanyId_++;
  nextCompanyId_ = std::max(nextCompanyId_, company.id + 1);
  return companies_.insert_or_assign(company.id, std::move(company)).first->second;
}

const Company& PeopleStore::replaceCompany(const Company& company) {
  return companies_.at(company.id) = company;
}

void PeopleStore::eraseCompany(int64_t id) {
  companies_.erase(id);
  for (auto& [personId, person] : persons_) {
    if (person.companyId == id) person.companyId.reset();
  }
}

void PeopleStore::linkPerson(int64_t personId, std::optional<int64_t> companyId) {
  persons_.at(personId).companyId = companyId;
}

void PeopleStore::clear() { *this = PeopleStore(); }

const std::vector<FieldSpec>& companyFieldSpecs() {
  static const std::vector<FieldSpec> kSpecs = {
      {"name", 255},     {"externalId", 256}, {"country", 50},        {"region", 255},
      {"industry", 255}, {"segment", 255},    {"customerStage", 255}, {"accountManager", 255},
      {"vatNumber", 50}, {"notes", 1023},
  };
  return kSpecs;
}

void writePersonV2(JsonWriter& w, const Person& person) {
  w.beginObject().key("id").value(person.id);
  for (const auto& spec : personFieldSpecs()) {
    const std::string name = spec.name;
    if (name == "nickName") continue;  // v3 only
    if (name == "type") {
      w.key("type").value(person.type());
      continue;
    }
    const auto it = person.fields.find(name);
    if (it != person.fields.end()) w.key(name).value(it->second);
  }
  w.key("origin").value(person.origin).key("modifiedFrom").value(person.modifiedFrom);
  w.key("createdAt").value(person.createdAt).key("modifiedAt").value(person.modifiedAt);
  w.key("tags").beginArray();
  for (const auto& tag : person.tags) w.value(tag);
  w.endArray().key("customAttributes").beginObject();
  for (const auto& [name, value] : person.customAttributes) w.key(name).value(value);
  w.endObject().key("contactInformation").beginObject().key("phone").beginArray();
  for (const auto& phone : person.phones)
    w.beginObject().key("number").value(phone.value).endObject();
  w.endArray().key("email").beginArray();
  for (const auto& email : person.emails)
    w.beginObject().key("address").value(email.value).endObject();
  w.endArray().endObject().endObject();
}

void writeAttributeDef(JsonWriter& w, const AttributeDef& def) {
  w.beginObject().key("name").value(def.name).key("dataType").value(attributeTypeName(def.type));
  if (def.type == AttributeType::kListOfObjects) {
    w.key("objectSchema").beginObject();
    for (const auto& [key, type] : def.objectSchema) w.key(key).value(attributeTypeName(type));
    w.endObject();
  }
  w.key("createdAt").value(def.createdAt).key("modifiedAt").value(def.modifiedAt).endObject();
}

void writeTag(JsonWriter& w, const Tag& tag) {
  w.beginObject().key("id").value(tag.id).key("name").value(tag.name);
  w.key("createdAt").value(tag.createdAt).key("modifiedAt").value(tag.modifiedAt).endObject();
}

void writeCompany(JsonWriter& w, const Company& company) {
  w.beginObject().key("id").value(company.id);
  for (const auto& spec : companyFieldSpecs()) {
    const auto it = company.fields.find(spec.name);
    if (it != company.fields.end()) w.key(spec.name).value(it->second);
  }
  w.key("domains").beginArray();
  for (const auto& domain : company.domains) w.value(domain);
  w.endArray().key("tags").beginArray();
  for (const auto& tag : company.tags) w.value(tag);
  w.endArray();
  w.key("customAttributes");
  if (company.customAttributes.isEmpty()) {
    w.beginObject().endObject();
  } else {
    w.value(company.customAttributes);
  }
  if (!company.serviceData.isEmpty()) w.key("serviceData").value(company.serviceData);
  w.key("origin").value(company.origin).key("modifiedFrom").value(company.modifiedFrom);
  w.key("createdAt")
      .value(company.createdAt)
      .key("modifiedAt")
      .value(company.modifiedAt)
      .endObject();
}

// ---- snapshot ----

namespace {

void writeContacts(JsonWriter& w, const std::vector<Contact>& contacts) {
  w.beginArray();
  for (const auto& c : contacts) {
    w.beginObject().key("value").value(c.value).key("primary").value(c.primary).endObject();
  }
  w.endArray();
}

void writeStrings(JsonWriter& w, const std::vector<std::string>& values) {
  w.beginArray();
  for (const auto& v : values) w.value(v);
  w.endArray();
}

void writeFields(JsonWriter& w, const std::map<std::string, std::string>& fields) {
  w.beginObject();
  for (const auto& [name, value] : fields) w.key(name).value(value);
  w.endObject();
}

Object::Ptr objectAt(const Object::Ptr& object, const std::string& key) {
  const Var v = object->get(key);
  if (v.type() != typeid(Object::Ptr))
    throw std::runtime_error("snapshot: '" + key + "' must be an object");
  return v.extract<Object::Ptr>();
}

Array::Ptr arrayAt(const Object::Ptr& object, const std::string& key) {
  const Var v = object->get(key);
  if (v.isEmpty()) return new Array();
  if (v.type() != typeid(Array::Ptr))
    throw std::runtime_error("snapshot: '" + key + "' must be an array");
  return v.extract<Array::Ptr>();
}

std::string stringAt(const Object::Ptr& object, const std::string& key) {
  const Var v = object->get(key);
  if (v.isEmpty()) return {};
  if (!v.isString()) throw std::runtime_error("snapshot: '" + key + "' must be a string");
  return v.extract<std::string>();
}

int64_t intAt(const Object::Ptr& object, const std::string& key) {
  const Var v = object->get(key);
  if (!v.isInteger()) throw std::runtime_error("snapshot: '" + key + "' must be an integer");
  return v.convert<int64_t>();
}

std::vector<std::string> stringsAt(const Object::Ptr& object, const std::string& key) {
  std::vector<std::string> out;
  const auto array = arrayAt(object, key);
  for (size_t i = 0; i < array->size(); ++i) out.push_back(array->getElement<std::string>(i));
  return out;
}

std::map<std::string, std::string> fieldsAt(const Object::Ptr& object, const std::string& key) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : *objectAt(object, key)) out[name] = value.convert<std::string>();
  return out;
}

std::vector<Contact> contactsAt(const Object::Ptr& object, const std::string& key) {
  std::vector<Contact> out;
  const auto array = arrayAt(object, key);
  for (size_t i = 0; i < array->size(); ++i) {
    const auto entry = array->getObject(i);
    if (!entry) throw std::runtime_error("snapshot: '" + key + "' entries must be objects");
    out.push_back({stringAt(entry, "value"), entry->optValue<bool>("primary", false)});
  }
  return out;
}

}  // namespace

std::string PeopleStore::toJson() const {
  JsonWriter w;
  w.beginObject().key("version").value(1);
  w.key("nextPersonId").value(nextPersonId_).key("nextTagId").value(nextTagId_);
  w.key("nextCompanyId").value(nextCompanyId_);
  w.key("persons").beginArray();
  for (const auto& [id, p] : persons_) {
    w.beginObject().key("id").value(id).key("fields");
    writeFields(w, p.fields);
    w.key("tags");
    writeStrings(w, p.tags);
    w.key("customAttributes").beginObject();
    for (const auto& [name, value] : p.customAttributes) w.key(name).value(value);
    w.endObject().key("emails");
    writeContacts(w, p.emails);
    w.key("phones");
    writeContacts(w, p.phones);
    w.key("origin").value(p.origin).key("modifiedFrom").value(p.modifiedFrom);
    w.key("createdAt").value(p.createdAt).key("modifiedAt").value(p.modifiedAt);
    if (p.companyId) w.key("companyId").value(*p.companyId);
    w.endObject();
  }
  w.endArray().key("customAttributes").beginArray();
  for (const auto& [name, def] : attributes_) writeAttributeDef(w, def);
  w.endArray().key("tags").beginArray();
  for (const auto& [name, tag] : tags_) writeTag(w, tag);
  w.endArray().key("companies").beginArray();
  for (const auto& [id, company] : companies_) writeCompany(w, company);
  w.endArray().endObject();
  return w.take();
}

void PeopleStore::fromJson(const std::string& json) {
  PeopleStore next;
  try {
    Poco::JSON::Parser parser;
    const Var parsed = parser.parse(json);
    if (parsed.type() != typeid(Object::Ptr))
      throw std::runtime_error("snapshot must be a JSON object");
    const auto root = parsed.extract<Object::Ptr>();
    if (intAt(root, "version") != 1) throw std::runtime_error("snapshot: unsupported version");

    const auto defs = arrayAt(root, "customAttributes");
    for (size_t i = 0; i < defs->size(); ++i) {
      const auto d = defs->getObject(i);
      if (!d) throw std::runtime_error("snapshot: customAttributes entries must be objects");
      AttributeDef def;
      def.name = stringAt(d, "name");
      const auto type = parseAttributeType(stringAt(d, "dataType"));
      if (def.name.empty() || !type)
        throw std::runtime_error("snapshot: bad custom attribute definition");
      def.type = *type;
      if (d->has("objectSchema")) {
        for (const auto& [key, value] : *objectAt(d, "objectSchema")) {
          const auto fieldType = parseAttributeType(value.convert<std::string>());
          if (!fieldType) throw std::runtime_error("snapshot: bad objectSchema type for " + key);
          def.objectSchema[key] = *fieldType;
        }
      }
      def.createdAt = stringAt(d, "createdAt");
      def.modifiedAt = stringAt(d, "modifiedAt");
      next.attributes_[def.name] = def;
    }

    const auto tags = arrayAt(root, "tags");
    for (size_t i = 0; i < tags->size(); ++i) {
      const auto t = tags->getObject(i);
      if (!t) throw std::runtime_error("snapshot: tags entries must be objects");
      Tag tag{intAt(t, "id"), stringAt(t, "name"), stringAt(t, "createdAt"),
              stringAt(t, "modifiedAt")};
      next.tags_[tag.name] = tag;
    }

    const auto companies = arrayAt(root, "companies");
    for (size_t i = 0; i < companies->size(); ++i) {
      const auto c = companies->getObject(i);
      if (!c) throw std::runtime_error("snapshot: companies entries must be objects");
      Company company;
      company.id = intAt(c, "id");
      for (const auto& spec : companyFieldSpecs()) {
        if (auto value = stringAt(c, spec.name); !value.empty()) company.fields[spec.name] = value;
      }
      company.domains = stringsAt(c, "domains");
      company.tags = stringsAt(c, "tags");
      if (c->has("customAttributes") && objectAt(c, "customAttributes")->size() > 0) {
        company.customAttributes = c->get("customAttributes");
      }
      if (c->has("serviceData")) company.serviceData = c->get("serviceData");
      company.origin = stringAt(c, "origin");
      company.modifiedFrom = stringAt(c, "modifiedFrom");
      company.createdAt = stringAt(c, "createdAt");
      company.modifiedAt = stringAt(c, "modifiedAt");
      next.insertCompany(std::move(company));
    }

    const auto persons = arrayAt(root, "persons");
    for (size_t i = 0; i < persons->size(); ++i) {
      const auto p = persons->getObject(i);
      if (!p) throw std::runtime_error("snapshot: persons entries must be objects");
      Person person;
      person.id = intAt(p, "id");
      person.fields = fieldsAt(p, "fields");
      person.tags = stringsAt(p, "tags");
      for (const auto& [name, value] : *objectAt(p, "customAttributes")) {
        person.customAttributes[name] = value;
      }
      person.emails = contactsAt(p, "emails");
      person.phones = contactsAt(p, "phones");
      person.origin = stringAt(p, "origin");
      person.modifiedFrom = stringAt(p, "modifiedFrom");
      person.createdAt = stringAt(p, "createdAt");
      person.modifiedAt = stringAt(p, "modifiedAt");
      if (p->has("companyId")) person.companyId = intAt(p, "companyId");
      if (next.persons_.count(person.id) > 0) {
        throw std::runtime_error("snapshot: duplicate person id " + std::to_string(person.id));
      }
      if (const auto conflict = next.findConflict(person)) {
        throw std::runtime_error("snapshot: " + conflict->message());
      }
      next.insert(std::move(person));
    }
    next.nextPersonId_ = std::max(next.nextPersonId_, intAt(root, "nextPersonId"));
    next.nextTagId_ = std::max(next.nextTagId_, intAt(root, "nextTagId"));
    next.nextCompanyId_ = std::max(next.nextCompanyId_, intAt(root, "nextCompanyId"));
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("snapshot: " + e.displayText());
  }
  *this = std::move(next);
}

}  // namespace ferry::sandbox::people
