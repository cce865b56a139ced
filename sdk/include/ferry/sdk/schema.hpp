// Entity schemas (what a connector can read/write) and settings schemas (how it is configured).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ferry/sdk/value.hpp"

namespace ferry::sdk {

enum class FieldType {
  kString,
  kNumber,
  kInteger,
  kBoolean,
  kDate,
  kDateTime,
  kEmail,
  kPhone,
  kReference,
  kList,
  kObject,
};
const char* toString(FieldType type) noexcept;
std::optional<FieldType> fieldTypeFromString(std::string_view name) noexcept;
// The value kind a field of this type carries (email/phone/reference are strings).
ValueKind valueKindOf(FieldType type) noexcept;

struct FieldSchema {
  std::string name;   // API name; nested paths use dots ("customAttributes.Tier")
  std::string label;  // human label, may be empty
  FieldType type = FieldType::kString;
  bool requiredOnCreate = false;          // must be present (non-null) when creating a record
  bool createable = true;                 // may be set on create
  bool updateable = true;                 // may be changed on update
  bool identity = false;                  // can be used as a match key (email, phone, external id)
  bool externalId = false;                // unique key usable for idempotent upserts
  std::optional<std::int64_t> maxLength;  // characters, for string-like fields
  std::vector<std::string> picklistValues;  // allowed values; empty = free text
  FieldType itemType = FieldType::kString;  // element type when type == kList
  std::string description;
};

struct EntitySchema {
  std::string name;  // "Contact", "Customer"
  std::string label;
  std::string idField = "Id";   // field carrying the record's id in read results
  bool readable = true;         // offers Source::read
  bool writable = true;         // offers Sink::write
  bool supportsDelete = false;  // Sink can delete; Source reports deletes
  std::vector<FieldSchema> fields;

  const FieldSchema* field(std::string_view name) const noexcept;
};

// One connector setting (a key under `settings:` in a connection file).
// kDuration values reach the connector as integer milliseconds (the host parses "30s", "5m",
// "1h30m"; a bare integer is already milliseconds). kObject is a structured value (a map) whose
// shape the plugin checks itself, e.g. the jsonl plugin's per-entity field declarations.
enum class SettingType { kString, kInteger, kBoolean, kDuration, kUrl, kEnum, kSecretRef, kObject };
const char* toString(SettingType type) noexcept;

struct SettingSchema {
  std::string name;
  SettingType type = SettingType::kString;
  bool required = false;
  Value defaultValue;                   // used when absent and not required
  std::vector<std::string> enumValues;  // for kEnum
  std::string description;              // shown by `ferry describe`
};

}  // namespace ferry::sdk
