// The account's data as the emulator holds it: persons, custom attribute definitions, tags and
// companies, plus the value checks every write goes through.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Poco/Dynamic/Var.h>

namespace ferry::sandbox::people {

struct Contact {
  std::string value;  // email address as given (matching is case-insensitive) or phone digits
  bool primary = false;
};

struct Person {
  int64_t id = 0;
  // Writable standard attributes that have a value, by API name (externalId, type, firstName...).
  std::map<std::string, std::string> fields;
  std::vector<std::string> tags;  // unique, in the order they were added
  std::map<std::string, Poco::Dynamic::Var> customAttributes;
  std::vector<Contact> emails;
  std::vector<Contact> phones;
  std::string origin;        // who created it: API | PORTAL
  std::string modifiedFrom;  // who wrote it last
  std::string createdAt;     // yyyy-MM-dd'T'HH:mm:ss
  std::string modifiedAt;
  std::optional<int64_t> companyId;  // managed only through /people/2/companies/persons

  std::string field(const std::string& name) const;  // "" when unset
  std::string type() const;                          // LEAD | CUSTOMER (default CUSTOMER)
  // Same content, ignoring bookkeeping (id, timestamps, origin): drives NOT_MODIFIED.
  bool sameContent(const Person& other) const;
};

enum class AttributeType {
  kString,
  kDecimal,
  kInteger,
  kBoolean,
  kDate,
  kDateTime,
  kListOfObjects
};

struct AttributeDef {
  std::string name;
  AttributeType type = AttributeType::kString;
  std::map<std::string, AttributeType> objectSchema;  // LIST_OF_OBJECTS only
  std::string createdAt;
  std::string modifiedAt;
};

struct Tag {
  int64_t id = 0;
  std::string name;
  std::string createdAt;
  std::string modifiedAt;
};

struct Company {
  int64_t id = 0;
  std::map<std::string, std::string> fields;  // name, externalId, country, region, ...
  std::vector<std::string> domains;
  std::vector<std::string> tags;
  Poco::Dynamic::Var customAttributes;  // object or empty
  Poco::Dynamic::Var serviceData;       // object or empty
  std::string origin;
  std::string modifiedFrom;
  std::string createdAt;
  std::string modifiedAt;
};

// A standard person attribute: API name and the documented maximum length (0: enum/format).
struct FieldSpec {
  const char* name;
  size_t maxLength;
};
// Writable v2 attributes in the API's output order; nickName is v3 only.
const std::vector<FieldSpec>& personFieldSpecs();
const FieldSpec* findPersonField(std::string_view name);

std::optional<AttributeType> parseAttributeType(std::string_view text);
const char* attributeTypeName(AttributeType type);

// Format checks (true when valid).
bool isValidEmail(std::string_view email);
bool isValidPhone(std::string_view phone);        // international digits, no '+', 7..15 digits
bool isValidDate(std::string_view date);          // YYYY-MM-DD, a real calendar day
bool isValidDateTime(std::string_view dateTime);  // yyyy-MM-ddTHH:mm:ss[.SSS][Z|+hh:mm]
bool isValidLanguage(std::string_view language);  // xx or xx-YY

std::string lowerAscii(std::string_view text);
// Length in characters (UTF-8 code points): the documented limits count characters, not bytes.
size_t utf8Length(std::string_view text);

}  // namespace ferry::sandbox::people
