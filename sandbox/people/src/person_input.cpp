#include "person_input.hpp"

#include <algorithm>
#include <set>

#include <Poco/JSON/Array.h>

namespace ferry::sandbox::people {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr size_t kMaxContactsPerKind = 100;
constexpr size_t kMaxAttributeValue = 4096;
constexpr size_t kMaxTagName = 256;

// Read-only attributes clients echo back from a GET; accepted and ignored, as the API does.
const std::set<std::string>& readOnlyPersonKeys() {
  static const std::set<std::string> kKeys = {
      "id",           "origin",      "modifiedFrom",
      "createdAt",    "modifiedAt",  "computedAttributes",
      "integrations", "createdFrom", "createdBy",
      "modifiedBy",
  };
  return kKeys;
}

bool isObject(const Var& v) { return v.type() == typeid(Object::Ptr); }
bool isArray(const Var& v) { return v.type() == typeid(Array::Ptr); }

std::string sizeMessage(size_t max) { return "size must be between 0 and " + std::to_string(max); }

std::string checkStandardField(const FieldSpec& spec, const std::string& value) {
  const std::string name = spec.name;
  if (spec.maxLength > 0 && utf8Length(value) > spec.maxLength) return sizeMessage(spec.maxLength);
  if (name == "type" && value != "LEAD" && value != "CUSTOMER") {
    return "must be one of [CUSTOMER, LEAD]";
  }
  if (name == "gender" && value != "MALE" && value != "FEMALE")
    return "must be one of [MALE, FEMALE]";
  if (name == "birthDate" && !isValidDate(value)) return "must be a date in format YYYY-MM-DD";
  if (name == "preferredLanguage" && !isValidLanguage(value)) {
    return "must be a language code in format xx or xx-YY";
  }
  return {};
}

std::string emailMessage(BodyShape shape) {
  return shape == BodyShape::kV3 ? "Email address is invalid"
                                 : "must be a well-formed email address";
}

std::string phoneMessage(BodyShape shape) {
  return shape == BodyShape::kV3 ? "Phone number is invalid"
                                 : "must be a valid phone number in international format";
}

void checkContactCount(const std::vector<Contact>& contacts, const std::string& path,
                       std::vector<Violation>& violations) {
  if (contacts.size() > kMaxContactsPerKind) {
    violations.push_back(
        {path, "size must be between 0 and " + std::to_string(kMaxContactsPerKind)});
  }
}

void parseContactInformationV3(const Var& value, const std::string& path, PersonInput& input,
                               std::vector<Violation>& violations) {
  if (!isArray(value)) {
    violations.push_back({path, "must be an array"});
    return;
  }
  const auto array = value.extract<Array::Ptr>();
  std::vector<Contact> emails, phones;
  for (size_t i = 0; i < array->size(); ++i) {
    const std::string item = path + "[" + std::to_string(i) + "]";
    const Var entry = array->get(i);
    if (!isObject(entry)) {
      violations.push_back({item, "must be an object"});
      continue;
    }
    const auto object = entry.extract<Object::Ptr>();
    const Var type = object->get("type");
    const Var identifier = object->get("identifier");
    const Var primary = object->get("primary");
    if (!type.isString()) {
      violations.push_back({item + ".type", "must not be null"});
      continue;
    }
    const auto typeName = type.extract<std::string>();
    if (typeName != "EMAIL" && typeName != "PHONE") {
      violations.push_back(
          {item + ".type", "only PHONE and EMAIL contact information can be upserted"});
      continue;
    }
    if (!identifier.isString()) {
      violations.push_back({item + ".identifier", "must not be null"});
      continue;
    }
    const auto text = identifier.extract<std::string>();
    if (utf8Length(text) > 255) {
      violations.push_back({item + ".identifier", sizeMessage(255)});
      continue;
    }
    if (!primary.isEmpty() && !primary.isBoolean()) {
      violations.push_back({item + ".primary", "must be a boolean"});
      continue;
    }
    const bool isPrimary = !primary.isEmpty() && primary.extract<bool>();
    if (typeName == "EMAIL") {
      if (!isValidEmail(text)) {
        violations.push_back({item + ".identifier", emailMessage(BodyShape::kV3)});
        continue;
      }
      appendContacts(emails, {{text, isPrimary}}, true);
    } else {
      if (!isValidPhone(text)) {
        violations.push_back({item + ".identifier", phoneMessage(BodyShape::kV3)});
        continue;
      }
      appendContacts(phones, {{text, isPrimary}}, false);
    }
  }
  checkContactCount(emails, path, violations);
  checkContactCount(phones, path, violations);
  input.emails = std::move(emails);
  input.phones = std::move(phones);
}

void parseTags(const Var& value, const std::string& path, BodyShape shape, PersonInput& input,
               std::vector<Violation>& violations) {
  if (value.isEmpty()) {
    input.tags = std::vector<std::string>{};
    return;
  }
  if (!isArray(value)) {
    violations.push_back({path, "must be an array of tag names"});
    return;
  }
  const auto array = value.extract<Array::Ptr>();
  std::vector<std::string> tags;
  for (size_t i = 0; i < array->size(); ++i) {
    const std::string item = path + "[" + std::to_string(i) + "]";
    const Var tag = array->get(i);
    if (!tag.isString()) {
      violations.push_back({item, "must be a string"});
      continue;
    }
    auto name = tag.extract<std::string>();
    if (name.empty() || utf8Length(name) > kMaxTagName) {
      violations.push_back({item, "size must be between 1 and " + std::to_string(kMaxTagName)});
      continue;
    }
    if (std::find(tags.begin(), tags.end(), name) != tags.end()) {
      // v3 documents that tags must be unique; v2 simply keeps one copy.
      if (shape == BodyShape::kV3) violations.push_back({path, "tags must be unique"});
      continue;
    }
    tags.push_back(std::move(name));
  }
  input.tags = std::move(tags);
}

void parseCustomAttributes(const Var& value, const std::string& path, const AttributeDefs& defs,
                           PersonInput& input, std::vector<Violation>& violations) {
  if (value.isEmpty()) {
    input.customAttributes = std::map<std::string, Var>{};
    return;
  }
  if (!isObject(value)) {
    violations.push_back({path, "must be an object"});
    return;
  }
  const auto object = value.extract<Object::Ptr>();
  std::map<std::string, Var> values;
  for (const auto& [name, attribute] : *object) {
    const std::string property = path + "." + name;
    const auto def = defs.find(name);
    if (def == defs.end()) {
      violations.push_back({property, "Custom attribute '" + name + "' is not defined"});
      continue;
    }
    if (!attribute.isEmpty()) {
      if (auto problem = checkAttributeValue(def->second, attribute); !problem.empty()) {
        violations.push_back({property, problem});
        continue;
      }
    }
    values[name] = attribute;
  }
  input.customAttributes = std::move(values);
}

std::string checkScalar(AttributeType type, const Var& value) {
  switch (type) {
    case AttributeType::kString:
      if (!value.isString()) return "must be a string";
      if (utf8Length(value.extract<std::string>()) > kMaxAttributeValue) {
        return sizeMessage(kMaxAttributeValue);
      }
      return {};
    case AttributeType::kDecimal:
      if (value.isBoolean() || value.isString() || !value.isNumeric())
        return "must be a decimal number";
      return {};
    case AttributeType::kInteger:
      if (value.isBoolean() || !value.isInteger()) return "must be an integer";
      return {};
    case AttributeType::kBoolean:
      if (!value.isBoolean()) return "must be a boolean";
      return {};
    case AttributeType::kDate:
      if (!value.isString() || !isValidDate(value.extract<std::string>())) {
        return "must be a date in format YYYY-MM-DD";
      }
      return {};
    case AttributeType::kDateTime:
      if (!value.isString() || !isValidDateTime(value.extract<std::string>())) {
        return "must be a date-time in format yyyy-MM-dd'T'HH:mm:ss";
      }
      return {};
    case AttributeType::kListOfObjects:
      return "nested lists are not supported";
  }
  return {};
}

}  // namespace

