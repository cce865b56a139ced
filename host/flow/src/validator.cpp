// Flow and connection validation against connector schemas, and mapping compilation.
#include "ferry/host/flow/validator.hpp"

#include <algorithm>
#include <map>

#include "ferry/host/plugins/settings.hpp"
#include "mapping.hpp"
#include "transforms.hpp"

namespace ferry::host {

using transforms::TypeInfo;

// ---- Connections ------------------------------------------------------------------------------

void ConnectionSet::add(ConnectionDef connection) {
  for (auto& c : items_) {
    if (c.name == connection.name) {
      c = std::move(connection);
      return;
    }
  }
  items_.push_back(std::move(connection));
}

const ConnectionDef* ConnectionSet::find(std::string_view name) const noexcept {
  for (const auto& c : items_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> ConnectionSet::names() const {
  std::vector<std::string> out;
  for (const auto& c : items_) out.push_back(c.name);
  return out;
}

namespace {

bool isWholeEnvReference(std::string_view text, std::string& name) {
  if (text.size() < 4 || text.substr(0, 2) != "${" || text.back() != '}') return false;
  name = std::string(text.substr(2, text.size() - 3));
  if (name.empty() || name.find_first_of("}:-$") != std::string::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The value a setting has before schema checks: ${ENV} substituted in text, secrets turned into
// secret names. A secretRef given as a literal is refused (it may be the secret itself).
std::optional<sdk::Value> rawSettingValue(const SettingSpec& s, const sdk::SettingSchema& schema,
                                          const EnvLookup& env, Diagnostics& diags) {
  const std::string what = "setting \"" + s.key.value + "\"";
  if (schema.type == sdk::SettingType::kSecretRef) {
    if (s.secretName) return sdk::Value(s.secretName->value);
    std::string name;
    if (s.isText && isWholeEnvReference(s.literal.asString(), name)) {
      return sdk::Value(std::string(kEnvSecretPrefix) + name);
    }
    diags.error(s.pos, "inline-secret",
                what +
                    " is a secret: give a reference, { secret: name } (a field of the "
                    "connection's credential set) or ${ENV_VAR}, never the secret itself");
    return std::nullopt;
  }
  if (s.secretName && schema.type != sdk::SettingType::kObject) {
    diags.error(s.pos, "bad-value", what + " is not a secret; give its value");
    return std::nullopt;
  }
  if (!s.isText) return s.literal;
  auto text = substituteEnv(s.literal.asString(), env, s.pos, diags);
  if (!text) return std::nullopt;
  // A whole-value reference takes the type the text spells (${PAGE_SIZE} -> 500).
  if (schema.type == sdk::SettingType::kInteger || schema.type == sdk::SettingType::kBoolean) {
    if (auto typed = sdk::Value::fromJson(*text); typed && (typed->isNumber() || typed->isBool())) {
      return *typed;
    }
  }
  return sdk::Value(std::move(*text));
}

}  // namespace

std::optional<ConnectionDef> resolveConnection(const ConnectionSpec& spec,
                                               const SchemaProvider& provider, const EnvLookup& env,
                                               Diagnostics& diags) {
  const std::size_t errorsBefore = diags.errorCount();
  ConnectionDef def;
  def.name = spec.name.value;
  def.plugin = spec.plugin.value;
  def.credentials = spec.credentials.value;
  def.pos = spec.pos;
  const PluginSchema* plugin = provider.plugin(spec.plugin.value);
  if (plugin == nullptr) {
    if (!spec.plugin.value.empty()) {
      diags.error(spec.plugin.pos, "unknown-plugin",
                  "unknown plugin \"" + spec.plugin.value + "\"" +
                      didYouMean(spec.plugin.value, provider.pluginNames()));
    }
    return std::nullopt;
  }
  const auto positionOf = [&](const std::string& key) {
    for (const auto& s : spec.settings) {
      if (s.key.value == key) return s.pos;
    }
    return spec.settingsPos.line > 0 ? spec.settingsPos : spec.pos;
  };
  sdk::Object raw;
  std::vector<std::string> failed;  // already reported; the schema pass would call them missing
  for (const auto& s : spec.settings) {
    const auto it =
        std::find_if(plugin->settings.begin(), plugin->settings.end(),
                     [&](const sdk::SettingSchema& x) { return x.name == s.key.value; });
    if (it == plugin->settings.end()) {
      raw.set(s.key.value, s.literal);  // reported as unknown, with a suggestion, below
      continue;
    }
    if (auto v = rawSettingValue(s, *it, env, diags)) {
      raw.set(s.key.value, std::move(*v));
    } else {
      failed.push_back(s.key.value);
    }
  }
  // The plugins module owns the rules for setting values (and normalises durations to ms), so
  // a connection validates here exactly as it does when the connector is created.
  ValidatedSettings checked = validateSettings(plugin->settings, raw);
  for (const auto& issue : checked.issues) {
    if (std::find(failed.begin(), failed.end(), issue.key) != failed.end()) continue;
    const bool present = raw.contains(issue.key);
    SourcePos pos = positionOf(issue.key);
    if (present) {
      for (const auto& s : spec.settings) {
        if (s.key.value == issue.key && issue.message.rfind("unknown setting", 0) == 0)
          pos = s.key.pos;
      }
    }
    diags.error(pos, present ? "bad-setting" : "missing-setting",
                "plugin \"" + plugin->name + "\": " + issue.message);
  }
  if (diags.errorCount() != errorsBefore) return std::nullopt;
  def.settings = std::move(checked.settings);
  return def;
}

std::optional<ConnectionDef> loadConnection(std::string_view text, const std::string& file,
                                            const SchemaProvider& provider, const EnvLookup& env,
                                            Diagnostics& diags) {
  const std::size_t errorsBefore = diags.errorCount();
  auto spec = parseConnectionSpec(text, file, diags);
  if (!spec) return std::nullopt;
  auto def = resolveConnection(*spec, provider, env, diags);
  if (diags.errorCount() != errorsBefore) return std::nullopt;
  return def;
}

// ---- Flows ------------------------------------------------------------------------------------

namespace {

struct FieldRef {
  TypeInfo type;
  const sdk::FieldSchema* schema = nullptr;  // null for undeclared members of an object field
};

struct Side {
  const ConnectionDef* connection = nullptr;
  const sdk::EntitySchema* entity = nullptr;
  std::string label;  // "salesforce Contact"
  bool ok() const { return entity != nullptr; }
};

std::string lineNote(const SourcePos& pos) {
  return pos.line > 0 ? " (line " + std::to_string(pos.line) + ")" : std::string();
}

class FlowCompiler {
 public:
  FlowCompiler(const FlowSpec& spec, const ConnectionSet& connections,
               const SchemaProvider& provider, Diagnostics& diags)
      : spec_(spec), connections_(connections), provider_(provider), diags_(diags) {}

  std::optional<FlowDef> run();

 private:
  Side resolveSide(const Located<std::string>& connection, const Located<std::string>& entity,
                   std::string_view role);
  std::optional<FieldRef> field(const Side& side, const Located<std::string>& path);
  void compileEntries(mapping::MappingPlan& plan);
  void checkSideValues(
      const Side& side, std::string_view section,
      const std::vector<std::pair<Located<std::string>, Located<sdk::Value>>>& values,
      std::vector<std::pair<std::string, sdk::Value>>& out, bool constants);
  void checkRequired(const Side& side, const std::vector<std::string>& covered,
                     std::string_view how);
  std::vector<sdk::Condition> conditions(const Side& side, const std::vector<ConditionSpec>& specs);
  std::vector<MatchKey> matchKeys();
  bool writable(const FieldRef& f) const {
    return f.schema == nullptr || f.schema->createable || f.schema->updateable;
  }

  const FlowSpec& spec_;
  const ConnectionSet& connections_;
  const SchemaProvider& provider_;
  Diagnostics& diags_;
  Side source_, sink_;
  bool twoWay_ = false;
  // Sink targets written by map entries, with the entry's position (for duplicate checks).
  std::map<std::string, SourcePos> targets_;
  std::vector<std::string> reverseWritten_;  // source fields written back in reverse
};

Side FlowCompiler::resolveSide(const Located<std::string>& connection,
                               const Located<std::string>& entity, std::string_view role) {
  Side side;
  if (connection.value.empty()) return side;  // missing key already reported
  side.connection = connections_.find(connection.value);
  if (side.connection == nullptr) {
    diags_.error(connection.pos, "unknown-connection",
                 "unknown connection \"" + connection.value + "\"" +
                     didYouMean(connection.value, connections_.names()) +
                     " (connections are defined in connections/*.yaml)");
    return side;
  }
  const auto* entities = provider_.entities(*side.connection);
  if (entities == nullptr) {
    diags_.error(connection.pos, "unknown-plugin",
                 "connection \"" + connection.value + "\" uses plugin \"" +
                     side.connection->plugin + "\", which is not loaded" +
                     didYouMean(side.connection->plugin, provider_.pluginNames()));
    return side;
  }
  if (entity.value.empty()) return side;
  std::vector<std::string> names;
  for (const auto& e : *entities) {
    names.push_back(e.name);
    if (e.name == entity.value) side.entity = &e;
  }
  if (side.entity == nullptr) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    diags_.error(entity.pos, "unknown-entity",
                 "connection \"" + connection.value + "\" (" + side.connection->plugin +
                     ") has no entity \"" + entity.value + "\"" + didYouMean(entity.value, names) +
                     "; it offers: " + list);
    return side;
  }
  side.label = connection.value + " " + entity.value;
  if (role == "source" && !side.entity->readable) {
    diags_.error(entity.pos, "bad-entity",
                 side.label + " cannot be read, so it cannot be a source");
  }
  if (role == "sink" && !side.entity->writable) {
    diags_.error(entity.pos, "bad-entity",
                 side.label + " cannot be written, so it cannot be a sink");
  }
  return side;
}

std::optional<FieldRef> FlowCompiler::field(const Side& side, const Located<std::string>& path) {
  if (!side.ok()) return std::nullopt;
  if (const sdk::FieldSchema* f = side.entity->field(path.value))
    return FieldRef{TypeInfo::of(*f), f};
  // A member of an object field ("customAttributes.Tier"): when the entity lists that object's
  // members (a live describe), the member must be one of them; otherwise any name is accepted.
  std::string prefix = path.value;
  for (auto dot = prefix.rfind('.'); dot != std::string::npos; dot = prefix.rfind('.')) {
    prefix.resize(dot);
    const sdk::FieldSchema* parent = side.entity->field(prefix);
    if (parent == nullptr || parent->type != sdk::FieldType::kObject) continue;
    std::vector<std::string> members;
    for (const auto& f : side.entity->fields) {
      if (f.name.size() > prefix.size() &&
          f.name.compare(0, prefix.size() + 1, prefix + ".") == 0) {
        members.push_back(f.name);
      }
    }
    if (members.empty()) return FieldRef{TypeInfo::anyType(), nullptr};
    diags_.error(path.pos, "unknown-field",
                 "\"" + path.value + "\" is not defined in " + side.label +
                     didYouMean(path.value, members) + " (define it in the remote system first)");
    return std::nullopt;
  }
  std::vector<std::string> names;
  for (const auto& f : side.entity->fields) names.push_back(f.name);
  diags_.error(
      path.pos, "unknown-field",
      "unknown field \"" + path.value + "\" in " + side.label + didYouMean(path.value, names));
  return std::nullopt;
}

void FlowCompiler::compileEntries(mapping::MappingPlan& plan) {
  bool invertible = true;
  for (const MapEntrySpec& spec : spec_.map) {
    const std::size_t errorsBefore = diags_.errorCount();
    const auto src = field(source_, spec.source);
    const auto dst = field(sink_, spec.target);
    mapping::Entry entry;
    entry.source = mapping::FieldPath::of(spec.source.value);
    entry.sink = spec.target.value;
    entry.label = spec.source.value + " -> " + spec.target.value + lineNote(spec.source.pos);

    if (dst) {
      const auto [it, inserted] = targets_.emplace(spec.target.value, spec.target.pos);
      if (!inserted) {
        diags_.error(spec.target.pos, "duplicate-target",
                     "\"" + spec.target.value + "\" is already the target of another map entry" +
                         lineNote(it->second));
      }
      if (!writable(*dst)) {
        diags_.error(spec.target.pos, "read-only",
                     "\"" + spec.target.value + "\" is read-only in " + sink_.label);
      }
    }
    if (!src) continue;  // nothing more to check without the input type

    TypeInfo type = src->type;
    bool derivable = true;
    std::string lossReason;
    bool concat = false;
    for (std::size_t i = 0; i < spec.transforms.size(); ++i) {
      const TransformSpec& t = spec.transforms[i];
      if (t.kind == TransformSpec::Kind::kConcat) {
        if (i != 0) {
          diags_.error(t.pos, "bad-transform", "\"concat\" must be the first transform of a chain");
          continue;
        }
        concat = true;
        entry.concatSeparator = t.text;
        for (const auto& w : t.fields) {
          if (auto f = field(source_, w)) {
            const bool textual = f->type.any || transforms::isTextual(f->type.type);
            if (!textual) {
              diags_.error(w.pos, "transform-type",
                           "transform \"concat\" does not apply to " + w.value + " (" +
                               f->type.describe() + "); it takes text");
            }
          }
          entry.concatWith.push_back(mapping::FieldPath::of(w.value));
        }
      }
      auto compiled = transforms::compile(t, type, spec.source.value, diags_);
      if (!compiled) {
        derivable = false;
        type = TypeInfo::anyType();
        continue;
      }
      if (compiled->invertibility == transforms::Invertibility::kLossy && derivable) {
        derivable = false;
        lossReason = "transform \"" + compiled->name + "\"" + lineNote(compiled->pos) + ": " +
                     compiled->lossReason;
      }
      type = compiled->output;
      entry.chain.push_back(std::move(*compiled));
    }
    if (spec.defaultValue && dst && !transforms::literalFits(spec.defaultValue->value, dst->type)) {
      diags_.error(spec.defaultValue->pos, "type-mismatch",
                   "default " + spec.defaultValue->value.preview() + " does not fit \"" +
                       spec.target.value + "\" (" + dst->type.describe() + ")");
    }
    if (spec.defaultValue) entry.defaultValue = spec.defaultValue->value;
    if (dst) {
      if (!transforms::assignable(type, dst->type)) {
        diags_.error(spec.pos, "type-mismatch",
                     "type mismatch: " + spec.source.value + " is " + type.describe() +
                         (spec.transforms.empty() ? "" : " after its transforms") + " but \"" +
                         spec.target.value + "\" in " + sink_.label + " is " +
                         dst->type.describe());
      }
      entry.wrapList = !dst->type.any && dst->type.type == sdk::FieldType::kList &&
                       (type.any || type.type != sdk::FieldType::kList);
    }

    // Reverse direction.
    const bool sourceWritable =
        writable(*src) && std::all_of(entry.concatWith.begin(), entry.concatWith.end(),
                                      [&](const mapping::FieldPath& w) {
                                        const sdk::FieldSchema* f =
                                            source_.ok() ? source_.entity->field(w.key) : nullptr;
                                        return f == nullptr || f->createable || f->updateable;
                                      });
    if (spec.reverse) {
      TypeInfo back = dst ? dst->type : TypeInfo::anyType();
      if (entry.wrapList) back = TypeInfo{back.item, sdk::FieldType::kString, false};
      for (const auto& t : *spec.reverse) {
        if (t.kind == TransformSpec::Kind::kConcat) {
          diags_.error(t.pos, "bad-transform", "\"concat\" cannot be used in a reverse chain");
          continue;
        }
        auto compiled = transforms::compile(t, back, spec.target.value, diags_);
        if (!compiled) {
          back = TypeInfo::anyType();
          continue;
        }
        back = compiled->output;
        entry.explicitReverse.push_back(std::move(*compiled));
      }
      if (!transforms::assignable(back, src->type)) {
        diags_.error(spec.reversePos, "type-mismatch",
                     "type mismatch in reverse: \"" + spec.target.value + "\" becomes " +
                         back.describe() + " but " + spec.source.value + " in " + source_.label +
                         " is " + src->type.describe());
      }
      entry.hasExplicitReverse = true;
    }
    const bool canReverse = !spec.reverseDisabled && (spec.reverse || derivable);
    if (twoWay_ && !spec.reverseDisabled) {
      if (!canReverse) {
        diags_.error(spec.pos, "not-invertible",
                     "two-way map entry " + spec.source.value + " -> " + spec.target.value +
                         " cannot be inverted: " + lossReason +
                         "; give an explicit \"reverse:\" chain or \"reverse: false\"");
      } else if (!sourceWritable) {
        diags_.error(spec.pos, "read-only",
                     spec.source.value + " is read-only in " + source_.label +
                         ", so a two-way flow cannot write it back; add \"reverse: false\"");
      } else if (concat && !spec.reverse) {
        diags_.warning(spec.pos, "lossy-inverse",
                       "the reverse of concat splits \"" + spec.target.value +
                           "\" at the first \"" + entry.concatSeparator + "\"; values of " +
                           spec.source.value + " containing it will not round-trip");
      }
    }
    if (!canReverse && !spec.reverseDisabled) invertible = false;
    entry.reverse = canReverse && sourceWritable;
    if (entry.reverse && twoWay_) {
      for (const std::string& f : [&] {
             std::vector<std::string> fs{spec.source.value};
             for (const auto& w : entry.concatWith) fs.push_back(w.key);
             return fs;
           }()) {
        if (std::find(reverseWritten_.begin(), reverseWritten_.end(), f) != reverseWritten_.end()) {
          diags_.error(spec.pos, "duplicate-target",
                       f + " would be written back by two map entries in a two-way flow; mark "
                           "one of them \"reverse: false\"");
        }
        reverseWritten_.push_back(f);
      }
    } else if (entry.reverse) {
      reverseWritten_.push_back(spec.source.value);
      for (const auto& w : entry.concatWith) reverseWritten_.push_back(w.key);
    }
    if (diags_.errorCount() == errorsBefore) plan.entries.push_back(std::move(entry));
  }
  plan.invertible = invertible;
}

void FlowCompiler::checkSideValues(
    const Side& side, std::string_view section,
    const std::vector<std::pair<Located<std::string>, Located<sdk::Value>>>& values,
    std::vector<std::pair<std::string, sdk::Value>>& out, bool constants) {
  std::vector<std::string> seen;
  for (const auto& [name, value] : values) {
    const auto f = field(side, name);
    if (!f) continue;
    if (std::find(seen.begin(), seen.end(), name.value) != seen.end()) {
      diags_.error(name.pos, "duplicate-key",
                   "\"" + name.value + "\" is given twice in " + std::string(section));
      continue;
    }
    seen.push_back(name.value);
    if (!writable(*f)) {
      diags_.error(name.pos, "read-only", "\"" + name.value + "\" is read-only in " + side.label);
    }
    if (!transforms::literalFits(value.value, f->type)) {
      diags_.error(value.pos, "type-mismatch",
                   std::string(section) + " value " + value.value.preview() + " does not fit \"" +
                       name.value + "\" (" + f->type.describe() + ")");
    }
    if (!f->type.any && !f->schema->picklistValues.empty() && value.value.isString()) {
      const auto& allowed = f->schema->picklistValues;
      if (std::find(allowed.begin(), allowed.end(), value.value.asString()) == allowed.end()) {
        diags_.error(value.pos, "bad-value",
                     value.value.preview() + " is not an allowed value of \"" + name.value + "\"" +
                         didYouMean(value.value.asString(), allowed));
      }
    }
    if (constants && &side == &sink_) {
      const auto it = targets_.find(name.value);
      if (it != targets_.end()) {
        diags_.error(name.pos, "duplicate-target",
                     "\"" + name.value + "\" is both mapped" + lineNote(it->second) +
                         " and set in constants");
      }
    }
    if (constants && &side == &source_ &&
        std::find(reverseWritten_.begin(), reverseWritten_.end(), name.value) !=
            reverseWritten_.end() &&
        twoWay_) {
      diags_.error(name.pos, "duplicate-target",
                   "\"" + name.value + "\" is both written back by the map and set in constants");
    }
    // Keep the declared representation for dates given as text.
    sdk::Value v = value.value;
    if (!f->type.any && v.isString()) {
      if (f->type.type == sdk::FieldType::kDate) {
        if (auto d = sdk::Date::parseIso(v.asString())) v = *d;
      } else if (f->type.type == sdk::FieldType::kDateTime) {
        if (auto t = sdk::DateTime::parseIso(v.asString())) v = *t;
      }
    }
    if (!f->type.any && f->type.type == sdk::FieldType::kList && !v.isNull() && !v.isList()) {
      v = sdk::List{std::move(v)};
    }
    out.emplace_back(name.value, std::move(v));
  }
}

void FlowCompiler::checkRequired(const Side& side, const std::vector<std::string>& covered,
                                 std::string_view how) {
  if (!side.ok()) return;
  for (const auto& f : side.entity->fields) {
    if (!f.requiredOnCreate || !f.createable) continue;
    if (std::find(covered.begin(), covered.end(), f.name) != covered.end()) continue;
    diags_.error(spec_.mapPos.line > 0 ? spec_.mapPos : spec_.pos, "required-not-covered",
                 side.label + " requires \"" + f.name + "\" on create, but " + std::string(how));
  }
}

std::optional<sdk::Value> convertLiteral(const sdk::Value& v, const FieldRef& f) {
  if (v.isNull() || f.type.any) return v;
  const sdk::FieldType t = f.type.type;
  if (transforms::isTextual(t)) return v.isString() ? std::optional(v) : std::nullopt;
  switch (t) {
    case sdk::FieldType::kBoolean:
      return v.isBool() ? std::optional(v) : std::nullopt;
    case sdk::FieldType::kInteger:
      return v.isInteger() ? std::optional(v) : std::nullopt;
    case sdk::FieldType::kNumber:
      return v.isNumber() ? std::optional(v) : std::nullopt;
    case sdk::FieldType::kDate:
      if (v.isString()) {
        if (auto d = sdk::Date::parseIso(v.asString())) return sdk::Value(*d);
      }
      return std::nullopt;
    case sdk::FieldType::kDateTime:
      if (v.isString()) {
        if (auto d = sdk::DateTime::parseIso(v.asString())) return sdk::Value(*d);
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::vector<sdk::Condition> FlowCompiler::conditions(const Side& side,
                                                     const std::vector<ConditionSpec>& specs) {
  std::vector<sdk::Condition> out;
  for (const ConditionSpec& c : specs) {
    const auto f = field(side, c.field);
    if (!f) continue;
    if (!f->type.any &&
        (f->type.type == sdk::FieldType::kList || f->type.type == sdk::FieldType::kObject)) {
      diags_.error(c.field.pos, "type-mismatch",
                   "cannot filter on \"" + c.field.value + "\" (" + f->type.describe() + ")");
      continue;
    }
    sdk::Condition condition{c.field.value, c.op, {}};
    bool ok = true;
    for (const auto& v : c.values) {
      auto converted = convertLiteral(v.value, *f);
      if (!converted) {
        diags_.error(v.pos, "type-mismatch",
                     "filter value " + v.value.preview() + " does not fit \"" + c.field.value +
                         "\" (" + f->type.describe() + ")" +
                         (transforms::isTextual(f->type.type) ? "; quote it" : ""));
        ok = false;
        continue;
      }
      if (f->schema != nullptr && !f->schema->picklistValues.empty() && converted->isString()) {
        const auto& allowed = f->schema->picklistValues;
        if (std::find(allowed.begin(), allowed.end(), converted->asString()) == allowed.end()) {
          diags_.error(v.pos, "bad-value",
                       converted->preview() + " is not a value of \"" + c.field.value + "\" in " +
                           side.label + didYouMean(converted->asString(), allowed));
          ok = false;
          continue;
        }
      }
      condition.values.push_back(std::move(*converted));
    }
    if (ok) out.push_back(std::move(condition));
  }
  return out;
}

std::vector<MatchKey> FlowCompiler::matchKeys() {
  std::vector<MatchKey> out;
  const auto identities = [](const Side& side) {
    std::string list;
    for (const auto& f : side.entity->fields) {
      if (f.identity) list += (list.empty() ? "" : ", ") + f.name;
    }
    return list.empty() ? std::string("none") : list;
  };
  for (const MatchSpec& m : spec_.match) {
    MatchKey key;
    key.sourceField = m.source.value;
    const auto src = field(source_, m.source);
    if (src && (src->schema == nullptr || !src->schema->identity)) {
      diags_.error(m.source.pos, "match-not-identity",
                   "match key \"" + m.source.value + "\" is not an identity field of " +
                       source_.label + " (identity fields: " + identities(source_) + ")");
    }
    Located<std::string> sinkField;
    if (m.sink) {
      sinkField = *m.sink;
    } else {
      for (const auto& e : spec_.map) {
        if (e.source.value == m.source.value) {
          sinkField = {e.target.value, m.source.pos};
          break;
        }
      }
      if (sinkField.value.empty()) {
        diags_.error(m.source.pos, "match-unmapped",
                     "match key \"" + m.source.value + "\" is not mapped; give { source: " +
                         m.source.value + ", sink: <field> }");
        continue;
      }
    }
    key.sinkField = sinkField.value;
    const auto dst = field(sink_, sinkField);
    if (dst && (dst->schema == nullptr || !dst->schema->identity)) {
      diags_.error(sinkField.pos, "match-not-identity",
                   "match key \"" + sinkField.value + "\" is not an identity field of " +
                       sink_.label + " (identity fields: " + identities(sink_) + ")");
    }
    out.push_back(std::move(key));
  }
  return out;
}

std::optional<FlowDef> FlowCompiler::run() {
  const std::size_t errorsBefore = diags_.errorCount();
  twoWay_ = spec_.mode.value == SyncMode::kTwoWay;
  source_ = resolveSide(spec_.sourceConnection, spec_.sourceEntity, "source");
  sink_ = resolveSide(spec_.sinkConnection, spec_.sinkEntity, "sink");
  if (twoWay_) {
    if (sink_.ok() && !sink_.entity->readable) {
      diags_.error(spec_.mode.pos, "bad-entity",
                   "a two-way flow reads " + sink_.label + ", which cannot be read");
    }
    if (source_.ok() && !source_.entity->writable) {
      diags_.error(spec_.mode.pos, "bad-entity",
                   "a two-way flow writes " + source_.label + ", which cannot be written");
    }
  }
  if (source_.ok() && sink_.ok() && source_.connection == sink_.connection &&
      source_.entity == sink_.entity) {
    diags_.error(spec_.sinkPos, "bad-entity", "source and sink are the same entity");
  }

  mapping::MappingPlan plan;
  compileEntries(plan);
  checkSideValues(sink_, "constants", spec_.constants.sink, plan.sinkConstants, true);
  checkSideValues(source_, "constants", spec_.constants.source, plan.sourceConstants, true);
  checkSideValues(sink_, "defaults", spec_.defaults.sink, plan.sinkDefaults, false);
  checkSideValues(source_, "defaults", spec_.defaults.source, plan.sourceDefaults, false);
  if (!twoWay_ && (!spec_.constants.source.empty() || !spec_.defaults.source.empty())) {
    diags_.warning(spec_.pos, "unused", "source constants/defaults only apply to two-way flows");
  }

  std::vector<std::string> sinkCovered;
  for (const auto& [target, pos] : targets_) sinkCovered.push_back(target);
  for (const auto& [k, v] : plan.sinkConstants) sinkCovered.push_back(k);
  for (const auto& [k, v] : plan.sinkDefaults) sinkCovered.push_back(k);
  checkRequired(sink_, sinkCovered, "it is neither mapped nor set in constants or defaults");
  if (twoWay_) {
    std::vector<std::string> sourceCovered = reverseWritten_;
    for (const auto& [k, v] : plan.sourceConstants) sourceCovered.push_back(k);
    for (const auto& [k, v] : plan.sourceDefaults) sourceCovered.push_back(k);
    checkRequired(source_, sourceCovered,
                  "this two-way flow neither maps it back nor sets it in source constants or "
                  "defaults");
  }

  FlowDef def;
  def.match = matchKeys();
  def.filter = conditions(source_, spec_.filter);
  if (!spec_.sinkFilter.empty() && !twoWay_) {
    diags_.error(spec_.sinkFilter.front().field.pos, "bad-value",
                 "\"sink_filter\" applies only to two-way flows");
  }
  def.sinkFilter = conditions(sink_, spec_.sinkFilter);
  if (!twoWay_ && spec_.conflictsGiven) {
    diags_.warning(spec_.conflicts.pos, "unused", "\"conflicts\" has no effect in a one-way flow");
  }
  if (spec_.deletes.value == DeletePolicy::kPropagate && sink_.ok() &&
      !sink_.entity->supportsDelete) {
    diags_.error(
        spec_.deletes.pos, "bad-value",
        "\"deletes: propagate\" needs deletes, which " + sink_.label + " does not support");
  }
  if (diags_.errorCount() != errorsBefore) return std::nullopt;

  def.name = spec_.name.value;
  def.description = spec_.description;
  def.source = {spec_.sourceConnection.value, spec_.sourceEntity.value, spec_.sourcePos};
  def.sink = {spec_.sinkConnection.value, spec_.sinkEntity.value, spec_.sinkPos};
  def.mode = spec_.mode.value;
  def.every = spec_.every.value;
  def.batchSize = spec_.batchSize.value;
  def.conflicts = spec_.conflicts.value;
  def.deletes = spec_.deletes.value;
  def.deleteTag = spec_.deleteTag.value;
  def.errors = spec_.errors;
  def.mapping = mapping::makeMapping(std::move(plan));
  def.definitionText = spec_.definitionText;
  def.pos = spec_.pos;
  return def;
}

}  // namespace

std::optional<FlowDef> compileFlow(const FlowSpec& spec, const ConnectionSet& connections,
                                   const SchemaProvider& provider, Diagnostics& diags) {
  return FlowCompiler(spec, connections, provider, diags).run();
}

std::optional<FlowDef> loadFlow(std::string_view text, const std::string& file,
                                const ConnectionSet& connections, const SchemaProvider& provider,
                                Diagnostics& diags) {
  const std::size_t errorsBefore = diags.errorCount();
  auto spec = parseFlowSpec(text, file, diags);
  if (!spec) return std::nullopt;
  auto def = compileFlow(*spec, connections, provider, diags);
  if (diags.errorCount() != errorsBefore) return std::nullopt;
  return def;
}

}  // namespace ferry::host
