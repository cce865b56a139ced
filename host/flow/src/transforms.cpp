#include "transforms.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <unordered_map>

#include <phonenumbers/phonenumberutil.h>

#include "date_format.hpp"

namespace ferry::host::transforms {

using sdk::FieldType;
using sdk::Value;

// ---- Types ----------------------------------------------------------------------------------

std::string TypeInfo::describe() const {
  if (any) return "any";
  if (type == FieldType::kList) return std::string("list of ") + sdk::toString(item);
  return sdk::toString(type);
}

bool isTextual(FieldType t) noexcept {
  return t == FieldType::kString || t == FieldType::kEmail || t == FieldType::kPhone ||
         t == FieldType::kReference;
}

namespace {

bool scalarAssignable(FieldType from, FieldType to) noexcept {
  if (from == to) return true;
  if (isTextual(from) && isTextual(to)) return true;
  const bool fromNum = from == FieldType::kNumber || from == FieldType::kInteger;
  const bool toNum = to == FieldType::kNumber || to == FieldType::kInteger;
  return fromNum && toNum;
}

}  // namespace

bool assignable(const TypeInfo& from, const TypeInfo& to) noexcept {
  if (from.any || to.any) return true;
  if (to.type == FieldType::kObject) return true;  // free-form (e.g. custom attribute bags)
  if (to.type == FieldType::kList) {
    if (from.type == FieldType::kList) return scalarAssignable(from.item, to.item);
    return from.type != FieldType::kObject && scalarAssignable(from.type, to.item);
  }
  if (from.type == FieldType::kList || from.type == FieldType::kObject) return false;
  return scalarAssignable(from.type, to.type);
}

namespace {

TypeInfo scalar(FieldType t) { return {t, FieldType::kString, false}; }

}  // namespace

// The static type a literal YAML value has.
TypeInfo typeOfValue(const Value& v) {
  switch (v.kind()) {
    case sdk::ValueKind::kBool:
      return scalar(FieldType::kBoolean);
    case sdk::ValueKind::kInteger:
      return scalar(FieldType::kInteger);
    case sdk::ValueKind::kDecimal:
      return scalar(FieldType::kNumber);
    case sdk::ValueKind::kString:
      return scalar(FieldType::kString);
    case sdk::ValueKind::kDate:
      return scalar(FieldType::kDate);
    case sdk::ValueKind::kDateTime:
      return scalar(FieldType::kDateTime);
    case sdk::ValueKind::kList:
      return {FieldType::kList, FieldType::kString, false};
    default:
      return TypeInfo::anyType();
  }
}

// A literal fits a type when it is null or of a kind the type carries.
bool literalFits(const Value& v, const TypeInfo& t) {
  if (v.isNull() || t.any) return true;
  return assignable(typeOfValue(v), t);
}

namespace {

// ---- Steps ------------------------------------------------------------------------------------

bool needsText(const Value& v, std::string& why) {
  if (v.isString()) return true;
  why = std::string("expected text, got ") + sdk::toString(v.kind());
  return false;
}

class TrimStep final : public Step {
 public:
  bool apply(Value& v, std::string& why) const override {
    if (!needsText(v, why)) return false;
    std::string& s = v.asString();
    const auto notSpace = [](unsigned char c) { return std::isspace(c) == 0; };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
    s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
    return true;
  }
};

// ASCII case mapping: bytes of multi-byte UTF-8 sequences are left as they are.
class CaseStep final : public Step {
 public:
  explicit CaseStep(bool upper) : upper_(upper) {}
  bool apply(Value& v, std::string& why) const override {
    if (!needsText(v, why)) return false;
    for (char& c : v.asString()) {
      if (upper_ && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (!upper_ && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return true;
  }

 private:
  bool upper_;
};

class DefaultStep final : public Step {
 public:
  explicit DefaultStep(Value value) : value_(std::move(value)) {}
  bool apply(Value& v, std::string&) const override {
    if (v.isNull() || (v.isString() && v.asString().empty())) v = value_;
    return true;
  }
  bool wantsNull() const noexcept override { return true; }

 private:
  Value value_;
};

class ConstantStep final : public Step {
 public:
  explicit ConstantStep(Value value) : value_(std::move(value)) {}
  bool apply(Value& v, std::string&) const override {
    v = value_;
    return true;
  }
  bool wantsNull() const noexcept override { return true; }

 private:
  Value value_;
};

class SplitStep final : public Step {
 public:
  explicit SplitStep(std::string sep) : sep_(std::move(sep)) {}
  bool apply(Value& v, std::string& why) const override {
    if (!needsText(v, why)) return false;
    const std::string& s = v.asString();
    sdk::List parts;
    std::size_t start = 0;
    while (start <= s.size()) {
      const std::size_t end = s.find(sep_, start);
      const std::size_t stop = end == std::string::npos ? s.size() : end;
      if (stop > start) parts.emplace_back(s.substr(start, stop - start));
      if (end == std::string::npos) break;
      start = end + sep_.size();
    }
    v = std::move(parts);
    return true;
  }

 private:
  std::string sep_;
};

class JoinStep final : public Step {
 public:
  explicit JoinStep(std::string sep) : sep_(std::move(sep)) {}
  bool apply(Value& v, std::string& why) const override {
    if (!v.isList()) {
      why = std::string("expected a list, got ") + sdk::toString(v.kind());
      return false;
    }
    std::string out;
    bool first = true;
    for (const Value& item : v.asList()) {
      if (item.isNull()) continue;
      if (!item.isString()) {
        why = "list item " + item.preview() + " is not text";
        return false;
      }
      if (!first) out += sep_;
      out += item.asString();
      first = false;
    }
    v = std::move(out);
    return true;
  }

 private:
  std::string sep_;
};

class ValuesStep final : public Step {
 public:
  ValuesStep(std::vector<std::pair<Value, Value>> entries, std::optional<Value> otherwise)
      : entries_(std::move(entries)), otherwise_(std::move(otherwise)) {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].first.isString()) byText_.emplace(entries_[i].first.asString(), i);
    }
  }
  bool apply(Value& v, std::string& why) const override {
    if (v.isString()) {
      const auto it = byText_.find(v.asString());
      if (it != byText_.end()) {
        v = entries_[it->second].second;
        return true;
      }
    } else {
      for (const auto& [from, to] : entries_) {
        if (from == v) {
          v = to;
          return true;
        }
      }
    }
    if (otherwise_) {
      v = *otherwise_;
      return true;
    }
    std::string known;
    for (std::size_t i = 0; i < entries_.size() && i < 6; ++i) {
      known += (i == 0 ? "" : ", ") + entries_[i].first.preview(30);
    }
    if (entries_.size() > 6) known += ", ...";
    why = "no entry in the value map (known: " + known + ")";
    return false;
  }

