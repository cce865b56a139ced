// Finds and loads connector plugins, and keeps the ones that loaded.
//
// Every *.so in the configured directories is loaded with Boost.DLL. The loader reads the
// descriptor's abiVersion before anything else, and turns every failure (not a shared library,
// missing ferry_plugin_descriptor symbol, wrong ABI, bad descriptor size or fields, descriptor
// or schema functions that throw, duplicate plugin name) into one PluginLoadError naming the
// file and the cause; the other plugins keep loading. Nothing here logs: callers decide.
//
// Threading: load*() must not run concurrently with anything else on the registry; once loading
// is done, the const accessors and LoadedPlugin::create() may be called from any thread.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/host/plugins/plugin.hpp"

namespace ferry::host {

struct PluginLoadError {
  std::filesystem::path file;
  std::string reason;
  // "<file>: <reason>", one line.
  std::string describe() const;
};

// The default plugin search path, in precedence order: every entry of $FERRY_PLUGIN_PATH
// (colon-separated), then <directory of the running executable>/../plugins, then
// /usr/lib/ferry/plugins.
std::vector<std::filesystem::path> defaultPluginPath();

class PluginRegistry {
 public:
  PluginRegistry() = default;
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // Loads every *.so directly inside `dir`, in name order. A missing directory is an error
  // only when mustExist (explicitly configured directories must exist; default ones need not).
  // Returns the errors of this call (also kept in errors()).
  std::vector<PluginLoadError> loadDirectory(const std::filesystem::path& dir, bool mustExist);
  // Loads one file. A file already loaded (same canonical path) is skipped silently, so a
  // directory reachable twice on the search path is harmless. A different file declaring a name
  // already loaded is an error naming both files; the first one stays.
  std::optional<PluginLoadError> loadFile(const std::filesystem::path& file);

  const LoadedPlugin* find(std::string_view name) const noexcept;
  // Loaded plugins sorted by name.
  std::vector<const LoadedPlugin*> list() const;
  std::vector<const sdk::PluginDescriptor*> descriptors() const;
  const std::vector<PluginLoadError>& errors() const noexcept { return errors_; }

 private:
  std::optional<PluginLoadError> loadOne(const std::filesystem::path& file);

  std::map<std::string, std::unique_ptr<LoadedPlugin>, std::less<>> plugins_;
  std::vector<std::filesystem::path> loadedFiles_;  // canonical paths
  std::vector<PluginLoadError> errors_;
};

}  // namespace ferry::host
