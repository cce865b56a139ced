// SOQL building with validated names and quoted literals.
#include "ferry/plugins/salesforce/soql.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "ferry/plugins/salesforce/api.hpp"

namespace ferry::plugins::salesforce {

namespace {

using sdk::ErrorCode;

sdk::Error invalid(std::string message) {
  return sdk::Error::make(ErrorCode::kInvalidArgument, std::move(message));
}

bool isTextType(std::string_view t) {
  static constexpr std::string_view kTypes[] = {"string",    "textarea", "email",          "phone",
                                                "url",       "picklist", "multipicklist",  "id",
                                                "reference", "combobox", "encryptedstring"};
  for (const auto k : kTypes) {
    if (k == t) return true;
  }
  return false;
}

bool isNumericType(std::string_view t) {
  return t == "int" || t == "long" || t == "double" || t == "currency" || t == "percent";
}

// Strict decimal number text: [-]digits[.digits][e[-]digits]. SOQL takes it as written.
bool isNumberText(std::string_view s) {
  double d = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size() && std::isfinite(d) &&
         s.front() != '+' && s.find_first_of("nNiI") == std::string_view::npos;
}

std::string numberText(const sdk::Value& v) {
  if (v.isInteger()) return std::to_string(v.asInteger());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v.asDecimal());
  return buf;
}

std::string dateLiteral(sdk::Date d) { return d.toIso(); }

}  // namespace

bool isIdentifier(std::string_view name) noexcept {
  if (name.empty() || name.size() > 255) return false;
  if (std::isalpha(static_cast<unsigned char>(name.front())) == 0) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') return false;
  }
  // Doubled underscores only as the namespace/suffix separator ("ns__Field__c"): never three
  // in a row, never trailing.
  return name.back() != '_' && name.find("___") == std::string_view::npos;
}

sdk::Result<std::string> checkFieldPath(const ObjectDescription& object, std::string_view path) {
  const auto dot = path.find('.');
  if (dot == std::string_view::npos) {
    if (!isIdentifier(path)) return invalid("'" + std::string(path) + "' is not a field name");
    const auto* f = object.field(path);
    if (f == nullptr) {
      return invalid(object.name + " has no field '" + std::string(path) + "'");
    }
    return f->name;
  }
  // Parent relationship path: Account.Name, Account.Owner.Email (up to 5 levels in SOQL).
  std::string canonical;
  std::size_t start = 0;
  int depth = 0;
  while (start <= path.size()) {
    auto end = path.find('.', start);
    if (end == std::string_view::npos) end = path.size();
    const auto part = path.substr(start, end - start);
    if (!isIdentifier(part)) {
      return invalid("'" + std::string(path) + "' is not a field path");
    }
    if (++depth > 6) return invalid("'" + std::string(path) + "' is nested too deeply");
    canonical += (canonical.empty() ? "" : ".") + std::string(part);
    start = end + 1;
    if (end == path.size()) break;
  }
  const auto relationship = path.substr(0, dot);
  const auto* ref = object.relationship(relationship);
  if (ref == nullptr) {
    return invalid(object.name + " has no relationship '" + std::string(relationship) + "' (in '" +
                   std::string(path) + "')");
  }
  return ref->relationshipName + canonical.substr(relationship.size());
}

