// sObject describe results: parsing `GET sobjects/{X}/describe`, a compact form for caching and
// for the static catalogue (schema/entities.json), the mapping to sdk::EntitySchema, and typed
// conversion of field values between Salesforce JSON/CSV and sdk::Value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/sdk/result.hpp"
#include "ferry/sdk/schema.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::plugins::salesforce {

struct FieldDescription {
  std::string name;
  std::string label;
  std::string type;  // Salesforce type: id, string, email, picklist, datetime, reference, ...
  std::int64_t length = 0;
  bool nillable = true;
  bool createable = false;
  bool updateable = false;
  bool defaultedOnCreate = false;
  bool externalId = false;
  bool idLookup = false;
  bool filterable = true;
  bool unique = false;
  std::string relationshipName;             // "Account" for AccountId
  std::vector<std::string> referenceTo;     // target sObjects of a reference
  std::vector<std::string> picklistValues;  // active values only

  bool requiredOnCreate() const noexcept { return !nillable && !defaultedOnCreate && createable; }
};

struct ObjectDescription {
  std::string name;
  std::string label;
  std::string keyPrefix;
  bool queryable = true;
  bool createable = true;
  bool updateable = true;
  bool deletable = true;
  std::vector<FieldDescription> fields;

  const FieldDescription* field(std::string_view name) const noexcept;  // case-insensitive
  // The field whose relationshipName is `name` (case-insensitive), e.g. "Account" -> AccountId.
  const FieldDescription* relationship(std::string_view name) const noexcept;
};

// Parses a describe response body. Errors are kMalformedResponse naming what is missing.
sdk::Result<ObjectDescription> parseDescribe(std::string_view body);

// Compact JSON (the cache and schema/entities.json format) and back.
std::string toCompactJson(const ObjectDescription& object);
sdk::Result<ObjectDescription> fromCompactJson(const sdk::Value& json);
sdk::Result<std::vector<ObjectDescription>> parseCatalogue(std::string_view jsonArray);

// The SDK view: type mapping, required-on-create = !nillable && !defaultedOnCreate && createable,
// identity = email/phone types, external ids and idLookup fields.
sdk::FieldType sdkFieldType(std::string_view salesforceType) noexcept;
sdk::EntitySchema toEntitySchema(const ObjectDescription& object);

// Converts a value as Salesforce sends it in JSON (already parsed) to the SDK value for a field
// of `salesforceType` (empty = unknown type: left as parsed). Datetimes become DateTime, dates
// Date, multipicklists lists; nested relationship objects lose their "attributes".
sdk::Value fromApiValue(const sdk::Value& raw, std::string_view salesforceType);
// Same for a CSV cell of a Bulk API result (empty cell = null).
sdk::Value fromCsvValue(std::string_view cell, std::string_view salesforceType);
// Converts an SDK value to what Salesforce accepts in a JSON body for the field type
// (dates "YYYY-MM-DD", datetimes ISO 8601 UTC, lists joined with ';' for multipicklists).
sdk::Result<sdk::Value> toApiValue(const sdk::Value& value, std::string_view salesforceType);

}  // namespace ferry::plugins::salesforce
