// Value model: dates, objects, values, paths.
#include "ferry/sdk/value.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace ferry::sdk {

namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

bool isLeap(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int y, int m) noexcept {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` decimal digits at `pos`; advances pos. No signs, no spaces.
bool readDigits(std::string_view s, std::size_t& pos, std::size_t n, int& out) noexcept {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) noexcept {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

// Floor division and modulo, so negative epochs render as dates before 1970.
std::int64_t floorDiv(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::optional<Date> parseDatePart(std::string_view s, std::size_t& pos) noexcept {
  Date d;
  if (!readDigits(s, pos, 4, d.year) || !expect(s, pos, '-') || !readDigits(s, pos, 2, d.month) ||
      !expect(s, pos, '-') || !readDigits(s, pos, 2, d.day) || !d.valid()) {
    return std::nullopt;
  }
  return d;
}

struct KeyLess {
  bool operator()(const Object::Entry& e, std::string_view k) const noexcept { return e.first < k; }
};

}  // namespace

// ---- Date -------------------------------------------------------------------------------------

// Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
std::int64_t Date::toDays() const noexcept {
  const std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2 ? 1 : 0);
  const std::int64_t era = floorDiv(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date Date::fromDays(std::int64_t days) noexcept {
  const std::int64_t z = days + 719468;
  const std::int64_t era = floorDiv(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return Date{static_cast<int>(y), static_cast<int>(m), static_cast<int>(d)};
}

bool Date::valid() const noexcept {
  return year >= 0 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
         day <= daysInMonth(year, month);
}

std::string Date::toIso() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

std::optional<Date> Date::parseIso(std::string_view s) {
  std::size_t pos = 0;
  auto d = parseDatePart(s, pos);
  if (!d || pos != s.size()) return std::nullopt;
  return d;
}

// ---- DateTime ---------------------------------------------------------------------------------

std::string DateTime::toIso() const {
  const std::int64_t days = floorDiv(epochMs, kMsPerDay);
  const std::int64_t msOfDay = epochMs - days * kMsPerDay;
  const Date d = Date::fromDays(days);
  const auto secs = msOfDay / 1000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", d.year, d.month, d.day,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60), static_cast<int>(msOfDay % 1000));
  return buf;
}

std::optional<DateTime> DateTime::parseIso(std::string_view s) {
  std::size_t pos = 0;
  const auto date = parseDatePart(s, pos);
  if (!date) return std::nullopt;
  // 'T' per ISO 8601; a space is what SQL and many exports write.
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) return std::nullopt;
  ++pos;
  int hh = 0, mi = 0, ss = 0, ms = 0;
  if (!readDigits(s, pos, 2, hh) || !expect(s, pos, ':') || !readDigits(s, pos, 2, mi)) {
    return std::nullopt;
  }
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!readDigits(s, pos, 2, ss)) return std::nullopt;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      std::size_t digits = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 3) ms = ms * 10 + (s[pos] - '0');  // finer precision is truncated
        ++digits;
        ++pos;
      }
      if (digits == 0) return std::nullopt;
      for (std::size_t i = digits; i < 3; ++i) ms *= 10;
    }
  }
  if (hh > 23 || mi > 59 || ss > 59) return std::nullopt;

  int offsetMinutes = 0;
  if (pos < s.size()) {
    const char z = s[pos];
    if (z == 'Z' || z == 'z') {
      ++pos;
    } else if (z == '+' || z == '-') {
      ++pos;
      int oh = 0, om = 0;
      if (!readDigits(s, pos, 2, oh)) return std::nullopt;
      if (pos < s.size()) {
        if (s[pos] == ':') ++pos;
        if (!readDigits(s, pos, 2, om)) return std::nullopt;
      }
      if (oh > 23 || om > 59) return std::nullopt;
      offsetMinutes = (oh * 60 + om) * (z == '-' ? -1 : 1);
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;

  const std::int64_t local = date->toDays() * kMsPerDay + ((hh * 60 + mi) * 60LL + ss) * 1000 + ms;
  return DateTime{local - offsetMinutes * 60'000LL};
}

// ---- Object -----------------------------------------------------------------------------------

Object::Object(std::initializer_list<Entry> entries) {
  entries_.reserve(entries.size());
  for (const auto& e : entries) set(e.first, e.second);
}

const Value* Object::find(std::string_view key) const noexcept {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key, KeyLess{});
  return it != entries_.end() && it->first == key ? &it->second : nullptr;
}

Value* Object::find(std::string_view key) noexcept {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key, KeyLess{});
  return it != entries_.end() && it->first == key ? &it->second : nullptr;
}

void Object::set(std::string key, Value value) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key, KeyLess{});
  if (it != entries_.end() && it->first == key) {
    it->second = std::move(value);
  } else {
    entries_.emplace(it, std::move(key), std::move(value));
  }
}

Value& Object::operator[](std::string_view key) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key, KeyLess{});
  if (it == entries_.end() || it->first != key) {
    it = entries_.emplace(it, std::string(key), Value{});
  }
  return it->second;
}

bool Object::erase(std::string_view key) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key, KeyLess{});
  if (it == entries_.end() || it->first != key) return false;
  entries_.erase(it);
  return true;
}

bool Object::operator==(const Object& other) const { return entries_ == other.entries_; }

// ---- Value ------------------------------------------------------------------------------------

const char* toString(ValueKind kind) noexcept {
  switch (kind) {
    case ValueKind::kNull:
      return "null";
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kInteger:
      return "integer";
    case ValueKind::kDecimal:
      return "decimal";
    case ValueKind::kString:
      return "string";
    case ValueKind::kDate:
      return "date";
    case ValueKind::kDateTime:
      return "datetime";
    case ValueKind::kList:
      return "list";
    case ValueKind::kObject:
      return "object";
  }
  return "unknown";
}

double Value::asNumber() const {
  return isInteger() ? static_cast<double>(asInteger()) : asDecimal();
}

namespace {

// Integer vs decimal: equal only when the decimal is exactly that integer (no rounding through
// double, which would make 2^53+1 equal 2^53).
bool integerEqualsDecimal(std::int64_t i, double d) noexcept {
  if (!std::isfinite(d) || std::trunc(d) != d) return false;
  // 2^63 is exactly representable; anything at or beyond it cannot be an int64.
  if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
  return static_cast<std::int64_t>(d) == i;
}

}  // namespace

bool Value::operator==(const Value& other) const {
  if (isInteger() && other.isDecimal()) return integerEqualsDecimal(asInteger(), other.asDecimal());
  if (isDecimal() && other.isInteger()) return integerEqualsDecimal(other.asInteger(), asDecimal());
  return data_ == other.data_;
}

std::string Value::preview(std::size_t maxChars) const {
  const std::size_t limit = std::max<std::size_t>(maxChars, 4);
  std::string text;
  if (isString()) {
    const std::string& s = asString();
    if (s.size() + 2 <= limit) return '"' + s + '"';
    std::size_t cut = limit > 5 ? limit - 5 : 1;
    // Do not split a UTF-8 sequence: back up to a lead byte.
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return '"' + s.substr(0, cut) + "...\"";
  }
  text = toJson();
  if (text.size() <= limit) return text;
  std::size_t cut = limit - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

// ---- Paths ------------------------------------------------------------------------------------

const Value* findPath(const Object& record, std::string_view dottedPath) noexcept {
  const Object* current = &record;
  while (true) {
    const auto dot = dottedPath.find('.');
    const Value* v = current->find(dottedPath.substr(0, dot));
    if (v == nullptr || dot == std::string_view::npos) return v;
    if (!v->isObject()) return nullptr;
    current = &v->asObject();
    dottedPath.remove_prefix(dot + 1);
  }
}

void setPath(Object& record, std::string_view dottedPath, Value value) {
  Object* current = &record;
  while (true) {
    const auto dot = dottedPath.find('.');
    if (dot == std::string_view::npos) {
      current->set(std::string(dottedPath), std::move(value));
      return;
    }
    Value& next = (*current)[dottedPath.substr(0, dot)];
    if (!next.isObject()) next = Object{};  // a scalar in the way is replaced by the object
    current = &next.asObject();
    dottedPath.remove_prefix(dot + 1);
  }
}

}  // namespace ferry::sdk