 private:
  std::vector<std::pair<Value, Value>> entries_;
  std::optional<Value> otherwise_;
  std::unordered_map<std::string, std::size_t> byText_;
};

class PrefixStep final : public Step {
 public:
  PrefixStep(std::string prefix, bool strip) : prefix_(std::move(prefix)), strip_(strip) {}
  bool apply(Value& v, std::string& why) const override {
    if (!needsText(v, why)) return false;
    std::string& s = v.asString();
    if (!strip_) {
      s.insert(0, prefix_);
      return true;
    }
    if (s.compare(0, prefix_.size(), prefix_) != 0) {
      why = "does not start with \"" + prefix_ + "\"";
      return false;
    }
    s.erase(0, prefix_.size());
    return true;
  }

 private:
  std::string prefix_;
  bool strip_;
};

// Date and datetime conversions between text patterns and typed values.
class DateStep final : public Step {
 public:
  DateStep(bool dateOnly, std::optional<datefmt::Pattern> from, std::optional<datefmt::Pattern> to)
      : dateOnly_(dateOnly), from_(std::move(from)), to_(std::move(to)) {}

  bool apply(Value& v, std::string& why) const override {
    if (dateOnly_) {
      std::optional<sdk::Date> d;
      if (v.isDate())
        d = v.asDate();
      else if (v.isDateTime())
        d = sdk::Date::fromDays(floorDays(v.asDateTime().epochMs));
      else if (v.isString())
        d = from_ ? from_->parseDate(v.asString()) : sdk::Date::parseIso(v.asString());
      if (!d) return fail(v, why);
      v = to_ ? Value(to_->format(*d)) : Value(*d);
      return true;
    }
    std::optional<sdk::DateTime> t;
    if (v.isDateTime())
      t = v.asDateTime();
    else if (v.isDate())
      t = sdk::DateTime{v.asDate().toDays() * 86'400'000};
    else if (v.isString()) {
      t = from_ ? from_->parseDateTime(v.asString()) : sdk::DateTime::parseIso(v.asString());
    }
    if (!t) return fail(v, why);
    v = to_ ? Value(to_->format(*t)) : Value(*t);
    return true;
  }