std::string checkAttributeValue(const AttributeDef& def, const Var& value) {
  if (def.type != AttributeType::kListOfObjects) return checkScalar(def.type, value);
  if (!isArray(value)) return "must be a list of objects";
  const auto array = value.extract<Array::Ptr>();
  for (size_t i = 0; i < array->size(); ++i) {
    const Var item = array->get(i);
    if (!isObject(item)) return "item " + std::to_string(i) + " must be an object";
    for (const auto& [key, field] : *item.extract<Object::Ptr>()) {
      const auto schema = def.objectSchema.find(key);
      if (schema == def.objectSchema.end()) {
        return "item " + std::to_string(i) + " has property '" + key + "' not in the object schema";
      }
      if (field.isEmpty()) continue;
      if (auto problem = checkScalar(schema->second, field); !problem.empty()) {
        return "item " + std::to_string(i) + " property '" + key + "' " + problem;
      }
    }
  }
  return {};
}

void parseContactInformationV2(const Var& value, const std::string& path, PersonInput& input,
                               std::vector<Violation>& violations) {
  if (value.isEmpty()) {
    input.emails = std::vector<Contact>{};
    input.phones = std::vector<Contact>{};
    return;
  }
  if (!isObject(value)) {
    violations.push_back({path, "must be an object"});
    return;
  }
  const auto object = value.extract<Object::Ptr>();
  for (const auto& [kind, list] : *object) {
    const bool email = kind == "email";
    if (kind != "email" && kind != "phone") {
      // Channel destinations (push, facebook, ...) are read-only: the API ignores them on write.
      continue;
    }
    const std::string listPath = path + "." + kind;
    std::vector<Contact> contacts;
    if (!list.isEmpty() && !isArray(list)) {
      violations.push_back({listPath, "must be an array"});
      continue;
    }
    if (!list.isEmpty()) {
      const auto array = list.extract<Array::Ptr>();
      for (size_t i = 0; i < array->size(); ++i) {
        const std::string item = listPath + "[" + std::to_string(i) + "]";
        const Var entry = array->get(i);
        const char* key = email ? "address" : "number";
        if (!isObject(entry)) {
          violations.push_back({item, "must be an object"});
          continue;
        }
        const Var text = entry.extract<Object::Ptr>()->get(key);
        const std::string property = item + "." + key;
        if (!text.isString()) {
          violations.push_back({property, "must not be null"});
          continue;
        }
        const auto contact = text.extract<std::string>();
        if (email && !isValidEmail(contact)) {
          violations.push_back({property, emailMessage(BodyShape::kV2)});
          continue;
        }
        if (!email && contact.size() > 50) {
          violations.push_back({property, sizeMessage(50)});
          continue;
        }
        if (!email && !isValidPhone(contact)) {
          violations.push_back({property, phoneMessage(BodyShape::kV2)});
          continue;
        }
        appendContacts(contacts, {{contact, false}}, email);
      }
    }
    checkContactCount(contacts, listPath, violations);
    (email ? input.emails : input.phones) = std::move(contacts);
  }
}

