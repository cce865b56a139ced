// Data model of the emulated org: field values, field and object metadata (what describe
// returns and what validation enforces), record ids and timestamp formats.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace ferry::sandbox::salesforce {

enum class FieldType {
  kId,
  kString,
  kTextarea,
  kEmail,
  kPhone,
  kUrl,
  kPicklist,
  kBoolean,
  kInt,
  kDouble,
  kCurrency,
  kDate,
  kDateTime,
  kReference
};

std::string_view fieldTypeName(FieldType type);  // describe's "type" value
std::string_view soapTypeName(FieldType type);   // describe's "soapType" value

// A stored value. Dates are "YYYY-MM-DD" strings (sort correctly as text); datetimes are
// epoch milliseconds, formatted on output.
struct DateTimeMs {
  int64_t ms = 0;
  bool operator==(const DateTimeMs&) const = default;
};
using Value = std::variant<std::monostate, bool, int64_t, double, std::string, DateTimeMs>;

inline bool isNull(const Value& value) { return std::holds_alternative<std::monostate>(value); }

struct PicklistValue {
  std::string value;
  bool defaultValue = false;
};

struct FieldDef {
  std::string name;
  std::string label;
  FieldType type = FieldType::kString;
  int length = 0;  // strings; 0 for non-text types
  int precision = 0;
  int scale = 0;
  int digits = 0;
  bool nillable = true;
  bool createable = true;
  bool updateable = true;
  bool defaultedOnCreate = false;
  bool externalId = false;
  bool unique = false;
  bool idLookup = false;
  bool custom = false;
  bool calculated = false;
  bool filterable = true;
  bool sortable = true;
  bool restrictedPicklist = false;
  std::vector<PicklistValue> picklist;
  std::vector<std::string> referenceTo;
  std::string relationshipName;  // "Account" for AccountId
};

struct ObjectDef {
  std::string name;
  std::string label;
  std::string labelPlural;
  std::string keyPrefix;
  std::vector<FieldDef> fields;
  std::unordered_map<std::string, size_t> byLowerName;          // lower-case name -> index
  std::unordered_map<std::string, size_t> byLowerRelationship;  // "account" -> AccountId index
  size_t isDeletedIndex = 0;  // cached: read for every record a query scans

  const FieldDef* field(std::string_view name) const;  // case-insensitive
  std::optional<size_t> index(std::string_view name) const;
  std::optional<size_t> relationshipIndex(std::string_view name) const;
  size_t require(std::string_view name) const;  // index of a field the code knows exists
};

// The org's schema: Account, Contact, Lead.
class Schema {
 public:
  Schema();
  const ObjectDef* object(std::string_view name) const;     // case-insensitive
  const ObjectDef* objectForId(std::string_view id) const;  // by key prefix
  const std::vector<ObjectDef>& objects() const { return objects_; }

 private:
  std::vector<ObjectDef> objects_;
};

// 18-character ids: 15 case-sensitive characters plus a 3-character case-safe checksum.
std::string idChecksum(std::string_view id15);
std::string makeId(std::string_view keyPrefix, uint64_t serial);
// Accepts 15- or 18-character ids (checksum verified); returns the 18-character form.
std::optional<std::string> normalizeId(std::string_view id);

// "2024-03-05T14:07:09.000+0000" (REST) / "2024-03-05T14:07:09.000Z" (Bulk CSV).
std::string formatDateTime(int64_t ms);
std::string formatDateTimeZ(int64_t ms);
std::string formatDate(int64_t ms);
// ISO-8601 datetime with Z or ±hh:mm / ±hhmm offset, optional fraction; nullopt when invalid.
std::optional<int64_t> parseDateTime(std::string_view text);
bool isValidDate(std::string_view text);  // YYYY-MM-DD, real calendar date

}  // namespace ferry::sandbox::salesforce
