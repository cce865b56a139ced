#include "org.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <utility>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "ferry/sandbox/fake_data.hpp"
#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/json_writer.hpp"

namespace ferry::sandbox::salesforce {
namespace {

constexpr int64_t kRecycleBinMs = 15LL * 24 * 3600 * 1000;
const Value kNull{};

bool isTextual(FieldType type) {
  switch (type) {
    case FieldType::kString:
    case FieldType::kTextarea:
    case FieldType::kEmail:
    case FieldType::kPhone:
    case FieldType::kUrl:
    case FieldType::kPicklist:
      return true;
    default:
      return false;
  }
}

size_t utf8Length(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

std::string asciiLower(std::string_view text) { return toLower(text); }

int compareInsensitive(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    int x = std::tolower(static_cast<unsigned char>(a[i]));
    int y = std::tolower(static_cast<unsigned char>(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

double numberOf(const Value& value) {
  if (auto i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
  if (auto d = std::get_if<double>(&value)) return *d;
  return 0;
}

std::string formatNumber(double number) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, number);
  return std::string(buffer, end);
}

// Salesforce's email check: one '@', a dot-atom local part, a dotted domain with a TLD.
bool validEmail(const std::string& email) {
  size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos)
    return false;
  std::string_view local(email.data(), at);
  std::string_view domain(email.data() + at + 1, email.size() - at - 1);
  if (local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos)
    return false;
  static const std::string kLocalExtra = "!#$%&'*+/=?^_`{|}~.-";
  for (char c : local) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && kLocalExtra.find(c) == std::string::npos)
      return false;
  }
  if (domain.empty() || domain.find('.') == std::string_view::npos) return false;
  size_t start = 0;
  while (start <= domain.size()) {
    size_t end = domain.find('.', start);
    if (end == std::string_view::npos) end = domain.size();
    std::string_view label = domain.substr(start, end - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (end == domain.size()) {
      if (label.size() < 2) return false;
      for (char c : label)
        if (std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    start = end + 1;
  }
  return true;
}

std::string inputText(const InputValue& input) {
  if (auto s = std::get_if<std::string>(&input)) return *s;
  if (auto b = std::get_if<bool>(&input)) return *b ? "true" : "false";
  if (auto i = std::get_if<int64_t>(&input)) return std::to_string(*i);
  if (auto d = std::get_if<double>(&input)) return formatNumber(*d);
  return "";
}

// Converts a client value to the field's representation; nullopt when it has the wrong type.
std::optional<Value> convert(const FieldDef& def, const InputValue& input) {
  if (std::holds_alternative<std::monostate>(input)) {
    if (def.type == FieldType::kBoolean) return Value{false};
    return Value{};
  }
  const std::string* text = std::get_if<std::string>(&input);
  switch (def.type) {
    case FieldType::kBoolean:
      if (auto b = std::get_if<bool>(&input)) return Value{*b};
      if (text) {
        if (iequals(*text, "true") || *text == "1") return Value{true};
        if (iequals(*text, "false") || *text == "0") return Value{false};
      }
      return std::nullopt;
    case FieldType::kInt: {
      if (auto i = std::get_if<int64_t>(&input)) return Value{*i};
      if (auto d = std::get_if<double>(&input)) {
        if (std::floor(*d) == *d && std::fabs(*d) < 9.2e18) return Value{static_cast<int64_t>(*d)};
        return std::nullopt;
      }
      if (text) {
        int64_t value;
        auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
        if (ec == std::errc() && end == text->data() + text->size()) return Value{value};
      }
      return std::nullopt;
    }
    case FieldType::kDouble:
    case FieldType::kCurrency: {
      if (auto i = std::get_if<int64_t>(&input)) return Value{static_cast<double>(*i)};
      if (auto d = std::get_if<double>(&input)) return Value{*d};
      if (text) {
        double value;
        auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
        if (ec == std::errc() && end == text->data() + text->size() && std::isfinite(value))
          return Value{value};
      }
      return std::nullopt;
    }
    case FieldType::kDate:
      if (text && text->empty()) return Value{};
      if (text && isValidDate(*text)) return Value{*text};
      return std::nullopt;
    case FieldType::kDateTime:
      if (text && text->empty()) return Value{};
      if (text) {
        if (auto ms = parseDateTime(*text)) return Value{DateTimeMs{*ms}};
      }
      return std::nullopt;
    default: {
      if (std::holds_alternative<bool>(input) && def.type != FieldType::kString &&
          def.type != FieldType::kTextarea)
        return std::nullopt;
      std::string value = inputText(input);
      if (value.empty()) return Value{};  // Salesforce stores "" as null
      return Value{value};
    }
  }
}

InputValue toInput(const Value& value) {
  if (auto b = std::get_if<bool>(&value)) return *b;
  if (auto i = std::get_if<int64_t>(&value)) return *i;
  if (auto d = std::get_if<double>(&value)) return *d;
  if (auto s = std::get_if<std::string>(&value)) return *s;
  if (auto t = std::get_if<DateTimeMs>(&value)) return formatDateTime(t->ms);
  return std::monostate{};
}

void writeValue(JsonWriter& json, const Value& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>)
          json.null();
        else if constexpr (std::is_same_v<T, DateTimeMs>)
          json.value(formatDateTime(v.ms));
        else
          json.value(v);
      },
      value);
}

int compareValues(const FieldDef& def, const Value& a, const Value& b) {
  switch (def.type) {
    case FieldType::kBoolean:
      return static_cast<int>(std::get<bool>(a)) - static_cast<int>(std::get<bool>(b));
    case FieldType::kInt:
    case FieldType::kDouble:
    case FieldType::kCurrency: {
      double x = numberOf(a), y = numberOf(b);
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case FieldType::kDateTime: {
      int64_t x = std::get<DateTimeMs>(a).ms, y = std::get<DateTimeMs>(b).ms;
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case FieldType::kId:
    case FieldType::kReference:
    case FieldType::kDate: {
      int c = std::get<std::string>(a).compare(std::get<std::string>(b));
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    default:
      return compareInsensitive(std::get<std::string>(a), std::get<std::string>(b));
  }
}

// LIKE: '%' any run, '_' one character, "\%" "\_" "\\" literal; case-insensitive.
bool matchLike(std::string_view text, std::string_view pattern) {
  struct Piece {
    char c;
    int kind;  // 0 literal, 1 one char, 2 any run
  };
  std::vector<Piece> pieces;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      pieces.push_back(
          {static_cast<char>(std::tolower(static_cast<unsigned char>(pattern[++i]))), 0});
    } else if (c == '%') {
      pieces.push_back({0, 2});
    } else if (c == '_') {
      pieces.push_back({0, 1});
    } else {
      pieces.push_back({static_cast<char>(std::tolower(static_cast<unsigned char>(c))), 0});
    }
  }
  size_t t = 0, p = 0, starP = std::string::npos, starT = 0;
  while (t < text.size()) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(text[t])));
    if (p < pieces.size() && (pieces[p].kind == 1 || (pieces[p].kind == 0 && pieces[p].c == c))) {
      ++t;
      ++p;
    } else if (p < pieces.size() && pieces[p].kind == 2) {
      starP = p++;
      starT = t;
    } else if (starP != std::string::npos) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pieces.size() && pieces[p].kind == 2) ++p;
  return p == pieces.size();
}

