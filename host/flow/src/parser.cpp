// Flow files: YAML -> FlowSpec. Shape only; see validator.cpp for checks against schemas.
#include "ferry/host/flow/parser.hpp"

#include <algorithm>
#include <cctype>

#include "date_format.hpp"
#include "yaml_reader.hpp"

namespace ferry::host {

using yamlread::describeKind;
using yamlread::MapReader;
using yamlread::posOf;
using yamlread::scalarString;
using yamlread::toValue;

namespace {

const std::vector<KeyTable> kKeyTables{
    {"flow",
     {"flow", "description", "source", "sink", "direction", "schedule", "match", "map", "constants",
      "defaults", "conflicts", "deletes", "errors", "filter", "sink_filter", "batch_size"}},
    {"endpoint", {"connection", "entity"}},
    {"schedule", {"every"}},
    {"match", {"source", "sink"}},
    {"map-entry", {"to", "transform", "default", "reverse"}},
    {"sides", {"source", "sink"}},
    {"deletes", {"policy", "tag"}},
    {"errors", {"max_attempts", "base_delay", "max_delay"}},
    {"condition", {"eq", "ne", "in", "not_in", "is_null", "gt", "ge", "lt", "le"}},
    {"transforms",
     {"trim", "lower", "upper", "default", "constant", "concat", "split", "join", "values", "date",
      "datetime", "e164", "email", "country", "prefix"}},
    {"concat", {"with", "separator"}},
    {"date", {"from", "to"}},
    {"e164", {"default_region"}},
    {"country", {"from", "to"}},
    {"connection", {"connection", "plugin", "description", "settings", "credentials"}},
    {"secret", {"secret"}},
    {"flow-test", {"flow", "cases"}},
    {"flow-test-case", {"name", "direction", "source", "sink", "reject"}},
};

const std::vector<KeyTable> kEnumTables{
    {"direction", {"one-way", "two-way"}},
    {"conflicts", {"source-wins", "sink-wins", "newest-wins", "manual"}},
    {"delete-policy", {"ignore", "propagate", "tag"}},
    {"country-form", {"name", "alpha2", "alpha3"}},
    {"test-direction", {"forward", "reverse", "both"}},
    // Transforms usable as a bare word (the others need arguments).
    {"bare-transforms", {"trim", "lower", "upper", "email", "e164", "country"}},
};

}  // namespace

const std::vector<KeyTable>& fileKeyTables() { return kKeyTables; }
const std::vector<KeyTable>& fileEnumTables() { return kEnumTables; }

const std::vector<std::string>& keysOf(std::string_view context) {
  for (const auto& t : kKeyTables) {
    if (t.context == context) return t.keys;
  }
  for (const auto& t : kEnumTables) {
    if (t.context == context) return t.keys;
  }
  static const std::vector<std::string> kNone;
  return kNone;
}

bool isSafeIdentifier(std::string_view name) noexcept {
  if (name.empty() || name.size() > 63) return false;
  if (name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

const char* toString(TransformSpec::Kind kind) noexcept {
  static constexpr const char* kNames[] = {"trim",     "lower", "upper", "default", "constant",
                                           "concat",   "split", "join",  "values",  "date",
                                           "datetime", "e164",  "email", "country", "prefix"};
  return kNames[static_cast<int>(kind)];
}

namespace {

// Reads one enumerated word and reports anything else with the allowed words.
template <typename E>
std::optional<Located<E>> readEnum(const YAML::Node& node, const std::string& file,
                                   Diagnostics& diags, std::string_view what,
                                   std::string_view table, const std::vector<E>& values) {
  const auto word = scalarString(node, file, diags, what);
  if (!word) return std::nullopt;
  const auto& words = keysOf(table);
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i] == word->value) return Located<E>{values[i], word->pos};
  }
  std::string allowed;
  for (const auto& w : words) allowed += (allowed.empty() ? "" : ", ") + w;
  diags.error(word->pos, "bad-value",
              std::string(what) + " must be one of " + allowed + ", not \"" + word->value + "\"" +
                  didYouMean(word->value, words));
  return std::nullopt;
}

bool validPath(std::string_view path) {
  if (path.empty() || path.front() == '.' || path.back() == '.') return false;
  return path.find("..") == std::string_view::npos;
}

std::optional<Located<std::string>> fieldPath(const YAML::Node& node, const std::string& file,
                                              Diagnostics& diags, std::string_view what) {
  auto s = scalarString(node, file, diags, what);
  if (!s) return std::nullopt;
  if (!validPath(s->value)) {
    diags.error(
        s->pos, "bad-path",
        std::string(what) + " \"" + s->value + "\" is not a field path (names joined by '.')");
    return std::nullopt;
  }
  return s;
}

class FlowParser {
 public:
  FlowParser(const std::string& file, Diagnostics& diags) : file_(file), diags_(diags) {}

