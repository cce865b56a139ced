// Internal: the compiled mapping engine. The validator builds a MappingPlan (fields resolved,
// transforms compiled to Step objects); makeMapping turns it into an immutable CompiledMapping.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/host/flow/flow.hpp"
#include "transforms.hpp"

namespace ferry::host::mapping {

// A field path compiled once: the flat key (connectors usually deliver "customAttributes.Tier"
// as one key) and its segments for records that nest instead (Salesforce "Account.Name").
struct FieldPath {
  std::string key;
  std::vector<std::string> segments;
  static FieldPath of(const std::string& path);
  const sdk::Value* find(const sdk::Object& record) const noexcept;
};

struct Entry {
  FieldPath source;
  std::vector<FieldPath> concatWith;  // further source fields joined before the chain
  std::string concatSeparator;
  std::string sink;    // sink field key written
  FieldPath sinkPath;  // the same, compiled (set by the engine)
  std::vector<transforms::Compiled> chain;
  std::optional<sdk::Value> defaultValue;  // written when the result is null
  bool wrapList = false;                   // the sink field is a list and the value a scalar
  std::string label;                       // "Email -> contactInformation.email (line 12)"

  // Reverse direction.
  bool reverse = false;  // writes the source field(s) back in reverse()
  std::vector<transforms::Compiled> explicitReverse;  // `reverse:` chain; else derived
  bool hasExplicitReverse = false;
};

struct MappingPlan {
  std::vector<Entry> entries;
  std::vector<std::pair<std::string, sdk::Value>> sinkConstants;
  std::vector<std::pair<std::string, sdk::Value>> sinkDefaults;
  std::vector<std::pair<std::string, sdk::Value>> sourceConstants;
  std::vector<std::pair<std::string, sdk::Value>> sourceDefaults;
  bool invertible = false;  // every entry has a reverse path or is forward-only
};

std::shared_ptr<const CompiledMapping> makeMapping(MappingPlan plan);

}  // namespace ferry::host::mapping
