// Internal: small helpers over yaml-cpp that keep positions and report into Diagnostics. Only the
// flow module includes yaml-cpp.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "ferry/host/flow/diagnostics.hpp"
#include "ferry/host/flow/spec.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::host::yamlread {

SourcePos posOf(const YAML::Node& node, const std::string& file);

// Loads text; on a syntax error reports it at its line and returns an undefined node.
YAML::Node load(std::string_view text, const std::string& file, Diagnostics& diags);

// Kind of a node in words, for messages: "a mapping", "a list", "a string", "empty".
std::string describeKind(const YAML::Node& node);

// A plain (unquoted) scalar is typed like YAML 1.2 core: null, true/false, integers, decimals;
// anything quoted stays a string. Lists and mappings convert recursively.
sdk::Value toValue(const YAML::Node& node);

// "250ms", "10s", "5m", "2h", "1d"; nullopt when malformed.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);

// Reads a mapping whose keys must come from a fixed list. Unknown keys are reported with a
// "did you mean" hint, duplicate keys as errors, missing required keys at the mapping itself.
class MapReader {
 public:
  MapReader(const YAML::Node& node, const std::string& file, Diagnostics& diags,
            std::string_view what, const std::vector<std::string>& allowed);

  bool ok() const noexcept { return ok_; }  // the node was a mapping
  // The value under key (undefined node when absent).
  YAML::Node get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).IsDefined(); }
  SourcePos keyPos(std::string_view key) const;
  void require(std::string_view key);

  // Typed getters; each reports a wrong kind and returns nullopt.
  std::optional<Located<std::string>> string(std::string_view key);
  std::optional<Located<std::string>> requiredString(std::string_view key);

  SourcePos pos() const { return pos_; }

 private:
  struct Entry {
    std::string key;
    YAML::Node keyNode;
    YAML::Node value;
  };
  std::vector<Entry> entries_;
  const std::string& file_;
  Diagnostics& diags_;
  std::string what_;
  SourcePos pos_;
  bool ok_ = false;
};

// A scalar string (not a list/map, not null) or a reported error.
std::optional<Located<std::string>> scalarString(const YAML::Node& node, const std::string& file,
                                                 Diagnostics& diags, std::string_view what);

}  // namespace ferry::host::yamlread