sdk::Result<std::string> quoteString(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  for (const char c : text) {
    switch (c) {
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          return invalid("a string literal contains a control character SOQL cannot express");
        }
        out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

std::string datetimeLiteral(std::int64_t epochMs) {
  const std::int64_t floored = epochMs - (((epochMs % 1000) + 1000) % 1000);
  std::string iso = sdk::DateTime{floored}.toIso();  // 2024-03-05T14:07:09.000Z
  return iso.substr(0, 19) + "Z";
}

sdk::Result<std::string> literalFor(const sdk::Value& value, std::string_view type) {
  const std::string want(type);
  const auto mismatch = [&]() {
    return invalid("value " + value.preview() + " does not fit a " + want + " field");
  };
  if (value.isNull()) return std::string("null");
  if (type == "boolean") {
    if (value.isBool()) return std::string(value.asBool() ? "true" : "false");
    if (value.isString() && (value.asString() == "true" || value.asString() == "false")) {
      return value.asString();
    }
    return mismatch();
  }
  if (isNumericType(type)) {
    if (value.isNumber()) {
      if (value.isDecimal() && !std::isfinite(value.asDecimal())) return mismatch();
      return numberText(value);
    }
    if (value.isString() && isNumberText(value.asString())) return value.asString();
    return mismatch();
  }
  if (type == "date") {
    if (value.isDate()) return dateLiteral(value.asDate());
    if (value.isString()) {
      if (auto d = sdk::Date::parseIso(value.asString())) return dateLiteral(*d);
    }
    return mismatch();
  }
  if (type == "datetime") {
    std::optional<sdk::DateTime> t;
    if (value.isDateTime()) t = value.asDateTime();
    if (value.isString()) t = sdk::DateTime::parseIso(value.asString());
    if (!t) return mismatch();
    if (t->epochMs % 1000 != 0) {
      return invalid("datetime " + value.preview() + " has sub-second precision SOQL lacks");
    }
    return datetimeLiteral(t->epochMs);
  }
  if (isTextType(type) || type.empty()) {
    if (value.isString()) return quoteString(value.asString());
    if (value.isNumber()) return quoteString(numberText(value));
    if (value.isBool()) return quoteString(value.asBool() ? "true" : "false");
    return mismatch();
  }
  return invalid("fields of type " + want + " cannot be compared in SOQL");
}

sdk::Result<std::string> whereFromConditions(const ObjectDescription& object,
                                             const std::vector<sdk::Condition>& conditions) {
  using Op = sdk::Condition::Op;
  std::string where;
  for (const auto& c : conditions) {
    auto path = checkFieldPath(object, c.field);
    if (!path) return path.takeError();
    // Relationship paths are filtered by the host only (their types need another describe).
    const auto* f = c.field.find('.') == std::string::npos ? object.field(c.field) : nullptr;
    if (f == nullptr || !f->filterable) continue;
    const std::size_t arity = (c.op == Op::kIsNull || c.op == Op::kNotNull) ? 0
                              : (c.op == Op::kIn || c.op == Op::kNotIn)     ? SIZE_MAX
                                                                            : 1;
    if (arity != SIZE_MAX && c.values.size() != arity) {
      return invalid("condition on " + c.field + " needs " + std::to_string(arity) + " value(s)");
    }
    std::vector<std::string> literals;
    bool pushable = true;
    for (const auto& v : c.values) {
      auto lit = literalFor(v, f->type);
      if (!lit) {
        // Sub-second datetimes cannot be expressed: leave this condition to the host.
        if (f->type == "datetime" && v.isDateTime()) {
          pushable = false;
          break;
        }
        return sdk::Error::make(ErrorCode::kInvalidArgument,
                                "condition on " + c.field + ": " + lit.error().message);
      }
      literals.push_back(std::move(*lit));
    }
    if (!pushable) continue;
    std::string clause;
    switch (c.op) {
      case Op::kEq:
        clause = *path + " = " + literals[0];
        break;
      case Op::kNe:
        clause = *path + " != " + literals[0];
        break;
      case Op::kGt:
        clause = *path + " > " + literals[0];
        break;
      case Op::kGe:
        clause = *path + " >= " + literals[0];
        break;
      case Op::kLt:
        clause = *path + " < " + literals[0];
        break;
      case Op::kLe:
        clause = *path + " <= " + literals[0];
        break;
      case Op::kIsNull:
        clause = *path + " = null";
        break;
      case Op::kNotNull:
        clause = *path + " != null";
        break;
      case Op::kIn:
      case Op::kNotIn: {
        if (literals.empty()) {
          // IN () matches nothing, NOT IN () everything; SOQL has no empty list.
          if (c.op == Op::kIn) clause = "Id = null";
          break;
        }
        std::string list;
        for (const auto& l : literals) list += (list.empty() ? "" : ", ") + l;
        clause = *path + (c.op == Op::kIn ? " IN (" : " NOT IN (") + list + ")";
        break;
      }
    }
    if (clause.empty()) continue;
    where += (where.empty() ? "" : " AND ") + clause;
  }
  return where;
}

sdk::Result<std::string> buildChangesQuery(const ChangesQuery& q) {
  if (!isIdentifier(q.object)) return invalid("'" + q.object + "' is not an sObject name");
  if (!isIdentifier(q.timestampField)) return invalid("bad timestamp field");
  if (q.fields.empty()) return invalid("no fields to select");
  std::string soql = "SELECT ";
  for (std::size_t i = 0; i < q.fields.size(); ++i) {
    if (i > 0) soql += ", ";
    soql += q.fields[i];
  }
  soql +=
      " FROM " + q.object + " WHERE " + q.timestampField + " >= " + datetimeLiteral(q.lowerBoundMs);
  if (!q.filter.empty()) soql += " AND (" + q.filter + ")";
  if (q.ordered) soql += " ORDER BY " + q.timestampField + " ASC, Id ASC";
  if (soql.size() > kMaxSoqlChars) return invalid("query exceeds the SOQL length limit");
  return soql;
}

sdk::Result<std::vector<std::string>> buildLookupQueries(
    std::string_view object, const std::vector<std::string>& fields,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& keys,
    std::size_t maxEncodedChars) {
  if (!isIdentifier(object)) return invalid("'" + std::string(object) + "' is not an sObject");
  if (fields.empty()) return invalid("no fields to select");
  std::string head = "SELECT ";
  for (std::size_t i = 0; i < fields.size(); ++i) head += (i > 0 ? ", " : "") + fields[i];
  head += " FROM " + std::string(object) + " WHERE ";
  const std::size_t headCost = percentEncodedLength(head);
  const std::size_t budget = std::min(maxEncodedChars, kMaxSoqlChars);

  std::vector<std::string> out;
  // Per statement: field -> literals taken so far.
  std::vector<std::pair<std::string, std::vector<std::string>>> current;
  std::size_t cost = headCost;
  const auto flush = [&]() {
    std::string soql = head;
    bool first = true;
    for (const auto& [field, lits] : current) {
      if (lits.empty()) continue;
      soql += first ? "" : " OR ";
      first = false;
      soql += field + " IN (";
      for (std::size_t i = 0; i < lits.size(); ++i) soql += (i > 0 ? ", " : "") + lits[i];
      soql += ")";
    }
    if (!first) out.push_back(std::move(soql));
    current.clear();
    cost = headCost;
  };
  for (const auto& [field, literals] : keys) {
    if (!isIdentifier(field)) return invalid("'" + field + "' is not a field name");
    // " OR " + field + " IN (" + ")"
    const std::size_t clauseCost = percentEncodedLength(" OR " + field + " IN ()");
    bool open = false;
    for (const auto& lit : literals) {
      const std::size_t litCost = percentEncodedLength(lit) + percentEncodedLength(", ");
      if (headCost + clauseCost + litCost > budget) {
        return invalid("a lookup value is too long for one query");
      }
      if (cost + (open ? 0 : clauseCost) + litCost > budget) {
        flush();
        open = false;
      }
      if (!open) {
        current.emplace_back(field, std::vector<std::string>());
        cost += clauseCost;
        open = true;
      }
      current.back().second.push_back(lit);
      cost += litCost;
    }
  }
  flush();
  return out;
}

}  // namespace ferry::plugins::salesforce