std::string indexKey(const ObjectDef& object, size_t field, std::string_view value) {
  return object.name + '\x1f' + std::to_string(field) + '\x1f' + asciiLower(value);
}

bool indexed(const FieldDef& def) { return def.externalId || def.type == FieldType::kEmail; }

SaveError error(std::string code, std::string message, std::vector<std::string> fields = {}) {
  return SaveError{std::move(code), std::move(message), std::move(fields), {}};
}

}  // namespace

void Transaction::remember(const std::string& id, const Record* before) {
  for (const auto& entry : entries_)
    if (entry.first == id) return;  // the first state is the one to restore
  entries_.emplace_back(id, before ? std::optional<Record>(*before) : std::nullopt);
}

Org::Org(const Schema& schema, std::function<int64_t()> clock, uint64_t seed)
    : schema_(schema), clock_(std::move(clock)), seed_(seed) {
  SeededRandom random(seed);
  userId_ = makeId("005", 1000 + random.below(100000));
  orgId_ = makeId("00D", 1000 + random.below(100000));
}

std::string Org::newId(const ObjectDef& object) {
  return makeId(object.keyPrefix, ++serials_[object.keyPrefix]);
}

Record* Org::find(const std::string& id) {
  auto normalized = normalizeId(id);
  if (!normalized) return nullptr;
  auto it = records_.find(*normalized);
  return it == records_.end() ? nullptr : &it->second;
}