  std::optional<TransformSpec> transform(const YAML::Node& node);
  std::vector<TransformSpec> transformList(const YAML::Node& node);
  std::optional<FlowSpec> flow(const YAML::Node& root);

 private:
  void endpoint(const YAML::Node& node, std::string_view side, Located<std::string>& connection,
                Located<std::string>& entity, SourcePos& pos);
  void mapSection(const YAML::Node& node, FlowSpec& spec);
  std::optional<MapEntrySpec> mapTarget(const Located<std::string>& source, const YAML::Node& node,
                                        const SourcePos& entryPos);
  void matchSection(const YAML::Node& node, FlowSpec& spec);
  std::vector<ConditionSpec> conditions(const YAML::Node& node, std::string_view what);
  void sides(const YAML::Node& node, std::string_view what, SideValues& out);
  void deletes(const YAML::Node& node, FlowSpec& spec);
  void errors(const YAML::Node& node, FlowSpec& spec);
  std::optional<std::chrono::milliseconds> duration(const YAML::Node& node, std::string_view what);
  std::optional<std::int64_t> integer(const YAML::Node& node, std::string_view what,
                                      std::int64_t min, std::int64_t max);
  bool transformArgs(TransformSpec& t, const YAML::Node& args);
  std::optional<std::string> separator(const YAML::Node& node, std::string_view what);