PersonInput parsePersonInput(const Object& body, BodyShape shape, const std::string& prefix,
                             const AttributeDefs& defs, std::vector<Violation>& violations) {
  PersonInput input;
  for (const auto& [name, value] : body) {
    const std::string path = prefix + name;
    if (name == "contactInformation") {
      if (shape == BodyShape::kV2) {
        parseContactInformationV2(value, path, input, violations);
      } else if (value.isEmpty()) {
        input.emails = std::vector<Contact>{};
        input.phones = std::vector<Contact>{};
      } else {
        parseContactInformationV3(value, path, input, violations);
      }
      continue;
    }
    if (name == "tags") {
      parseTags(value, path, shape, input, violations);
      continue;
    }
    if (name == "customAttributes") {
      parseCustomAttributes(value, path, defs, input, violations);
      continue;
    }
    if (readOnlyPersonKeys().count(name) > 0) continue;
    const FieldSpec* spec = findPersonField(name);
    if (spec == nullptr || (shape == BodyShape::kV2 && name == "nickName")) {
      violations.push_back({path, "Unrecognized property"});
      continue;
    }
    if (value.isEmpty()) {
      input.fields[name] = std::nullopt;
      continue;
    }
    if (!value.isString()) {
      violations.push_back({path, "must be a string"});
      continue;
    }
    auto text = value.extract<std::string>();
    if (auto problem = checkStandardField(*spec, text); !problem.empty()) {
      violations.push_back({path, problem});
      continue;
    }
    // An empty string is stored as "no value", as the portal shows it.
    if (text.empty()) {
      input.fields[name] = std::nullopt;
    } else {
      input.fields[name] = std::move(text);
    }
  }
  return input;
}

bool sameContact(const Contact& a, const Contact& b, bool email) {
  return email ? lowerAscii(a.value) == lowerAscii(b.value) : a.value == b.value;
}

void appendContacts(std::vector<Contact>& target, const std::vector<Contact>& added, bool email) {
  for (const auto& contact : added) {
    auto existing = std::find_if(target.begin(), target.end(),
                                 [&](const Contact& c) { return sameContact(c, contact, email); });
    if (contact.primary) {
      for (auto& c : target) c.primary = false;
    }
    if (existing == target.end()) {
      target.push_back(contact);
    } else if (contact.primary) {
      existing->primary = true;
    }
  }
}

Person applyInput(const Person& base, const PersonInput& input, WriteMode mode) {
  Person result = base;
  if (mode == WriteMode::kReplace) {
    result.fields.clear();
    result.tags.clear();
    result.customAttributes.clear();
    result.emails.clear();
    result.phones.clear();
  }
  for (const auto& [name, value] : input.fields) {
    if (value) {
      result.fields[name] = *value;
    } else {
      result.fields.erase(name);
    }
  }
  if (input.tags) {
    for (const auto& tag : *input.tags) {
      if (std::find(result.tags.begin(), result.tags.end(), tag) == result.tags.end()) {
        result.tags.push_back(tag);
      }
    }
  }
  if (input.customAttributes) {
    for (const auto& [name, value] : *input.customAttributes) {
      if (value.isEmpty()) {
        result.customAttributes.erase(name);
      } else {
        result.customAttributes[name] = value;
      }
    }
  }
  if (input.emails) appendContacts(result.emails, *input.emails, true);
  if (input.phones) appendContacts(result.phones, *input.phones, false);
  return result;
}

}  // namespace ferry::sandbox::people