 private:
  static std::int64_t floorDays(std::int64_t ms) {
    return ms >= 0 ? ms / 86'400'000 : -((-ms + 86'399'999) / 86'400'000);
  }
  bool fail(const Value& v, std::string& why) const {
    if (!v.isString()) {
      why = std::string("expected a date or text, got ") + sdk::toString(v.kind());
    } else {
      why = "does not match " + std::string(from_ ? "\"" + from_->text() + "\"" : "ISO 8601");
    }
    return false;
  }
  bool dateOnly_;
  std::optional<datefmt::Pattern> from_;
  std::optional<datefmt::Pattern> to_;
};

class E164Step final : public Step {
 public:
  explicit E164Step(std::string region) : region_(std::move(region)) {}
  bool apply(Value& v, std::string& why) const override {
    if (!needsText(v, why)) return false;
    using i18n::phonenumbers::PhoneNumberUtil;
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    i18n::phonenumbers::PhoneNumber number;
    const auto rc = util.Parse(v.asString(), region_.empty() ? "ZZ" : region_, &number);
    if (rc != PhoneNumberUtil::NO_PARSING_ERROR) {
      why = region_.empty() ? "is not a phone number in international form (+country code; "
                              "set default_region for national numbers)"
                            : "is not a phone number";
      return false;
    }
    if (!util.IsValidNumber(number)) {
      why = "is not a valid phone number" +
            (region_.empty() ? std::string() : " (default region " + region_ + ")");
      return false;
    }
    std::string out;
    util.Format(number, PhoneNumberUtil::E164, &out);
    v = std::move(out);
    return true;
  }

 private:
  std::string region_;
};

bool validEmail(std::string_view s) {
  const std::size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || s.size() > 254) return false;
  if (s.find('@', at + 1) != std::string_view::npos) return false;
  const std::string_view local = s.substr(0, at);
  const std::string_view domain = s.substr(at + 1);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return false;
  }
  for (unsigned char c : local) {
    if (c <= ' ' || c == '(' || c == ')' || c == '<' || c == '>' || c == ',' || c == ';' ||
        c == ':' || c == '\\' || c == '"' || c == '[' || c == ']' || c >= 0x7f) {
      return false;
    }
  }
  if (domain.empty() || domain.find('.') == std::string_view::npos) return false;
  std::size_t labelStart = 0;
  for (std::size_t i = 0; i <= domain.size(); ++i) {
    if (i == domain.size() || domain[i] == '.') {
      const std::string_view label = domain.substr(labelStart, i - labelStart);
      if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
        return false;
      }
      labelStart = i + 1;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(domain[i]);
    if (std::isalnum(c) == 0 && c != '-') return false;
  }
  // The top-level label is never numeric.
  const std::string_view tld = domain.substr(domain.rfind('.') + 1);
  return std::any_of(tld.begin(), tld.end(), [](unsigned char c) { return std::isalpha(c) != 0; });
}

class EmailStep final : public Step {
 public:
  bool apply(Value& v, std::string& why) const override {
    if (!needsText(v, why)) return false;
    if (!validEmail(v.asString())) {
      why = "is not a valid email address";
      return false;
    }
    return true;
  }
};

// ISO 3166-1 from Debian's iso-codes, loaded once.
class CountryTable {
 public:
  static const CountryTable* instance(std::string* error) {
    static std::once_flag once;
    static std::unique_ptr<CountryTable> table;
    static std::string loadError;
    std::call_once(once, [] { table = load(loadError); });
    if (!table && error != nullptr) *error = loadError;
    return table.get();
  }