  const std::string& file_;
  Diagnostics& diags_;
};

std::optional<std::chrono::milliseconds> FlowParser::duration(const YAML::Node& node,
                                                              std::string_view what) {
  const auto text = scalarString(node, file_, diags_, what);
  if (!text) return std::nullopt;
  const auto d = yamlread::parseDuration(text->value);
  if (!d || d->count() <= 0) {
    diags_.error(text->pos, "bad-value",
                 std::string(what) +
                     " must be a positive duration such as 500ms, 10s, 5m or 1h, "
                     "not \"" +
                     text->value + "\"");
    return std::nullopt;
  }
  return d;
}

std::optional<std::int64_t> FlowParser::integer(const YAML::Node& node, std::string_view what,
                                                std::int64_t min, std::int64_t max) {
  const sdk::Value v = toValue(node);
  if (!node.IsScalar() || !v.isInteger() || v.asInteger() < min || v.asInteger() > max) {
    diags_.error(posOf(node, file_), "bad-value",
                 std::string(what) + " must be a whole number from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", not " + describeKind(node));
    return std::nullopt;
  }
  return v.asInteger();
}

std::optional<std::string> FlowParser::separator(const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar() || node.Scalar().empty()) {
    diags_.error(
        posOf(node, file_), "bad-argument",
        std::string(what) + " needs a non-empty separator text, not " + describeKind(node));
    return std::nullopt;
  }
  return node.Scalar();
}

bool FlowParser::transformArgs(TransformSpec& t, const YAML::Node& args) {
  using K = TransformSpec::Kind;
  const std::string what = "transform \"" + t.name + "\"";
  const bool noArgs = !args.IsDefined() || args.IsNull();
  switch (t.kind) {
    case K::kTrim:
    case K::kLower:
    case K::kUpper:
    case K::kEmail:
      if (!noArgs) {
        diags_.error(posOf(args, file_), "bad-argument", what + " takes no arguments");
        return false;
      }
      return true;
    case K::kDefault:
    case K::kConstant:
      if (noArgs) {
        diags_.error(t.pos, "bad-argument", what + " needs a value, e.g. { " + t.name + ": X }");
        return false;
      }
      if (args.IsMap()) {
        diags_.error(posOf(args, file_), "bad-argument",
                     what + " takes a plain value, not a mapping");
        return false;
      }
      t.value = toValue(args);
      return true;
    case K::kPrefix: {
      if (noArgs || !args.IsScalar()) {
        diags_.error(noArgs ? t.pos : posOf(args, file_), "bad-argument",
                     what + " needs the prefix text, e.g. { prefix: \"sf-\" }");
        return false;
      }
      t.text = args.Scalar();
      return true;
    }
    case K::kSplit:
    case K::kJoin: {
      if (noArgs) {
        diags_.error(t.pos, "bad-argument",
                     what + " needs a separator, e.g. { " + t.name + ": \";\" }");
        return false;
      }
      auto sep = separator(args, what);
      if (!sep) return false;
      t.text = *sep;
      return true;
    }
    case K::kConcat: {
      if (noArgs) {
        diags_.error(t.pos, "bad-argument",
                     what + " needs the fields to append, e.g. { concat: { with: [LastName] } }");
        return false;
      }
      MapReader r(args, file_, diags_, what, keysOf("concat"));
      if (!r.ok()) return false;
      r.require("with");
      bool ok = r.has("with");
      const YAML::Node with = r.get("with");
      if (with.IsScalar()) {
        if (auto f = fieldPath(with, file_, diags_, "concat field"))
          t.fields.push_back(*f);
        else
          ok = false;
      } else if (with.IsSequence() && with.size() > 0) {
        for (const auto& item : with) {
          if (auto f = fieldPath(item, file_, diags_, "concat field"))
            t.fields.push_back(*f);
          else
            ok = false;
        }
      } else if (with.IsDefined()) {
        diags_.error(posOf(with, file_), "bad-argument",
                     what + ": \"with\" must name one field or a list of fields");
        ok = false;
      }
      t.text = " ";
      if (r.has("separator")) {
        auto sep = separator(r.get("separator"), what);
        if (sep)
          t.text = *sep;
        else
          ok = false;
      }
      return ok;
    }
    case K::kValues: {
      if (noArgs || !args.IsMap() || args.size() == 0) {
        diags_.error(noArgs ? t.pos : posOf(args, file_), "bad-argument",
                     what + " needs a mapping of values, e.g. { values: { Open: OPEN } }");
        return false;
      }
      bool ok = true;
      for (auto it = args.begin(); it != args.end(); ++it) {
        const bool plainKey = it->first.IsScalar() || it->first.IsNull();
        if (!plainKey || !(it->second.IsScalar() || it->second.IsNull())) {
          diags_.error(posOf(it->first, file_), "bad-argument",
                       what + ": each entry maps one plain value to one plain value");
          ok = false;
          continue;
        }
        const sdk::Value from = toValue(it->first);
        const sdk::Value to = toValue(it->second);
        // "*" (quoted in YAML, where a bare * starts an alias) maps every other value.
        if (it->first.IsScalar() && it->first.Scalar() == "*") {
          if (t.otherwise) {
            diags_.error(posOf(it->first, file_), "bad-argument", what + ": \"*\" given twice");
            ok = false;
          }
          t.otherwise = to;
          continue;
        }
        for (const auto& [k, v] : t.valueMap) {
          if (k == from) {
            diags_.error(posOf(it->first, file_), "bad-argument",
                         what + ": value " + from.preview() + " is mapped twice");
            ok = false;
          }
        }
        t.valueMap.emplace_back(from, to);
      }
      return ok;
    }
    case K::kDate:
    case K::kDateTime: {
      if (noArgs) {
        diags_.error(t.pos, "bad-argument",
                     what +
                         " needs { from: FORMAT } and/or { to: FORMAT } (formats: salesforce, "
                         "people, iso or a pattern such as \"dd.MM.yyyy\")");
        return false;
      }
      MapReader r(args, file_, diags_, what, keysOf("date"));
      if (!r.ok()) return false;
      if (!r.has("from") && !r.has("to")) {
        diags_.error(r.pos(), "bad-argument", what + " needs \"from\", \"to\" or both");
        return false;
      }
      bool ok = true;
      for (const char* key : {"from", "to"}) {
        auto text = r.string(key);
        if (!text) {
          ok = ok && !r.has(key);
          continue;
        }
        std::string error;
        if (!datefmt::Pattern::compile(text->value, t.kind == K::kDate, &error)) {
          diags_.error(text->pos, "bad-argument", what + ": " + error);
          ok = false;
          continue;
        }
        DateFormatSpec& f = std::string_view(key) == "from" ? t.from : t.to;
        f.pattern = text->value;
        f.pos = text->pos;
      }
      return ok;
    }
    case K::kE164: {
      if (noArgs) return true;
      MapReader r(args, file_, diags_, what, keysOf("e164"));
      if (!r.ok()) return false;
      auto region = r.string("default_region");
      if (!region) return !r.has("default_region");
      const std::string& v = region->value;
      if (v.size() != 2 || !std::isupper(static_cast<unsigned char>(v[0])) ||
          !std::isupper(static_cast<unsigned char>(v[1]))) {
        diags_.error(region->pos, "bad-argument",
                     what +
                         ": default_region must be a two-letter ISO country code such as US, "
                         "not \"" +
                         v + "\"");
        return false;
      }
      t.text = v;
      return true;
    }
    case K::kCountry: {
      if (noArgs) return true;  // name -> alpha2
      MapReader r(args, file_, diags_, what, keysOf("country"));
      if (!r.ok()) return false;
      const std::vector<CountryForm> forms{CountryForm::kName, CountryForm::kAlpha2,
                                           CountryForm::kAlpha3};
      bool ok = true;
      if (r.has("from")) {
        auto f = readEnum(r.get("from"), file_, diags_, what + " \"from\"", "country-form", forms);
        if (f)
          t.countryFrom = f->value;
        else
          ok = false;
      }
      if (r.has("to")) {
        auto f = readEnum(r.get("to"), file_, diags_, what + " \"to\"", "country-form", forms);
        if (f)
          t.countryTo = f->value;
        else
          ok = false;
      }
      if (ok && t.countryFrom == t.countryTo) {
        diags_.error(r.pos(), "bad-argument", what + ": \"from\" and \"to\" are the same form");
        ok = false;
      }
      return ok;
    }
  }
  return false;
}

std::optional<TransformSpec> FlowParser::transform(const YAML::Node& node) {
  const auto& names = keysOf("transforms");
  TransformSpec t;
  t.pos = posOf(node, file_);
  YAML::Node args(YAML::NodeType::Undefined);
  if (node.IsScalar()) {
    t.name = node.Scalar();
  } else if (node.IsMap() && node.size() == 1) {
    const auto it = node.begin();
    if (!it->first.IsScalar()) {
      diags_.error(t.pos, "bad-transform", "a transform is a name or { name: arguments }");
      return std::nullopt;
    }
    t.name = it->first.Scalar();
    t.pos = posOf(it->first, file_);
    args = it->second;
  } else {
    diags_.error(t.pos, "bad-transform",
                 "a transform is a name or a mapping with one key { name: arguments }, not " +
                     describeKind(node));
    return std::nullopt;
  }
  const auto found = std::find(names.begin(), names.end(), t.name);
  if (found == names.end()) {
    diags_.error(t.pos, "unknown-transform",
                 "unknown transform \"" + t.name + "\"" + didYouMean(t.name, names));
    return std::nullopt;
  }
  t.kind = static_cast<TransformSpec::Kind>(found - names.begin());
  const std::size_t errorsBefore = diags_.errorCount();
  if (!transformArgs(t, args) || diags_.errorCount() != errorsBefore) return std::nullopt;
  return t;
}

std::vector<TransformSpec> FlowParser::transformList(const YAML::Node& node) {
  std::vector<TransformSpec> out;
  if (node.IsSequence()) {
    for (const auto& item : node) {
      if (auto t = transform(item)) out.push_back(std::move(*t));
    }
  } else if (node.IsDefined() && !node.IsNull()) {
    if (auto t = transform(node)) out.push_back(std::move(*t));
  }
  return out;
}

void FlowParser::endpoint(const YAML::Node& node, std::string_view side,
                          Located<std::string>& connection, Located<std::string>& entity,
                          SourcePos& pos) {
  pos = posOf(node, file_);
  MapReader r(node, file_, diags_, "\"" + std::string(side) + "\"", keysOf("endpoint"));
  if (!r.ok()) return;
  if (auto c = r.requiredString("connection")) connection = *c;
  if (auto e = r.requiredString("entity")) entity = *e;
}

std::optional<MapEntrySpec> FlowParser::mapTarget(const Located<std::string>& source,
                                                  const YAML::Node& node,
                                                  const SourcePos& entryPos) {
  MapEntrySpec entry;
  entry.source = source;
  entry.pos = entryPos;
  const std::string what = "map entry \"" + source.value + "\"";
  if (node.IsScalar() && !node.Scalar().empty()) {
    auto target = fieldPath(node, file_, diags_, "target of " + what);
    if (!target) return std::nullopt;
    entry.target = *target;
    return entry;
  }
  if (!node.IsMap()) {
    diags_.error(entry.pos, "bad-value",
                 what + " needs a target field: \"" + source.value + ": field\" or \"" +
                     source.value + ": { to: field, transform: [...] }\"");
    return std::nullopt;
  }
  MapReader r(node, file_, diags_, what, keysOf("map-entry"));
  r.require("to");
  bool ok = r.has("to");
  if (r.has("to")) {
    auto target = fieldPath(r.get("to"), file_, diags_, "\"to\" of " + what);
    if (target)
      entry.target = *target;
    else
      ok = false;
  }
  if (r.has("transform")) {
    const std::size_t before = diags_.errorCount();
    entry.transforms = transformList(r.get("transform"));
    ok = ok && diags_.errorCount() == before;
  }
  if (r.has("default")) {
    const YAML::Node d = r.get("default");
    if (d.IsMap()) {
      diags_.error(posOf(d, file_), "bad-value",
                   "\"default\" of " + what + " must be a plain value");
      ok = false;
    } else {
      entry.defaultValue = Located<sdk::Value>{toValue(d), posOf(d, file_)};
    }
  }
  if (r.has("reverse")) {
    const YAML::Node rev = r.get("reverse");
    entry.reversePos = posOf(rev, file_);
    const sdk::Value v = toValue(rev);
    if (rev.IsScalar() && v.isBool()) {
      entry.reverseDisabled = !v.asBool();
    } else {
      const std::size_t before = diags_.errorCount();
      entry.reverse = transformList(rev);
      ok = ok && diags_.errorCount() == before;
    }
  }
  if (!ok) return std::nullopt;
  return entry;
}

void FlowParser::mapSection(const YAML::Node& node, FlowSpec& spec) {
  spec.mapPos = posOf(node, file_);
  if (!node.IsMap()) {
    diags_.error(
        spec.mapPos, "bad-value",
        "\"map\" must be a mapping of source fields to sink fields, not " + describeKind(node));
    return;
  }
  if (node.size() == 0) {
    diags_.error(spec.mapPos, "bad-value", "\"map\" has no entries");
    return;
  }
  std::vector<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    auto source = fieldPath(it->first, file_, diags_, "map key");
    if (!source) continue;
    if (std::find(seen.begin(), seen.end(), source->value) != seen.end()) {
      diags_.error(source->pos, "duplicate-key",
                   "\"" + source->value +
                       "\" appears twice in \"map\" (to send one field to "
                       "several targets, give a list of targets)");
      continue;
    }
    seen.push_back(source->value);
    const YAML::Node value = it->second;  // a copy: iterator proxies are temporaries
    if (value.IsSequence()) {
      if (value.size() == 0) {
        diags_.error(source->pos, "bad-value", "map entry \"" + source->value + "\" has no target");
      }
      for (const auto& target : value) {
        if (auto e = mapTarget(*source, target, posOf(target, file_))) {
          spec.map.push_back(std::move(*e));
        }
      }
    } else if (auto e = mapTarget(*source, value, source->pos)) {
      spec.map.push_back(std::move(*e));
    }
  }
}

