// The value model that flows between steps: records of typed values.
//
// A Value is null, bool, integer (int64), decimal (IEEE double), string, date, datetime (UTC,
// millisecond precision), list or object. Records are Objects: ordered (by key) field maps.
// Values are plain, copyable data owned by whoever holds them; nothing refers back into a plugin.
#pragma once

#include <compare>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ferry::sdk {

struct Date {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  auto operator<=>(const Date&) const = default;
  // Days since 1970-01-01 (proleptic Gregorian); inverse of fromDays.
  std::int64_t toDays() const noexcept;
  static Date fromDays(std::int64_t days) noexcept;
  bool valid() const noexcept;
  std::string toIso() const;                              // "2024-03-05"
  static std::optional<Date> parseIso(std::string_view);  // strict "YYYY-MM-DD"
};

struct DateTime {
  std::int64_t epochMs = 0;  // milliseconds since the Unix epoch, UTC
  auto operator<=>(const DateTime&) const = default;
  std::string toIso() const;  // "2024-03-05T14:07:09.000Z"
  // Accepts ISO 8601 with 'Z', '+hh:mm', '+hhmm' or no zone (taken as UTC), optional fraction.
  static std::optional<DateTime> parseIso(std::string_view);
};

class Value;
using List = std::vector<Value>;

// Field map kept sorted by key: deterministic iteration, O(log n) lookup, cheap to copy.
class Object {
 public:
  using Entry = std::pair<std::string, Value>;
  Object() = default;
  Object(std::initializer_list<Entry> entries);

  const Value* find(std::string_view key) const noexcept;
  Value* find(std::string_view key) noexcept;
  bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }
  // Inserts or replaces.
  void set(std::string key, Value value);
  Value& operator[](std::string_view key);  // inserts null when missing
  bool erase(std::string_view key);
  // Defined after Value: the vector's members are constexpr in C++20, and clang instantiates
  // them (and so std::pair<std::string, Value>) where they are used, which needs a complete Value.
  std::size_t size() const noexcept;
  bool empty() const noexcept;
  void reserve(std::size_t n);
  auto begin() const noexcept;
  auto end() const noexcept;
  auto begin() noexcept;
  auto end() noexcept;
  bool operator==(const Object& other) const;
  // Compact JSON, as Value(object).toJson() gives, without copying the object into a Value.
  std::string toJson() const;

 private:
  std::vector<Entry> entries_;
};

enum class ValueKind {
  kNull,
  kBool,
  kInteger,
  kDecimal,
  kString,
  kDate,
  kDateTime,
  kList,
  kObject
};
const char* toString(ValueKind kind) noexcept;

class Value {
 public:
  Value() = default;                                     // null
  Value(std::nullptr_t) {}                               // NOLINT
  Value(bool b) : data_(b) {}                            // NOLINT
  Value(int i) : data_(static_cast<std::int64_t>(i)) {}  // NOLINT
  Value(std::int64_t i) : data_(i) {}                    // NOLINT
  Value(double d) : data_(d) {}                          // NOLINT
  Value(std::string s) : data_(std::move(s)) {}          // NOLINT
  Value(std::string_view s) : data_(std::string(s)) {}   // NOLINT
  Value(const char* s) : data_(std::string(s)) {}        // NOLINT
  Value(Date d) : data_(d) {}                            // NOLINT
  Value(DateTime t) : data_(t) {}                        // NOLINT
  Value(List l) : data_(std::move(l)) {}                 // NOLINT
  Value(Object o) : data_(std::move(o)) {}               // NOLINT

  ValueKind kind() const noexcept { return static_cast<ValueKind>(data_.index()); }
  bool isNull() const noexcept { return kind() == ValueKind::kNull; }
  bool isBool() const noexcept { return kind() == ValueKind::kBool; }
  bool isInteger() const noexcept { return kind() == ValueKind::kInteger; }
  bool isDecimal() const noexcept { return kind() == ValueKind::kDecimal; }
  bool isNumber() const noexcept { return isInteger() || isDecimal(); }
  bool isString() const noexcept { return kind() == ValueKind::kString; }
  bool isDate() const noexcept { return kind() == ValueKind::kDate; }
  bool isDateTime() const noexcept { return kind() == ValueKind::kDateTime; }
  bool isList() const noexcept { return kind() == ValueKind::kList; }
  bool isObject() const noexcept { return kind() == ValueKind::kObject; }

  // Unchecked accessors: call only after checking the kind.
  bool asBool() const { return std::get<bool>(data_); }
  std::int64_t asInteger() const { return std::get<std::int64_t>(data_); }
  double asDecimal() const { return std::get<double>(data_); }
  double asNumber() const;  // integer or decimal as double
  const std::string& asString() const { return std::get<std::string>(data_); }
  std::string& asString() { return std::get<std::string>(data_); }
  Date asDate() const { return std::get<Date>(data_); }
  DateTime asDateTime() const { return std::get<DateTime>(data_); }
  const List& asList() const { return std::get<List>(data_); }
  List& asList() { return std::get<List>(data_); }
  const Object& asObject() const { return std::get<Object>(data_); }
  Object& asObject() { return std::get<Object>(data_); }

  // Structural equality; integer 2 equals decimal 2.0 (values from JSON and from SQL agree).
  bool operator==(const Value& other) const;

  // Compact JSON text. Dates/datetimes become ISO strings; non-finite decimals become null.
  std::string toJson() const;
  // Parses JSON text into a Value (integers stay integers, other numbers become decimals).
  static std::optional<Value> fromJson(std::string_view text, std::string* error = nullptr);

  // A short, human-readable rendering for error messages (strings quoted, long ones cut).
  std::string preview(std::size_t maxChars = 60) const;

 private:
  std::variant<std::monostate, bool, std::int64_t, double, std::string, Date, DateTime, List,
               Object>
      data_;
};

inline std::size_t Object::size() const noexcept { return entries_.size(); }
inline bool Object::empty() const noexcept { return entries_.empty(); }
inline void Object::reserve(std::size_t n) { entries_.reserve(n); }
inline auto Object::begin() const noexcept { return entries_.begin(); }
inline auto Object::end() const noexcept { return entries_.end(); }
inline auto Object::begin() noexcept { return entries_.begin(); }
inline auto Object::end() noexcept { return entries_.end(); }

// Reads a dotted path ("customAttributes.Tier") inside nested objects; nullptr when absent.
const Value* findPath(const Object& record, std::string_view dottedPath) noexcept;
// Writes a dotted path, creating intermediate objects as needed.
void setPath(Object& record, std::string_view dottedPath, Value value);

}  // namespace ferry::sdk