std::vector<std::string> Org::findByExternalId(const ObjectDef& object, size_t field,
                                               const std::string& value) {
  std::vector<std::string> ids;
  const FieldDef& def = object.fields[field];
  if (def.type == FieldType::kId) {
    if (Record* record = find(value); record && record->type == &object && !record->deleted())
      ids.push_back(record->id);
    return ids;
  }
  auto [begin, end] = index_.equal_range(indexKey(object, field, value));
  for (auto it = begin; it != end; ++it) {
    const Record& record = records_.at(it->second);
    if (!record.deleted()) ids.push_back(it->second);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

void Org::reindex(const Record& record, const std::vector<Value>* before,
                  const std::vector<Value>* after) {
  const ObjectDef& object = *record.type;
  for (size_t i = 0; i < object.fields.size(); ++i) {
    if (!indexed(object.fields[i])) continue;
    const Value* oldValue = before ? &(*before)[i] : nullptr;
    const Value* newValue = after ? &(*after)[i] : nullptr;
    if (oldValue && newValue && *oldValue == *newValue) continue;
    if (oldValue && std::holds_alternative<std::string>(*oldValue)) {
      auto [begin, end] = index_.equal_range(indexKey(object, i, std::get<std::string>(*oldValue)));
      for (auto it = begin; it != end; ++it) {
        if (it->second == record.id) {
          index_.erase(it);
          break;
        }
      }
    }
    if (newValue && std::holds_alternative<std::string>(*newValue))
      index_.emplace(indexKey(object, i, std::get<std::string>(*newValue)), record.id);
  }
}

Org::Prepared Org::prepare(const ObjectDef& object, const FieldInputs& fields, bool creating) {
  Prepared out;
  for (const auto& [name, input] : fields) {
    const FieldDef* def = object.field(name);
    if (!def) {
      out.errors.push_back(error("INVALID_FIELD",
                                 "No such column '" + name + "' on sobject of type " + object.name,
                                 {name}));
      continue;
    }
    if (def->type == FieldType::kId) {
      out.errors.push_back(error(
          "INVALID_FIELD_FOR_INSERT_UPDATE",
          creating ? "cannot specify Id in an insert call" : "Id cannot be updated", {def->name}));
      continue;
    }
    if (creating ? !def->createable : !def->updateable) {
      out.errors.push_back(
          error("INVALID_FIELD_FOR_INSERT_UPDATE",
                "Unable to create/update fields: " + def->name +
                    ". Please check the security settings of this field and verify that "
                    "it is read/write for your profile or permission set.",
                {def->name}));
      continue;
    }
    auto value = convert(*def, input);
    if (!value) {
      out.errors.push_back(error("INVALID_TYPE_ON_FIELD_IN_RECORD",
                                 def->label + ": value not of required type: " + inputText(input),
                                 {def->name}));
      continue;
    }
    if (const auto* text = std::get_if<std::string>(&*value)) {
      if (def->length > 0 && isTextual(def->type) &&
          utf8Length(*text) > static_cast<size_t>(def->length)) {
        out.errors.push_back(error("STRING_TOO_LONG",
                                   def->label + ": data value too large: " + text->substr(0, 200) +
                                       " (max length=" + std::to_string(def->length) + ")",
                                   {def->name}));
        continue;
      }
      if (def->type == FieldType::kEmail && !validEmail(*text)) {
        out.errors.push_back(error("INVALID_EMAIL_ADDRESS",
                                   def->label + ": invalid email address: " + *text, {def->name}));
        continue;
      }
      if (def->type == FieldType::kPicklist && def->restrictedPicklist) {
        bool known = std::any_of(def->picklist.begin(), def->picklist.end(),
                                 [&](const PicklistValue& v) { return v.value == *text; });
        if (!known) {
          out.errors.push_back(error(
              "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
              def->label + ": bad value for restricted picklist field: " + *text, {def->name}));
          continue;
        }
      }
      if (def->type == FieldType::kReference) {
        auto id = normalizeId(*text);
        if (!id) {
          out.errors.push_back(error(
              "MALFORMED_ID", def->label + ": id value of incorrect type: " + *text, {def->name}));
          continue;
        }
        bool ok = false;
        if (def->referenceTo[0] == "User") {
          ok = *id == userId_;
        } else if (Record* target = find(*id)) {
          ok = !target->deleted() && target->type->name == def->referenceTo[0];
        }
        if (!ok) {
          out.errors.push_back(
              error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {def->name}));
          continue;
        }
        value = Value{*id};
      }
    }
    out.assignments.emplace_back(object.require(def->name), std::move(*value));
  }
  return out;
}

void Org::recomputeName(Record& record) {
  auto nameIndex = record.type->index("Name");
  auto first = record.type->index("FirstName");
  auto last = record.type->index("LastName");
  if (!nameIndex || !first || !last || record.type->fields[*nameIndex].createable) return;
  std::string name;
  if (auto f = std::get_if<std::string>(&record.values[*first])) name = *f;
  if (auto l = std::get_if<std::string>(&record.values[*last]))
    name += (name.empty() ? "" : " ") + *l;
  record.values[*nameIndex] = name.empty() ? Value{} : Value{name};
}

void Org::validateRecord(const Record& record, const std::string& selfId,
                         std::vector<SaveError>& errors) {
  const ObjectDef& object = *record.type;
  std::vector<std::string> missing;
  for (size_t i = 0; i < object.fields.size(); ++i) {
    const FieldDef& def = object.fields[i];
    if (!def.nillable && (def.createable || def.updateable) && def.type != FieldType::kBoolean &&
        isNull(record.values[i]))
      missing.push_back(def.name);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& name : missing) list += (list.empty() ? "" : ", ") + name;
    errors.push_back(
        error("REQUIRED_FIELD_MISSING", "Required fields are missing: [" + list + "]", missing));
    return;
  }
  for (size_t i = 0; i < object.fields.size(); ++i) {
    const FieldDef& def = object.fields[i];
    if (!def.unique) continue;
    const auto* text = std::get_if<std::string>(&record.values[i]);
    if (!text) continue;
    for (const auto& other : findByExternalId(object, i, *text)) {
      if (other != selfId) {
        errors.push_back(
            error("DUPLICATE_VALUE", "duplicate value found: " + def.name +
                                         " duplicates value on record with id: " + other));
        return;
      }
    }
  }
  if (knobs_.duplicateRule && (object.name == "Contact" || object.name == "Lead")) {
    size_t email = object.require("Email");
    if (const auto* text = std::get_if<std::string>(&record.values[email])) {
      std::vector<std::string> matches;
      for (const auto& other : findByExternalId(object, email, *text))
        if (other != selfId) matches.push_back(other);
      if (!matches.empty()) {
        const std::string message =
            "You're creating a duplicate record. We recommend you use an existing record instead.";
        JsonWriter json;
        json.beginObject()
            .key("allowSave")
            .value(false)
            .key("duplicateRule")
            .value("Standard_" + object.name + "_Duplicate_Rule")
            .key("duplicateRuleEntityType")
            .value(object.name)
            .key("errorMessage")
            .value(message)
            .key("matchResults")
            .beginArray()
            .beginObject()
            .key("entityType")
            .value(object.name)
            .key("errors")
            .beginArray()
            .endArray()
            .key("matchEngine")
            .value("ExactMatchEngine")
            .key("matchRecords")
            .beginArray();
        for (const auto& id : matches) {
          json.beginObject()
              .key("additionalInformation")
              .beginArray()
              .endArray()
              .key("fieldDiffs")
              .beginArray()
              .endArray()
              .key("matchConfidence")
              .value(100.0)
              .key("record")
              .beginObject()
              .key("attributes")
              .beginObject()
              .key("type")
              .value(object.name)
              .key("url")
              .value("/services/data/v62.0/sobjects/" + object.name + "/" + id)
              .endObject()
              .key("Id")
              .value(id)
              .endObject()
              .endObject();
        }
        json.endArray()
            .key("rule")
            .value("Standard_Rule_for_" + object.name + "s_with_Duplicate_Email")
            .key("size")
            .value(static_cast<int64_t>(matches.size()))
            .key("success")
            .value(true)
            .endObject()
            .endArray()
            .endObject();
        SaveError duplicate = error("DUPLICATES_DETECTED", "Use one of these records?");
        duplicate.duplicateResultJson = json.take();
        errors.push_back(std::move(duplicate));
      }
    }
  }
}

bool Org::lockConflict(const std::string& id, std::vector<SaveError>& errors) {
  bool fire = false;
  if (knobs_.unableToLockRowNext > 0) {
    --knobs_.unableToLockRowNext;
    fire = true;
  } else if (knobs_.unableToLockRowShare > 0) {
    SeededRandom random(seed_ ^ (0x5DEECE66DULL * ++lockDraws_));
    fire = random.unit() < knobs_.unableToLockRowShare;
  }
  if (fire) {
    errors.push_back(error("UNABLE_TO_LOCK_ROW",
                           "unable to obtain exclusive access to this record or 1 records: " +
                               (id.empty() ? std::string("(new record)") : id)));
  }
  return fire;
}