void FlowParser::matchSection(const YAML::Node& node, FlowSpec& spec) {
  spec.matchPos = posOf(node, file_);
  if (!node.IsSequence()) {
    diags_.error(spec.matchPos, "bad-value",
                 "\"match\" must be a list of keys, e.g. [ { source: Email, sink: "
                 "contactInformation.email } ], not " +
                     describeKind(node));
    return;
  }
  for (const auto& item : node) {
    MatchSpec m;
    m.pos = posOf(item, file_);
    if (item.IsScalar()) {
      auto f = fieldPath(item, file_, diags_, "match key");
      if (!f) continue;
      m.source = *f;
    } else {
      MapReader r(item, file_, diags_, "match key", keysOf("match"));
      if (!r.ok()) continue;
      r.require("source");
      if (!r.has("source")) continue;
      auto s = fieldPath(r.get("source"), file_, diags_, "match \"source\"");
      if (!s) continue;
      m.source = *s;
      if (r.has("sink")) {
        auto k = fieldPath(r.get("sink"), file_, diags_, "match \"sink\"");
        if (!k) continue;
        m.sink = *k;
      }
    }
    spec.match.push_back(std::move(m));
  }
}

std::vector<ConditionSpec> FlowParser::conditions(const YAML::Node& node, std::string_view what) {
  std::vector<ConditionSpec> out;
  if (!node.IsMap()) {
    diags_.error(posOf(node, file_), "bad-value",
                 std::string(what) +
                     " must map fields to conditions, e.g. { Status: { in: [Open, "
                     "Working] } }, not " +
                     describeKind(node));
    return out;
  }
  using Op = sdk::Condition::Op;
  static const std::vector<Op> kOps{Op::kEq, Op::kNe, Op::kIn, Op::kNotIn, Op::kIsNull,
                                    Op::kGt, Op::kGe, Op::kLt, Op::kLe};
  const auto& opNames = keysOf("condition");
  for (auto it = node.begin(); it != node.end(); ++it) {
    auto field = fieldPath(it->first, file_, diags_, std::string(what) + " field");
    if (!field) continue;
    const YAML::Node cond = it->second;  // a copy: iterator proxies are temporaries
    auto single = [&](Op op, std::string name, const YAML::Node& v) {
      ConditionSpec c;
      c.field = *field;
      c.op = op;
      c.opName = std::move(name);
      c.pos = posOf(v, file_);
      c.values.push_back({toValue(v), c.pos});
      out.push_back(std::move(c));
    };
    if (cond.IsScalar() || cond.IsNull()) {
      single(Op::kEq, "eq", cond);
      continue;
    }
    if (cond.IsSequence()) {
      ConditionSpec c;
      c.field = *field;
      c.op = Op::kIn;
      c.opName = "in";
      c.pos = posOf(cond, file_);
      for (const auto& v : cond) c.values.push_back({toValue(v), posOf(v, file_)});
      out.push_back(std::move(c));
      continue;
    }
    MapReader r(cond, file_, diags_, "condition on \"" + field->value + "\"", opNames);
    for (std::size_t i = 0; i < opNames.size(); ++i) {
      const YAML::Node v = r.get(opNames[i]);
      if (!v.IsDefined()) continue;
      const Op op = kOps[i];
      if (op == Op::kIn || op == Op::kNotIn) {
        if (!v.IsSequence() || v.size() == 0) {
          diags_.error(posOf(v, file_), "bad-value",
                       "\"" + opNames[i] + "\" needs a non-empty list of values");
          continue;
        }
        ConditionSpec c;
        c.field = *field;
        c.op = op;
        c.opName = opNames[i];
        c.pos = posOf(v, file_);
        for (const auto& item : v) {
          if (!item.IsScalar()) {
            diags_.error(posOf(item, file_), "bad-value",
                         "\"" + opNames[i] + "\" values must be plain");
            continue;
          }
          c.values.push_back({toValue(item), posOf(item, file_)});
        }
        out.push_back(std::move(c));
      } else if (op == Op::kIsNull) {
        const sdk::Value b = toValue(v);
        if (!v.IsScalar() || !b.isBool()) {
          diags_.error(posOf(v, file_), "bad-value", "\"is_null\" takes true or false");
          continue;
        }
        ConditionSpec c;
        c.field = *field;
        c.op = b.asBool() ? Op::kIsNull : Op::kNotNull;
        c.opName = "is_null";
        c.pos = posOf(v, file_);
        out.push_back(std::move(c));
      } else {
        if (!v.IsScalar()) {
          diags_.error(posOf(v, file_), "bad-value",
                       "\"" + opNames[i] + "\" takes one plain value");
          continue;
        }
        single(op, opNames[i], v);
      }
    }
  }
  return out;
}

