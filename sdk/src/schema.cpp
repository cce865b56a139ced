// Names of schema enums and small schema helpers.
#include "ferry/sdk/schema.hpp"

#include <array>
#include <cctype>
#include <utility>

namespace ferry::sdk {

namespace {

constexpr std::array<std::pair<FieldType, const char*>, 11> kFieldTypeNames{{
    {FieldType::kString, "string"},
    {FieldType::kNumber, "number"},
    {FieldType::kInteger, "integer"},
    {FieldType::kBoolean, "boolean"},
    {FieldType::kDate, "date"},
    {FieldType::kDateTime, "datetime"},
    {FieldType::kEmail, "email"},
    {FieldType::kPhone, "phone"},
    {FieldType::kReference, "reference"},
    {FieldType::kList, "list"},
    {FieldType::kObject, "object"},
}};

bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

const char* toString(FieldType type) noexcept {
  for (const auto& [t, name] : kFieldTypeNames) {
    if (t == type) return name;
  }
  return "unknown";
}

std::optional<FieldType> fieldTypeFromString(std::string_view name) noexcept {
  for (const auto& [t, n] : kFieldTypeNames) {
    if (equalsIgnoreCase(name, n)) return t;
  }
  return std::nullopt;
}

ValueKind valueKindOf(FieldType type) noexcept {
  switch (type) {
    case FieldType::kString:
    case FieldType::kEmail:
    case FieldType::kPhone:
    case FieldType::kReference:
      return ValueKind::kString;
    case FieldType::kNumber:
      return ValueKind::kDecimal;
    case FieldType::kInteger:
      return ValueKind::kInteger;
    case FieldType::kBoolean:
      return ValueKind::kBool;
    case FieldType::kDate:
      return ValueKind::kDate;
    case FieldType::kDateTime:
      return ValueKind::kDateTime;
    case FieldType::kList:
      return ValueKind::kList;
    case FieldType::kObject:
      return ValueKind::kObject;
  }
  return ValueKind::kNull;
}

const FieldSchema* EntitySchema::field(std::string_view fieldName) const noexcept {
  for (const auto& f : fields) {
    if (f.name == fieldName) return &f;
  }
  return nullptr;
}

const char* toString(SettingType type) noexcept {
  switch (type) {
    case SettingType::kString:
      return "string";
    case SettingType::kInteger:
      return "integer";
    case SettingType::kBoolean:
      return "boolean";
    case SettingType::kDuration:
      return "duration";
    case SettingType::kUrl:
      return "url";
    case SettingType::kEnum:
      return "enum";
    case SettingType::kSecretRef:
      return "secret_ref";
    case SettingType::kObject:
      return "object";
  }
  return "unknown";
}

}  // namespace ferry::sdk