void Org::stamp(Record& record, bool created) {
  // Salesforce audit stamps have whole-second precision; many rows share one SystemModstamp.
  int64_t second = now() / 1000 * 1000;
  const ObjectDef& object = *record.type;
  record.values[object.require("SystemModstamp")] = DateTimeMs{second};
  record.values[object.require("LastModifiedDate")] = DateTimeMs{second};
  record.values[object.require("LastModifiedById")] = userId_;
  if (created) {
    record.values[object.require("CreatedDate")] = DateTimeMs{second};
    record.values[object.require("CreatedById")] = userId_;
  }
  changes_.push_back({record.id, created});
}

std::vector<Org::Change> Org::takeChanges() { return std::exchange(changes_, {}); }

void Org::commitWrite(Record& record, const std::vector<Value>& before, bool existed) {
  int64_t current = now();
  if (knobs_.lateCommitMs > 0) {
    if (record.visibleAtMs <= current) {
      // The previous version is what other transactions see until this one commits.
      record.hasCommitted = existed;
      if (existed) record.committed = before;
    }
    record.visibleAtMs = current + knobs_.lateCommitMs;
  } else {
    record.hasCommitted = false;
    record.committed.clear();
    record.visibleAtMs = current;
  }
}

const std::vector<Value>* Org::visible(const Record& record, bool includeDeleted,
                                       int64_t current) const {
  const std::vector<Value>* values = nullptr;
  if (record.visibleAtMs <= current)
    values = &record.values;
  else if (record.hasCommitted)
    values = &record.committed;
  else
    return nullptr;
  const Value& deleted = (*values)[record.type->isDeletedIndex];
  if (std::get<bool>(deleted)) {
    if (!includeDeleted) return nullptr;
    if (record.deletedAtMs >= 0 && record.deletedAtMs + kRecycleBinMs < current) return nullptr;
  }
  return values;
}

SaveResult Org::create(const ObjectDef& object, const FieldInputs& fields, Transaction* tx) {
  SaveResult result;
  Prepared prepared = prepare(object, fields, true);
  if (!prepared.errors.empty()) {
    result.errors = std::move(prepared.errors);
    return result;
  }
  Record record;
  record.type = &object;
  record.values.assign(object.fields.size(), Value{});
  for (size_t i = 0; i < object.fields.size(); ++i) {
    const FieldDef& def = object.fields[i];
    if (def.type == FieldType::kBoolean) record.values[i] = false;
    for (const auto& option : def.picklist)
      if (option.defaultValue) record.values[i] = option.value;
  }
  record.values[object.require("OwnerId")] = userId_;
  for (auto& [index, value] : prepared.assignments) record.values[index] = std::move(value);
  recomputeName(record);
  validateRecord(record, "", result.errors);
  if (!result.errors.empty() || lockConflict("", result.errors)) return result;
  record.id = newId(object);
  record.values[object.require("Id")] = record.id;
  stamp(record, true);
  commitWrite(record, {}, false);
  if (tx) tx->remember(record.id, nullptr);
  reindex(record, nullptr, &record.values);
  result.id = record.id;
  auto inserted = records_.emplace(record.id, std::move(record));
  order_[object.name].push_back(&inserted.first->second);
  result.success = true;
  result.created = true;
  return result;
}

SaveResult Org::update(const ObjectDef& object, const std::string& id, const FieldInputs& fields,
                       Transaction* tx) {
  SaveResult result;
  Record* record = find(id);
  if (!record || record->type != &object) {
    result.errors.push_back(error(normalizeId(id) ? "INVALID_CROSS_REFERENCE_KEY" : "MALFORMED_ID",
                                  normalizeId(id)
                                      ? "invalid cross reference id"
                                      : object.name + " ID: id value of incorrect type: " + id,
                                  {"Id"}));
    return result;
  }
  if (record->deleted()) {
    result.errors.push_back(error("ENTITY_IS_DELETED", "entity is deleted"));
    return result;
  }
  if (object.name == "Lead" && std::get<bool>(record->values[object.require("IsConverted")])) {
    result.errors.push_back(
        error("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead"));
    return result;
  }
  Prepared prepared = prepare(object, fields, false);
  if (!prepared.errors.empty()) {
    result.errors = std::move(prepared.errors);
    return result;
  }
  Record changed = *record;
  for (auto& [index, value] : prepared.assignments) changed.values[index] = std::move(value);
  recomputeName(changed);
  validateRecord(changed, record->id, result.errors);
  if (!result.errors.empty() || lockConflict(record->id, result.errors)) return result;
  if (tx) tx->remember(record->id, record);
  stamp(changed, false);
  commitWrite(changed, record->values, true);
  reindex(*record, &record->values, &changed.values);
  *record = std::move(changed);
  result.id = record->id;
  result.success = true;
  return result;
}

void Org::markDeleted(Record& record, Transaction* tx) {
  if (tx) tx->remember(record.id, &record);
  std::vector<Value> before = record.values;
  record.values[record.type->require("IsDeleted")] = true;
  record.deletedAtMs = now();
  stamp(record, false);
  commitWrite(record, before, true);
}

SaveResult Org::remove(const std::string& id, Transaction* tx) {
  SaveResult result;
  Record* record = find(id);
  if (!record) {
    result.errors.push_back(
        error(normalizeId(id) ? "INVALID_CROSS_REFERENCE_KEY" : "MALFORMED_ID",
              normalizeId(id) ? "invalid cross reference id" : "malformed id " + id));
    return result;
  }
  if (record->deleted()) {
    result.errors.push_back(error("ENTITY_IS_DELETED", "entity is deleted"));
    return result;
  }
  if (lockConflict(record->id, result.errors)) return result;
  markDeleted(*record, tx);
  // Deleting an account deletes its contacts, as in Salesforce.
  if (record->type->name == "Account") {
    const ObjectDef& contact = *schema_.object("Contact");
    size_t accountField = contact.require("AccountId");
    for (Record* child : order_["Contact"]) {
      if (!child->deleted() && child->values[accountField] == Value{record->id})
        markDeleted(*child, tx);
    }
  }
  result.id = record->id;
  result.success = true;
  return result;
}