void FlowParser::sides(const YAML::Node& node, std::string_view what, SideValues& out) {
  MapReader r(node, file_, diags_, "\"" + std::string(what) + "\"", keysOf("sides"));
  if (!r.ok()) return;
  for (const char* side : {"source", "sink"}) {
    const YAML::Node values = r.get(side);
    if (!values.IsDefined()) continue;
    if (!values.IsMap()) {
      diags_.error(posOf(values, file_), "bad-value",
                   "\"" + std::string(what) + "." + side + "\" must map fields to values");
      continue;
    }
    auto& list = std::string_view(side) == "source" ? out.source : out.sink;
    for (auto it = values.begin(); it != values.end(); ++it) {
      auto field = fieldPath(it->first, file_, diags_, std::string(what) + " field");
      if (!field) continue;
      if (it->second.IsMap()) {
        diags_.error(posOf(it->second, file_), "bad-value",
                     "value of \"" + field->value + "\" must be plain or a list");
        continue;
      }
      list.emplace_back(*field, Located<sdk::Value>{toValue(it->second), posOf(it->second, file_)});
    }
  }
}

void FlowParser::deletes(const YAML::Node& node, FlowSpec& spec) {
  const std::vector<DeletePolicy> policies{DeletePolicy::kIgnore, DeletePolicy::kPropagate,
                                           DeletePolicy::kTag};
  if (node.IsScalar()) {
    if (auto p = readEnum(node, file_, diags_, "\"deletes\"", "delete-policy", policies)) {
      spec.deletes = *p;
      if (p->value == DeletePolicy::kTag) {
        diags_.error(
            p->pos, "missing-key",
            "\"deletes: tag\" needs the tag to set: deletes: { policy: tag, tag: Deleted }");
      }
    }
    return;
  }
  MapReader r(node, file_, diags_, "\"deletes\"", keysOf("deletes"));
  if (!r.ok()) return;
  r.require("policy");
  if (r.has("policy")) {
    if (auto p =
            readEnum(r.get("policy"), file_, diags_, "\"policy\"", "delete-policy", policies)) {
      spec.deletes = *p;
    }
  }
  if (auto tag = r.string("tag")) spec.deleteTag = *tag;
  if (spec.deletes.value == DeletePolicy::kTag && spec.deleteTag.value.empty() && r.has("policy")) {
    diags_.error(r.pos(), "missing-key", "\"deletes\" with policy tag needs a \"tag\"");
  }
  if (spec.deletes.value != DeletePolicy::kTag && r.has("tag")) {
    diags_.error(r.keyPos("tag"), "bad-value", "\"tag\" applies only to policy tag");
  }
}

