// Validation of a connection's settings against its plugin's settings schema.
//
// All problems are reported at once: unknown keys (with a did-you-mean), missing required
// settings, wrong types, values outside an enum, malformed URLs and durations. The result holds
// the settings with defaults filled in, ready for HostContext::settings. Normalisation: a
// kDuration setting ("250ms", "30s", "5m", "1h30m", or a plain integer of seconds) reaches the
// connector as an integer number of milliseconds; an integral decimal for a kInteger setting
// becomes an integer; null counts as absent.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/sdk/plugin.hpp"
#include "ferry/sdk/schema.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::host {

struct SettingIssue {
  std::string key;      // the setting concerned
  std::string message;  // "unknown setting 'directroy' (did you mean 'directory'?)"
};

struct ValidatedSettings {
  sdk::Object settings;  // input with defaults filled in and durations normalised
  std::vector<SettingIssue> issues;
  bool ok() const noexcept { return issues.empty(); }
};

ValidatedSettings validateSettings(const std::vector<sdk::SettingSchema>& schema,
                                   const sdk::Object& settings);
// Reads the schema through the descriptor (guarded: a throwing settings() is one issue).
ValidatedSettings validateSettings(const sdk::PluginDescriptor& descriptor,
                                   const sdk::Object& settings);

// "250ms", "30s", "5m", "2h", "1d" and concatenations ("1h30m"); nullopt when malformed.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) noexcept;

// The candidate closest to `word` by edit distance (case-insensitive), when it is close enough
// to be a plausible typo; empty otherwise.
std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace ferry::host
