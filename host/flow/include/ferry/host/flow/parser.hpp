// Flow and connection files -> typed specs. Only shape is checked here (keys, kinds, enum words,
// transform arguments); names of connections, entities and fields are checked by the validator.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/host/flow/diagnostics.hpp"
#include "ferry/host/flow/spec.hpp"

namespace ferry::host {

// Parses a flow file. nullopt when the text is not YAML or not a mapping (reported); otherwise
// a spec with everything that could be read, the rest reported.
std::optional<FlowSpec> parseFlowSpec(std::string_view text, const std::string& file,
                                      Diagnostics& diags);

// One transform as it appears in a `transform:` list (a word, or a one-key mapping with its
// arguments given as YAML text). Exposed for the fuzz target and tests.
std::optional<TransformSpec> parseTransformText(std::string_view yamlText, const std::string& file,
                                                Diagnostics& diags);

// ---- Connection files -------------------------------------------------------------------------

struct SettingSpec {
  Located<std::string> key;
  sdk::Value literal;   // the value as written (YAML-typed), before ${ENV} substitution
  bool isText = false;  // literal is a scalar string that may hold ${ENV} references
  // `{ secret: name }`: a field of the connection's credential set in ferry's encrypted store.
  std::optional<Located<std::string>> secretName;
  SourcePos pos;  // of the value
};

struct ConnectionSpec {
  Located<std::string> name;
  Located<std::string> plugin;
  std::string description;
  std::vector<SettingSpec> settings;
  SourcePos settingsPos;
  Located<std::string> credentials;
  SourcePos pos;
};

std::optional<ConnectionSpec> parseConnectionSpec(std::string_view text, const std::string& file,
                                                  Diagnostics& diags);

// Looks up an environment variable; injectable so tests do not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup processEnvironment();

// Replaces ${NAME} and ${NAME:-fallback} in text. An unset variable without a fallback is an
// error naming it; "$${" writes a literal "${". nullopt when anything failed (reported).
std::optional<std::string> substituteEnv(std::string_view text, const EnvLookup& env,
                                         const SourcePos& pos, Diagnostics& diags);

// ---- Key tables (shared with the JSON Schema test, so schema and parser cannot drift) ---------

struct KeyTable {
  std::string context;  // "flow", "endpoint", "map-entry", "transforms", ...
  std::vector<std::string> keys;
};
const std::vector<KeyTable>& fileKeyTables();
const std::vector<std::string>& keysOf(std::string_view context);

// The words each enumerated key accepts ("direction" -> one-way, two-way).
const std::vector<KeyTable>& fileEnumTables();

bool isSafeIdentifier(std::string_view name) noexcept;

}  // namespace ferry::host