void Org::purge(const std::string& id) {
  Record* record = find(id);
  if (!record) return;
  std::string key = record->id;
  reindex(*record, &record->values, nullptr);
  auto& list = order_[record->type->name];
  list.erase(std::remove(list.begin(), list.end(), record), list.end());
  records_.erase(key);
}

SaveResult Org::upsert(const ObjectDef& object, const FieldDef& key, const std::string& keyValue,
                       const FieldInputs& fields, std::vector<std::string>* matches,
                       Transaction* tx) {
  SaveResult result;
  FieldInputs rest;
  for (const auto& [name, input] : fields) {
    if (iequals(name, key.name)) {
      if (key.type != FieldType::kId && !iequals(inputText(input), keyValue)) {
        result.errors.push_back(
            error("INVALID_FIELD",
                  "The value of " + key.name +
                      " in the body does not match the external id used for the upsert",
                  {key.name}));
        return result;
      }
      continue;
    }
    rest.emplace_back(name, input);
  }
  if (key.type == FieldType::kId) {
    if (keyValue.empty()) return create(object, rest, tx);
    Record* record = find(keyValue);
    if (!record || record->type != &object) {
      result.errors.push_back(
          error("NOT_FOUND",
                "Provided external ID field does not exist or is not accessible: " + keyValue));
      return result;
    }
    return update(object, record->id, rest, tx);
  }
  if (keyValue.empty()) {
    result.errors.push_back(error("MISSING_ARGUMENT", key.name + " not specified", {key.name}));
    return result;
  }
  auto ids = findByExternalId(object, object.require(key.name), keyValue);
  if (ids.size() > 1) {
    if (matches) *matches = ids;
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "" : ", ") + id;
    result.errors.push_back(
        error("DUPLICATE_EXTERNAL_ID",
              key.name + ": more than one record found for external id field: [" + list + "]",
              {key.name}));
    return result;
  }
  if (ids.size() == 1) {
    result = update(object, ids[0], rest, tx);
    result.created = false;
    return result;
  }
  rest.emplace_back(key.name, keyValue);
  return create(object, rest, tx);
}

void Org::rollback(const Transaction& tx) {
  const auto& entries = tx.entries();
  // A rolled-back save never committed, so no workflow rule fires for it.
  std::erase_if(changes_, [&entries](const Change& change) {
    return std::any_of(entries.begin(), entries.end(),
                       [&change](const auto& entry) { return entry.first == change.id; });
  });
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    auto current = records_.find(it->first);
    if (current == records_.end()) continue;
    if (it->second) {
      reindex(current->second, &current->second.values, &it->second->values);
      current->second = *it->second;
    } else {
      reindex(current->second, &current->second.values, nullptr);
      auto& list = order_[current->second.type->name];
      list.erase(std::remove(list.begin(), list.end(), &current->second), list.end());
      records_.erase(current);
    }
  }
}

std::string Org::renderRecord(const Record& record, const std::vector<size_t>& fields,
                              const std::string& version) const {
  const ObjectDef& object = *record.type;
  JsonWriter json;
  json.beginObject().key("attributes").beginObject().key("type").value(object.name);
  json.key("url")
      .value("/services/data/" + version + "/sobjects/" + object.name + "/" + record.id)
      .endObject();
  if (fields.empty()) {
    for (size_t i = 0; i < object.fields.size(); ++i) {
      json.key(object.fields[i].name);
      writeValue(json, record.values[i]);
    }
  } else {
    for (size_t i : fields) {
      json.key(object.fields[i].name);
      writeValue(json, record.values[i]);
    }
  }
  json.endObject();
  return json.take();
}

const Value& Org::fieldValue(const std::vector<Value>& values, const BoundField& field,
                             int64_t current) const {
  if (!field.via) return values[field.index];
  const auto* ref = std::get_if<std::string>(&values[*field.via]);
  if (!ref) return kNull;
  auto it = records_.find(*ref);
  if (it == records_.end()) return kNull;
  const auto* parentValues = visible(it->second, true, current);
  return parentValues ? (*parentValues)[field.index] : kNull;
}

namespace {

template <typename Getter>
bool evaluate(const Condition& condition, const Getter& get) {
  switch (condition.kind) {
    case Condition::Kind::kAnd:
      for (const auto& child : condition.children)
        if (!evaluate(*child, get)) return false;
      return true;
    case Condition::Kind::kOr:
      for (const auto& child : condition.children)
        if (evaluate(*child, get)) return true;
      return false;
    case Condition::Kind::kNot:
      return !evaluate(*condition.children[0], get);
    case Condition::Kind::kLike: {
      const auto* text = std::get_if<std::string>(&get(condition.field));
      return text && matchLike(*text, std::get<std::string>(condition.bound[0]));
    }
    case Condition::Kind::kIn: {
      const Value& value = get(condition.field);
      bool found = false;
      for (const auto& literal : condition.bound) {
        if (isNull(literal) || isNull(value)
                ? isNull(literal) && isNull(value)
                : compareValues(*condition.field.def, value, literal) == 0) {
          found = true;
          break;
        }
      }
      return condition.negated ? !found : found;
    }
    case Condition::Kind::kCompare: {
      const Value& value = get(condition.field);
      const Value& literal = condition.bound[0];
      if (isNull(literal)) {
        if (condition.op == CompareOp::kEq) return isNull(value);
        if (condition.op == CompareOp::kNe) return !isNull(value);
        return false;
      }
      if (isNull(value)) return condition.op == CompareOp::kNe;  // SOQL: null != 'x' is true
      int c = compareValues(*condition.field.def, value, literal);
      switch (condition.op) {
        case CompareOp::kEq:
          return c == 0;
        case CompareOp::kNe:
          return c != 0;
        case CompareOp::kLt:
          return c < 0;
        case CompareOp::kLe:
          return c <= 0;
        case CompareOp::kGt:
          return c > 0;
        case CompareOp::kGe:
          return c >= 0;
      }
    }
  }
  return false;
}

}  // namespace