void FlowParser::errors(const YAML::Node& node, FlowSpec& spec) {
  MapReader r(node, file_, diags_, "\"errors\"", keysOf("errors"));
  if (!r.ok()) return;
  if (r.has("max_attempts")) {
    if (auto n = integer(r.get("max_attempts"), "\"max_attempts\"", 0, 1000)) {
      spec.errors.maxAttempts = static_cast<int>(*n);
    }
  }
  if (r.has("base_delay")) {
    if (auto d = duration(r.get("base_delay"), "\"base_delay\"")) spec.errors.baseDelay = *d;
  }
  if (r.has("max_delay")) {
    if (auto d = duration(r.get("max_delay"), "\"max_delay\"")) spec.errors.maxDelay = *d;
  }
  if (spec.errors.baseDelay > spec.errors.maxDelay) {
    diags_.error(r.pos(), "bad-value", "\"base_delay\" is longer than \"max_delay\"");
  }
}

std::optional<FlowSpec> FlowParser::flow(const YAML::Node& root) {
  if (!root.IsDefined()) return std::nullopt;  // syntax error already reported
  if (!root.IsMap()) {
    diags_.error(
        posOf(root, file_), "bad-value",
        "a flow file must be a mapping starting with \"flow: <name>\", not " + describeKind(root));
    return std::nullopt;
  }
  FlowSpec spec;
  spec.pos = posOf(root, file_);
  MapReader r(root, file_, diags_, "the flow", keysOf("flow"));
  if (auto name = r.requiredString("flow")) {
    spec.name = *name;
    if (!isSafeIdentifier(name->value)) {
      diags_.error(
          name->pos, "unsafe-name",
          "flow name \"" + name->value +
              "\" is not a safe identifier: use lower-case "
              "letters, digits, '-' and '_', starting with a letter, at most 63 characters");
    }
  }
  if (auto d = r.string("description")) spec.description = d->value;
  r.require("source");
  r.require("sink");
  r.require("map");
  if (r.has("source")) {
    endpoint(r.get("source"), "source", spec.sourceConnection, spec.sourceEntity, spec.sourcePos);
  }
  if (r.has("sink")) {
    endpoint(r.get("sink"), "sink", spec.sinkConnection, spec.sinkEntity, spec.sinkPos);
  }
  if (r.has("direction")) {
    if (auto m = readEnum(r.get("direction"), file_, diags_, "\"direction\"", "direction",
                          std::vector<SyncMode>{SyncMode::kOneWay, SyncMode::kTwoWay})) {
      spec.mode = *m;
    }
  }
  if (r.has("schedule")) {
    MapReader s(r.get("schedule"), file_, diags_, "\"schedule\"", keysOf("schedule"));
    if (s.ok()) {
      s.require("every");
      if (s.has("every")) {
        if (auto d = duration(s.get("every"), "\"every\"")) spec.every = {*d, s.keyPos("every")};
      }
    }
  }
  if (r.has("batch_size")) {
    if (auto n = integer(r.get("batch_size"), "\"batch_size\"", 1, 100'000)) {
      spec.batchSize = {static_cast<std::size_t>(*n), r.keyPos("batch_size")};
    }
  }
  if (r.has("match")) matchSection(r.get("match"), spec);
  if (r.has("map")) {
    mapSection(r.get("map"), spec);
    spec.mapPos = r.keyPos("map");  // map-wide findings point at the "map:" line
  }
  if (r.has("constants")) sides(r.get("constants"), "constants", spec.constants);
  if (r.has("defaults")) sides(r.get("defaults"), "defaults", spec.defaults);
  if (r.has("conflicts")) {
    const std::vector<ConflictPolicy> policies{
        ConflictPolicy::kSourceWins, ConflictPolicy::kSinkWins, ConflictPolicy::kNewestWins,
        ConflictPolicy::kManual};
    if (auto c =
            readEnum(r.get("conflicts"), file_, diags_, "\"conflicts\"", "conflicts", policies)) {
      spec.conflicts = *c;
      spec.conflictsGiven = true;
    }
  }
  if (r.has("deletes")) deletes(r.get("deletes"), spec);
  if (r.has("errors")) errors(r.get("errors"), spec);
  if (r.has("filter")) spec.filter = conditions(r.get("filter"), "\"filter\"");
  if (r.has("sink_filter")) spec.sinkFilter = conditions(r.get("sink_filter"), "\"sink_filter\"");
  return spec;
}

}  // namespace

std::optional<FlowSpec> parseFlowSpec(std::string_view text, const std::string& file,
                                      Diagnostics& diags) {
  const YAML::Node root = yamlread::load(text, file, diags);
  FlowParser parser(file, diags);
  auto spec = parser.flow(root);
  if (spec) spec->definitionText = std::string(text);
  return spec;
}

std::optional<TransformSpec> parseTransformText(std::string_view yamlText, const std::string& file,
                                                Diagnostics& diags) {
  const YAML::Node node = yamlread::load(yamlText, file, diags);
  if (!node.IsDefined()) return std::nullopt;
  FlowParser parser(file, diags);
  return parser.transform(node);
}

}  // namespace ferry::host