  // Index of the country written in `form`, -1 when unknown. Names match case-insensitively
  // and also by official and common name.
  int find(CountryForm form, std::string_view text) const {
    const auto& index = form == CountryForm::kName     ? byName_
                        : form == CountryForm::kAlpha2 ? byAlpha2_
                                                       : byAlpha3_;
    const auto it = index.find(text);
    return it == index.end() ? -1 : it->second;
  }
  const std::string& render(CountryForm form, int index) const {
    const Country& c = countries_[static_cast<std::size_t>(index)];
    return form == CountryForm::kName ? c.name : form == CountryForm::kAlpha2 ? c.alpha2 : c.alpha3;
  }

 private:
  struct Country {
    std::string name, alpha2, alpha3;
  };

  static std::unique_ptr<CountryTable> load(std::string& error) {
    const char* path = FERRY_ISO_3166_JSON;
    std::ifstream in(path);
    if (!in) {
      error = std::string("cannot read ISO 3166 data from ") + path + " (install iso-codes)";
      return nullptr;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    const auto root = Value::fromJson(buffer.str(), &error);
    const Value* list = root && root->isObject() ? root->asObject().find("3166-1") : nullptr;
    if (list == nullptr || !list->isList()) {
      if (error.empty()) error = std::string("unexpected layout of ") + path;
      return nullptr;
    }
    auto table = std::make_unique<CountryTable>();
    const auto text = [](const sdk::Object& o, std::string_view key) -> std::string {
      const Value* v = o.find(key);
      return v != nullptr && v->isString() ? v->asString() : std::string();
    };
    for (const Value& item : list->asList()) {
      if (!item.isObject()) continue;
      const sdk::Object& o = item.asObject();
      Country c{text(o, "name"), text(o, "alpha_2"), text(o, "alpha_3")};
      if (c.name.empty() || c.alpha2.empty()) continue;
      const int index = static_cast<int>(table->countries_.size());
      table->byName_.emplace(c.name, index);
      for (const char* alias : {"official_name", "common_name"}) {
        const std::string a = text(o, alias);
        if (!a.empty()) table->byName_.emplace(a, index);
      }
      table->byAlpha2_.emplace(c.alpha2, index);
      table->byAlpha3_.emplace(c.alpha3, index);
      table->countries_.push_back(std::move(c));
    }
    return table;
  }

  // ASCII case-insensitive keys, looked up by string_view without building a string.
  static constexpr unsigned char fold(unsigned char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c - 'A' + 'a') : c;
  }
  struct FoldHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      std::size_t h = 1469598103934665603ULL;
      for (unsigned char c : s) h = (h ^ fold(c)) * 1099511628211ULL;
      return h;
    }
  };
  struct FoldEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept {
      return a.size() == b.size() &&
             std::equal(a.begin(), a.end(), b.begin(),
                        [](unsigned char x, unsigned char y) { return fold(x) == fold(y); });
    }
  };
  using Index = std::unordered_map<std::string, int, FoldHash, FoldEqual>;

  std::vector<Country> countries_;
  Index byName_, byAlpha2_, byAlpha3_;
};

const char* formName(CountryForm f) {
  return f == CountryForm::kName     ? "country name"
         : f == CountryForm::kAlpha2 ? "ISO alpha-2 code"
                                     : "ISO alpha-3 code";
}

class CountryStep final : public Step {
 public:
  CountryStep(const CountryTable* table, CountryForm from, CountryForm to)
      : table_(table), from_(from), to_(to) {}
  bool apply(Value& v, std::string& why) const override {
    if (!needsText(v, why)) return false;
    const int index = table_->find(from_, v.asString());
    if (index < 0) {
      why = std::string("is not a known ") + formName(from_) + " (ISO 3166-1)";
      return false;
    }
    v = table_->render(to_, index);
    return true;
  }

 private:
  const CountryTable* table_;
  CountryForm from_;
  CountryForm to_;
};

// Applies a scalar step to every item of a list (tags, several emails).
class EachStep final : public Step {
 public:
  explicit EachStep(std::unique_ptr<Step> inner) : inner_(std::move(inner)) {}
  bool apply(Value& v, std::string& why) const override {
    if (!v.isList()) return inner_->apply(v, why);
    for (Value& item : v.asList()) {
      if (item.isNull() && !inner_->wantsNull()) continue;
      if (!inner_->apply(item, why)) {
        why = "item " + item.preview() + " " + why;
        return false;
      }
    }
    return true;
  }