QueryRows Org::runQuery(const Query& query, bool includeDeleted, const std::string& version,
                        bool csv) {
  const ObjectDef& object = *query.object;
  struct Match {
    const Record* record;
    const std::vector<Value>* values;
    size_t position;
  };
  std::vector<Match> matches;
  const int64_t current = now();  // one clock reading for the whole query
  const auto& list = order_[object.name];
  matches.reserve(list.size());
  for (const Record* pointer : list) {
    const Record& record = *pointer;
    const auto* values = visible(record, includeDeleted, current);
    if (!values) continue;
    if (query.where) {
      auto get = [&](const BoundField& field) -> const Value& {
        return fieldValue(*values, field, current);
      };
      if (!evaluate(*query.where, get)) continue;
    }
    matches.push_back({&record, values, matches.size()});
  }
  size_t begin = std::min(matches.size(), static_cast<size_t>(query.offset.value_or(0)));
  size_t end = matches.size();
  if (query.limit) end = std::min(end, begin + static_cast<size_t>(*query.limit));
  if (!query.orderBy.empty()) {
    // Ties keep creation order (the scan order), which makes results deterministic.
    auto less = [&](const Match& a, const Match& b) {
      for (const auto& item : query.orderBy) {
        const Value& x = fieldValue(*a.values, item.field, current);
        const Value& y = fieldValue(*b.values, item.field, current);
        bool xNull = isNull(x), yNull = isNull(y);
        if (xNull && yNull) continue;
        if (xNull || yNull) return xNull == item.nullsFirst;
        int c = compareValues(*item.field.def, x, y);
        if (c == 0) continue;
        return item.descending ? c > 0 : c < 0;
      }
      return a.position < b.position;
    };
    // LIMIT/OFFSET only need the first `end` rows in order: O(n log end) instead of a full sort.
    if (end < matches.size())
      std::partial_sort(matches.begin(), matches.begin() + static_cast<long>(end), matches.end(),
                        less);
    else
      std::sort(matches.begin(), matches.end(), less);
  }
  QueryRows rows;
  rows.totalSize = static_cast<int64_t>(end - begin);
  if (query.count) return rows;

  // Layout: direct fields in SELECT order; a relationship's fields grouped into one nested
  // object at the position of its first field.
  struct Group {
    size_t via;
    const ObjectDef* parent;
    std::string name;
    std::vector<const SelectItem*> items;
  };
  struct Slot {
    const SelectItem* direct = nullptr;
    size_t group = 0;
  };
  std::vector<Group> groups;
  std::vector<Slot> slots;
  for (const auto& item : query.select) {
    if (!item.field.via) {
      slots.push_back({&item, 0});
      continue;
    }
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const Group& g) { return g.via == *item.field.via; });
    if (it == groups.end()) {
      groups.push_back({*item.field.via, item.field.parent, item.field.relationshipName, {}});
      slots.push_back({nullptr, groups.size() - 1});
      it = groups.end() - 1;
    }
    it->items.push_back(&item);
  }
  if (csv) {
    for (const auto& item : query.select) rows.csvHeader.push_back(item.field.path);
  }
  std::string prefix = "/services/data/" + version + "/sobjects/";
  for (size_t i = begin; i < end; ++i) {
    const Record& record = *matches[i].record;
    const auto& values = *matches[i].values;
    if (csv) {
      std::vector<std::string> cells;
      cells.reserve(query.select.size());
      for (const auto& item : query.select)
        cells.push_back(valueToCsv(*item.field.def, fieldValue(values, item.field, current)));
      rows.csvCells.push_back(std::move(cells));
      continue;
    }
    JsonWriter json;
    json.beginObject().key("attributes").beginObject().key("type").value(object.name);
    json.key("url").value(prefix + object.name + "/" + record.id).endObject();
    for (const auto& slot : slots) {
      if (slot.direct) {
        json.key(slot.direct->field.def->name);
        writeValue(json, values[slot.direct->field.index]);
        continue;
      }
      const Group& group = groups[slot.group];
      json.key(group.name);
      const auto* ref = std::get_if<std::string>(&values[group.via]);
      auto parentIt = ref ? records_.find(*ref) : records_.end();
      const std::vector<Value>* parentValues =
          parentIt == records_.end() ? nullptr : visible(parentIt->second, true, current);
      if (!parentValues) {
        json.null();
        continue;
      }
      json.beginObject().key("attributes").beginObject().key("type").value(group.parent->name);
      json.key("url").value(prefix + group.parent->name + "/" + *ref).endObject();
      for (const auto* item : group.items) {
        json.key(item->field.def->name);
        writeValue(json, (*parentValues)[item->field.index]);
      }
      json.endObject();
    }
    json.endObject();
    rows.json.push_back(json.take());
  }
  return rows;
}

std::string Org::valueToCsv(const FieldDef& def, const Value& value) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>)
          return "";
        else if constexpr (std::is_same_v<T, bool>)
          return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, int64_t>)
          return std::to_string(v);
        else if constexpr (std::is_same_v<T, double>)
          return formatNumber(v);
        else if constexpr (std::is_same_v<T, DateTimeMs>)
          return formatDateTimeZ(v.ms);
        else
          return v;
      },
      value);
}

std::vector<std::string> Org::updatedIds(const ObjectDef& object, int64_t start, int64_t end) {
  std::vector<std::string> out;
  size_t stampField = object.require("SystemModstamp");
  int64_t current = now();
  for (const Record* record : order_[object.name]) {
    const auto* values = visible(*record, false, current);
    if (!values) continue;
    int64_t stampMs = std::get<DateTimeMs>((*values)[stampField]).ms;
    if (stampMs >= start && stampMs < end) out.push_back(record->id);
  }
  return out;
}

std::vector<std::pair<std::string, int64_t>> Org::deletedIds(const ObjectDef& object, int64_t start,
                                                             int64_t end) {
  std::vector<std::pair<std::string, int64_t>> out;
  size_t deletedField = object.require("IsDeleted");
  int64_t current = now();
  for (const Record* record : order_[object.name]) {
    const auto* values = visible(*record, true, current);
    if (!values || !std::get<bool>((*values)[deletedField])) continue;
    if (record->deletedAtMs >= start && record->deletedAtMs < end)
      out.emplace_back(record->id, record->deletedAtMs);
  }
  return out;
}

Org::ConvertResult Org::convertLead(const std::string& leadId, const std::string& accountId,
                                    const std::string& contactId,
                                    const std::string& convertedStatus) {
  ConvertResult result;
  Record* lead = find(leadId);
  const ObjectDef& leadType = *schema_.object("Lead");
  if (!lead || lead->type != &leadType || lead->deleted()) {
    result.errors.push_back(error("INVALID_CROSS_REFERENCE_KEY", "no live Lead with id " + leadId));
    return result;
  }
  if (std::get<bool>(lead->values[leadType.require("IsConverted")])) {
    result.errors.push_back(
        error("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead"));
    return result;
  }
  std::string status = convertedStatus.empty() ? "Closed - Converted" : convertedStatus;
  const FieldDef& statusDef = leadType.fields[leadType.require("Status")];
  if (std::none_of(statusDef.picklist.begin(), statusDef.picklist.end(),
                   [&](const PicklistValue& v) { return v.value == status; })) {
    result.errors.push_back(error("INVALID_STATUS", "invalid convertedStatus: " + status));
    return result;
  }
  auto leadValue = [&](const char* name) { return toInput(lead->values[leadType.require(name)]); };
  Transaction tx;
  const ObjectDef& account = *schema_.object("Account");
  const ObjectDef& contact = *schema_.object("Contact");
  if (!accountId.empty()) {
    Record* existing = find(accountId);
    if (!existing || existing->type != &account || existing->deleted()) {
      result.errors.push_back(
          error("INVALID_CROSS_REFERENCE_KEY", "no live Account with id " + accountId));
      return result;
    }
    result.accountId = existing->id;
  } else {
    FieldInputs fields = {{"Name", leadValue("Company")},
                          {"Website", leadValue("Website")},
                          {"Industry", leadValue("Industry")},
                          {"Phone", leadValue("Phone")},
                          {"BillingStreet", leadValue("Street")},
                          {"BillingCity", leadValue("City")},
                          {"BillingState", leadValue("State")},
                          {"BillingPostalCode", leadValue("PostalCode")},
                          {"BillingCountry", leadValue("Country")},
                          {"AnnualRevenue", leadValue("AnnualRevenue")},
                          {"NumberOfEmployees", leadValue("NumberOfEmployees")}};
    SaveResult created = create(account, fields, &tx);
    if (!created.success) {
      result.errors = created.errors;
      return result;
    }
    result.accountId = created.id;
  }
  FieldInputs contactFields = {{"FirstName", leadValue("FirstName")},
                               {"LastName", leadValue("LastName")},
                               {"Salutation", leadValue("Salutation")},
                               {"Title", leadValue("Title")},
                               {"Email", leadValue("Email")},
                               {"Phone", leadValue("Phone")},
                               {"MobilePhone", leadValue("MobilePhone")},
                               {"Fax", leadValue("Fax")},
                               {"MailingStreet", leadValue("Street")},
                               {"MailingCity", leadValue("City")},
                               {"MailingState", leadValue("State")},
                               {"MailingPostalCode", leadValue("PostalCode")},
                               {"MailingCountry", leadValue("Country")},
                               {"LeadSource", leadValue("LeadSource")},
                               {"HasOptedOutOfEmail", leadValue("HasOptedOutOfEmail")},
                               {"HasOptedOutOfFax", leadValue("HasOptedOutOfFax")},
                               {"DoNotCall", leadValue("DoNotCall")},
                               {"Description", leadValue("Description")}};
  if (!contactId.empty()) {
    Record* existing = find(contactId);
    if (!existing || existing->type != &contact || existing->deleted()) {
      rollback(tx);
      result.errors.push_back(
          error("INVALID_CROSS_REFERENCE_KEY", "no live Contact with id " + contactId));
      return result;
    }
    // Conversion into an existing contact only fills its blank fields.
    FieldInputs fill;
    for (const auto& [name, input] : contactFields) {
      if (isNull(existing->values[contact.require(name)]) &&
          !std::holds_alternative<std::monostate>(input))
        fill.emplace_back(name, input);
    }
    SaveResult updated = update(contact, existing->id, fill, &tx);
    if (!updated.success) {
      rollback(tx);
      result.errors = updated.errors;
      return result;
    }
    result.contactId = existing->id;
  } else {
    contactFields.emplace_back("AccountId", result.accountId);
    SaveResult created = create(contact, contactFields, &tx);
    if (!created.success) {
      rollback(tx);
      result.errors = created.errors;
      return result;
    }
    result.contactId = created.id;
  }
  std::vector<Value> before = lead->values;
  lead->values[leadType.require("IsConverted")] = true;
  lead->values[leadType.require("ConvertedAccountId")] = result.accountId;
  lead->values[leadType.require("ConvertedContactId")] = result.contactId;
  lead->values[leadType.require("ConvertedDate")] = formatDate(now());
  lead->values[leadType.require("Status")] = status;
  stamp(*lead, false);
  commitWrite(*lead, before, true);
  return result;
}