 private:
  std::unique_ptr<Step> inner_;
};

}  // namespace

std::optional<Compiled> compile(const TransformSpec& spec, const TypeInfo& in,
                                const std::string& subject, Diagnostics& diags) {
  using K = TransformSpec::Kind;
  Compiled c;
  c.name = spec.name;
  c.pos = spec.pos;
  // Scalar transforms apply item by item to lists.
  const bool list = !in.any && in.type == FieldType::kList;
  const TypeInfo item = list ? scalar(in.item) : in;
  const auto notApplicable = [&](const char* accepts) -> std::optional<Compiled> {
    diags.error(spec.pos, "transform-type",
                "transform \"" + spec.name + "\" does not apply to " + subject + " (" +
                    in.describe() + "); it takes " + accepts);
    return std::nullopt;
  };
  const auto result = [&](std::unique_ptr<Step> step, TypeInfo itemOut) {
    if (list) {
      c.forward = std::make_unique<EachStep>(std::move(step));
      c.output = in.any ? in : TypeInfo{FieldType::kList, itemOut.type, itemOut.any};
    } else {
      c.forward = std::move(step);
      c.output = itemOut;
    }
  };
  const auto wrapInverse = [&](std::unique_ptr<Step> step) {
    c.inverse = list ? std::make_unique<EachStep>(std::move(step)) : std::move(step);
  };
  const bool textual = item.any || isTextual(item.type);

  switch (spec.kind) {
    case K::kTrim:
    case K::kLower:
    case K::kUpper:
      if (!textual) return notApplicable("text");
      if (spec.kind == K::kTrim)
        result(std::make_unique<TrimStep>(), item);
      else
        result(std::make_unique<CaseStep>(spec.kind == K::kUpper), item);
      c.invertibility = Invertibility::kNormalizing;
      return c;
    case K::kDefault:
      if (!literalFits(spec.value, in)) {
        diags.error(spec.pos, "type-mismatch",
                    "default " + spec.value.preview() + " does not fit " + subject + " (" +
                        in.describe() + ")");
        return std::nullopt;
      }
      c.forward = std::make_unique<DefaultStep>(spec.value);
      c.output = in;
      c.invertibility = Invertibility::kNormalizing;
      return c;
    case K::kConstant:
      c.forward = std::make_unique<ConstantStep>(spec.value);
      c.output = typeOfValue(spec.value);
      c.invertibility = Invertibility::kLossy;
      c.lossReason = "a constant discards the field's value";
      return c;
    case K::kConcat:
      if (!textual) return notApplicable("text");
      c.output = scalar(FieldType::kString);
      c.invertibility = Invertibility::kBijective;  // split by the mapping entry itself
      return c;
    case K::kSplit:
      if (list || !textual) return notApplicable("text");
      c.forward = std::make_unique<SplitStep>(spec.text);
      c.inverse = std::make_unique<JoinStep>(spec.text);
      c.output = {FieldType::kList, FieldType::kString, false};
      c.invertibility = Invertibility::kBijective;
      return c;
    case K::kJoin:
      if (!in.any && !list) return notApplicable("a list");
      c.forward = std::make_unique<JoinStep>(spec.text);
      c.inverse = std::make_unique<SplitStep>(spec.text);
      c.output = scalar(FieldType::kString);
      c.invertibility = Invertibility::kBijective;
      return c;
    case K::kValues: {
      if (!item.any && item.type == FieldType::kObject) return notApplicable("plain values");
      bool ok = true;
      std::optional<TypeInfo> out;
      bool injective = true;
      for (std::size_t i = 0; i < spec.valueMap.size(); ++i) {
        const auto& [from, to] = spec.valueMap[i];
        if (!literalFits(from, item)) {
          diags.error(spec.pos, "type-mismatch",
                      "value map key " + from.preview() + " can never match " + subject + " (" +
                          item.describe() + ")");
          ok = false;
        }
        const TypeInfo t = to.isNull() ? TypeInfo::anyType() : typeOfValue(to);
        if (!out)
          out = t;
        else if (!to.isNull() && !out->any && !assignable(t, *out))
          out = TypeInfo::anyType();
        for (std::size_t j = 0; j < i; ++j)
          injective = injective && !(spec.valueMap[j].second == to);
      }
      if (spec.otherwise && !spec.otherwise->isNull() && out && !out->any &&
          !assignable(typeOfValue(*spec.otherwise), *out)) {
        out = TypeInfo::anyType();
      }
      if (!ok) return std::nullopt;
      result(std::make_unique<ValuesStep>(spec.valueMap, spec.otherwise), out.value_or(item));
      if (spec.otherwise) {
        c.invertibility = Invertibility::kLossy;
        c.lossReason = "the \"*\" entry maps many values to one";
      } else if (!injective) {
        c.invertibility = Invertibility::kLossy;
        c.lossReason = "several values map to the same result";
      } else {
        std::vector<std::pair<Value, Value>> swapped;
        for (const auto& [from, to] : spec.valueMap) swapped.emplace_back(to, from);
        wrapInverse(std::make_unique<ValuesStep>(std::move(swapped), std::nullopt));
        c.invertibility = Invertibility::kBijective;
      }
      return c;
    }
    case K::kDate:
    case K::kDateTime: {
      const bool dateOnly = spec.kind == K::kDate;
      const bool accepts = item.any || isTextual(item.type) || item.type == FieldType::kDate ||
                           item.type == FieldType::kDateTime;
      if (!accepts) return notApplicable("text, a date or a datetime");
      std::optional<datefmt::Pattern> from, to;
      std::string error;
      if (!spec.from.pattern.empty())
        from = datefmt::Pattern::compile(spec.from.pattern, dateOnly, &error);
      if (!spec.to.pattern.empty())
        to = datefmt::Pattern::compile(spec.to.pattern, dateOnly, &error);
      if (!error.empty()) {
        diags.error(spec.pos, "bad-argument", error);
        return std::nullopt;
      }
      // Written with a pattern the value is text; without one it is a typed date/datetime.
      const FieldType out = to         ? FieldType::kString
                            : dateOnly ? FieldType::kDate
                                       : FieldType::kDateTime;
      result(std::make_unique<DateStep>(dateOnly, from, to), scalar(out));
      wrapInverse(std::make_unique<DateStep>(dateOnly, to, from));
      c.invertibility = Invertibility::kBijective;
      return c;
    }
    case K::kE164: {
      if (!textual) return notApplicable("text");
      if (!spec.text.empty()) {
        std::set<std::string> regions;
        i18n::phonenumbers::PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
        if (regions.count(spec.text) == 0) {
          diags.error(
              spec.pos, "bad-argument",
              "transform \"e164\": \"" + spec.text + "\" is not a region libphonenumber knows");
          return std::nullopt;
        }
      }
      result(std::make_unique<E164Step>(spec.text), scalar(FieldType::kPhone));
      c.invertibility = Invertibility::kNormalizing;
      return c;
    }
    case K::kEmail:
      if (!textual) return notApplicable("text");
      result(std::make_unique<EmailStep>(), scalar(FieldType::kEmail));
      c.invertibility = Invertibility::kNormalizing;
      return c;
    case K::kCountry: {
      if (!textual) return notApplicable("text");
      std::string error;
      const CountryTable* table = CountryTable::instance(&error);
      if (table == nullptr) {
        diags.error(spec.pos, "transform-data", "transform \"country\": " + error);
        return std::nullopt;
      }
      result(std::make_unique<CountryStep>(table, spec.countryFrom, spec.countryTo),
             scalar(FieldType::kString));
      wrapInverse(std::make_unique<CountryStep>(table, spec.countryTo, spec.countryFrom));
      c.invertibility = Invertibility::kBijective;
      return c;
    }
    case K::kPrefix:
      if (!textual) return notApplicable("text");
      result(std::make_unique<PrefixStep>(spec.text, false), item);
      wrapInverse(std::make_unique<PrefixStep>(spec.text, true));
      c.invertibility = Invertibility::kBijective;
      return c;
  }
  return std::nullopt;
}

}  // namespace ferry::host::transforms