std::vector<SaveError> Org::merge(const std::string& masterId,
                                  const std::vector<std::string>& duplicateIds) {
  std::vector<SaveError> errors;
  Record* master = find(masterId);
  if (!master || master->deleted()) {
    errors.push_back(
        error("INVALID_CROSS_REFERENCE_KEY", "no live master record with id " + masterId));
    return errors;
  }
  if (duplicateIds.empty() || duplicateIds.size() > 2) {
    errors.push_back(
        error("INVALID_ARGUMENT", "a merge takes one or two records to merge into the master"));
    return errors;
  }
  std::vector<Record*> losers;
  for (const auto& id : duplicateIds) {
    Record* loser = find(id);
    if (!loser || loser->deleted() || loser->type != master->type || loser->id == master->id) {
      errors.push_back(error(
          "INVALID_CROSS_REFERENCE_KEY",
          "record " + id + " is not a live " + master->type->name + " other than the master"));
      return errors;
    }
    losers.push_back(loser);
  }
  const ObjectDef& type = *master->type;
  for (Record* loser : losers) {
    std::vector<Value> before = loser->values;
    loser->values[type.require("IsDeleted")] = true;
    loser->values[type.require("MasterRecordId")] = master->id;
    loser->deletedAtMs = now();
    stamp(*loser, false);
    commitWrite(*loser, before, true);
    if (type.name == "Account") {
      // Contacts of the merged-away account move to the master.
      const ObjectDef& contact = *schema_.object("Contact");
      size_t accountField = contact.require("AccountId");
      for (Record* child : order_["Contact"]) {
        if (child->values[accountField] == Value{loser->id}) {
          std::vector<Value> childBefore = child->values;
          child->values[accountField] = master->id;
          stamp(*child, false);
          commitWrite(*child, childBefore, true);
        }
      }
    }
  }
  std::vector<Value> before = master->values;
  stamp(*master, false);
  commitWrite(*master, before, true);
  return errors;
}

size_t Org::count(const ObjectDef& object, bool includeDeleted) const {
  auto it = order_.find(object.name);
  if (it == order_.end()) return 0;
  size_t n = 0;
  for (const Record* record : it->second) n += includeDeleted || !record->deleted();
  return n;
}

void Org::reset() {
  changes_.clear();
  records_.clear();
  order_.clear();
  serials_.clear();
  index_.clear();
}

std::string Org::dump(const ObjectDef* only) const {
  JsonWriter json;
  json.beginObject();
  for (const auto& object : schema_.objects()) {
    if (only && only != &object) continue;
    json.key(object.name).beginArray();
    auto it = order_.find(object.name);
    if (it != order_.end()) {
      for (const Record* record : it->second) json.raw(renderRecord(*record, {}, "v62.0"));
    }
    json.endArray();
  }
  json.endObject();
  return json.take();
}

std::string Org::snapshot() const {
  JsonWriter json;
  json.beginObject().key("serials").beginObject();
  for (const auto& [prefix, serial] : serials_) json.key(prefix).value(serial);
  json.endObject().key("records").beginArray();
  for (const auto& object : schema_.objects()) {
    auto it = order_.find(object.name);
    if (it == order_.end()) continue;
    for (const Record* pointer : it->second) {
      const Record& record = *pointer;
      json.beginObject()
          .key("type")
          .value(object.name)
          .key("deletedAtMs")
          .value(record.deletedAtMs);
      json.key("fields").beginObject();
      for (size_t i = 0; i < object.fields.size(); ++i) {
        if (isNull(record.values[i])) continue;
        json.key(object.fields[i].name);
        writeValue(json, record.values[i]);
      }
      json.endObject().endObject();
    }
  }
  json.endArray().endObject();
  return json.take();
}

void Org::restore(const std::string& text) {
  auto root = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
  if (!root) throw std::runtime_error("salesforce snapshot is not an object");
  std::map<std::string, uint64_t> serials;
  std::unordered_map<std::string, Record> records;
  std::vector<std::pair<std::string, std::string>> order;  // (object, id) in snapshot order
  if (auto s = root->getObject("serials")) {
    for (const auto& name : s->getNames()) serials[name] = s->getValue<uint64_t>(name);
  }
  auto list = root->getArray("records");
  if (!list) throw std::runtime_error("salesforce snapshot lacks \"records\"");
  for (size_t i = 0; i < list->size(); ++i) {
    auto item = list->getObject(static_cast<unsigned>(i));
    if (!item)
      throw std::runtime_error("salesforce snapshot record " + std::to_string(i) +
                               " is not an object");
    const ObjectDef* object = schema_.object(item->optValue<std::string>("type", ""));
    if (!object)
      throw std::runtime_error("salesforce snapshot record " + std::to_string(i) +
                               " has an unknown type");
    Record record;
    record.type = object;
    record.values.assign(object->fields.size(), Value{});
    record.deletedAtMs = item->optValue<int64_t>("deletedAtMs", -1);
    auto fields = item->getObject("fields");
    if (!fields)
      throw std::runtime_error("salesforce snapshot record " + std::to_string(i) + " lacks fields");
    for (const auto& name : fields->getNames()) {
      const FieldDef* def = object->field(name);
      if (!def)
        throw std::runtime_error("salesforce snapshot names unknown field " + object->name + "." +
                                 name);
      auto var = fields->get(name);
      InputValue input;
      if (var.isBoolean())
        input = var.convert<bool>();
      else if (var.isInteger())
        input = var.convert<int64_t>();
      else if (var.isNumeric())
        input = var.convert<double>();
      else if (var.isString())
        input = var.convert<std::string>();
      auto value = convert(*def, input);
      if (!value)
        throw std::runtime_error("salesforce snapshot has a bad value for " + object->name + "." +
                                 name);
      record.values[object->require(def->name)] = *value;
    }
    const auto* id = std::get_if<std::string>(&record.values[object->require("Id")]);
    if (!id || !normalizeId(*id))
      throw std::runtime_error("salesforce snapshot record " + std::to_string(i) +
                               " lacks a valid Id");
    record.id = *id;
    order.emplace_back(object->name, record.id);
    if (!records.emplace(record.id, std::move(record)).second)
      throw std::runtime_error("salesforce snapshot record " + std::to_string(i) +
                               " repeats an Id");
  }
  records_ = std::move(records);
  order_.clear();
  for (const auto& [object, id] : order) order_[object].push_back(&records_.at(id));
  serials_ = std::move(serials);
  index_.clear();
  for (const auto& [id, record] : records_) reindex(record, nullptr, &record.values);
}

}  // namespace ferry::sandbox::salesforce
