#include "ferry/host/plugins/registry.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <system_error>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "ferry/sdk/version.hpp"

namespace ferry::host {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxNameLength = 64;

bool validPluginName(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// Boost.DLL reports dlopen failures as "...load() failed (dlerror system message: <path>:
// <reason>): <errno text>"; the <reason> part is what a person needs.
std::string dlopenReason(const std::string& what, const fs::path& file) {
  static constexpr std::string_view kMarker = "dlerror system message: ";
  const auto start = what.find(kMarker);
  const auto end = what.rfind(')');
  if (start == std::string::npos || end == std::string::npos || end < start) return what;
  std::string reason = what.substr(start + kMarker.size(), end - start - kMarker.size());
  const std::string prefix = file.string() + ": ";
  if (reason.rfind(prefix, 0) == 0) reason.erase(0, prefix.size());
  return reason;
}

std::string exceptionText() {
  try {
    throw;
  } catch (const std::exception& e) {
    return std::string("threw: ") + e.what();
  } catch (...) {
    return "threw a non-standard exception";
  }
}

}  // namespace

std::string PluginLoadError::describe() const { return file.string() + ": " + reason; }

std::vector<fs::path> defaultPluginPath() {
  std::vector<fs::path> path;
  if (const char* env = std::getenv("FERRY_PLUGIN_PATH"); env != nullptr) {
    std::string_view rest(env);
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      const std::string_view entry = rest.substr(0, colon);
      if (!entry.empty()) path.emplace_back(entry);
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  boost::system::error_code ec;
  const auto exe = boost::dll::program_location(ec);
  if (!ec)
    path.push_back((fs::path(exe.string()).parent_path() / ".." / "plugins").lexically_normal());
  path.emplace_back("/usr/lib/ferry/plugins");
  return path;
}

std::vector<PluginLoadError> PluginRegistry::loadDirectory(const fs::path& dir, bool mustExist) {
  std::vector<PluginLoadError> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (mustExist) {
      found.push_back(
          {dir, fs::exists(dir, ec) ? "not a directory" : "plugin directory does not exist"});
    }
  } else {
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().extension() == ".so" && !it->is_directory(ec)) files.push_back(it->path());
    }
    if (ec) found.push_back({dir, "cannot list plugin directory: " + ec.message()});
    std::sort(files.begin(), files.end());  // deterministic: the first of two same names wins
    for (const auto& file : files) {
      if (auto error = loadOne(file)) found.push_back(std::move(*error));
    }
  }
  errors_.insert(errors_.end(), found.begin(), found.end());
  return found;
}

std::optional<PluginLoadError> PluginRegistry::loadFile(const fs::path& file) {
  auto error = loadOne(file);
  if (error) errors_.push_back(*error);
  return error;
}

std::optional<PluginLoadError> PluginRegistry::loadOne(const fs::path& file) {
  auto fail = [&](std::string reason) { return PluginLoadError{file, std::move(reason)}; };

  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(file, ec);
  const fs::path& key = ec ? file : canonical;
  if (std::find(loadedFiles_.begin(), loadedFiles_.end(), key) != loadedFiles_.end()) {
    return std::nullopt;
  }
  if (!fs::is_regular_file(file, ec)) return fail("not a regular file");

  // Declared before anything that may hold plugin-owned objects (exceptions, descriptor data),
  // so the library is released last on every early return.
  auto library = std::make_shared<boost::dll::shared_library>();
  try {
    // RTLD_NOW: unresolved symbols fail here, with a message, not at first use.
    library->load(boost::dll::fs::path(file.string()),
                  boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return fail("not a loadable shared library: " + dlopenReason(e.what(), file));
  }
  if (!library->has(sdk::kPluginSymbol)) {
    return fail(std::string("no '") + sdk::kPluginSymbol +
                "' symbol (not a ferry plugin, or built without FERRY_PLUGIN)");
  }

  const sdk::PluginDescriptor* descriptor = nullptr;
  try {
    auto& describeFn = library->get_alias<sdk::DescriptorFn>(sdk::kPluginSymbol);
    descriptor = describeFn();
  } catch (...) {
    return fail("descriptor function " + exceptionText());
  }
  if (descriptor == nullptr) return fail("descriptor function returned null");

  // The ABI version is the only field read before it is known to match: with another ABI even
  // the size of the descriptor may differ.
  if (descriptor->abiVersion != sdk::kAbiVersion) {
    return fail("SDK ABI version " + std::to_string(descriptor->abiVersion) + ", this host needs " +
                std::to_string(sdk::kAbiVersion) + " (rebuild the plugin against SDK " +
                sdk::kSdkVersion + ")");
  }
  if (descriptor->descriptorSize != sizeof(sdk::PluginDescriptor)) {
    return fail("descriptor size " + std::to_string(descriptor->descriptorSize) +
                ", this host expects " + std::to_string(sizeof(sdk::PluginDescriptor)) +
                " (plugin built against a different SDK)");
  }
  for (const auto& [field, present] : {std::pair{"name", descriptor->name != nullptr},
                                       std::pair{"version", descriptor->version != nullptr},
                                       std::pair{"description", descriptor->description != nullptr},
                                       std::pair{"settings", descriptor->settings != nullptr},
                                       std::pair{"entities", descriptor->entities != nullptr},
                                       std::pair{"create", descriptor->create != nullptr}}) {
    if (!present) return fail(std::string("descriptor field '") + field + "' is null");
  }
  const std::string name = descriptor->name;
  if (!validPluginName(name)) {
    return fail("invalid plugin name '" + name + "' (use 1-64 of [a-z0-9_-])");
  }
  if (const auto* existing = find(name)) {
    return fail("duplicate plugin name '" + name + "': already loaded from " +
                existing->file().string());
  }

  std::vector<sdk::SettingSchema> settings;
  std::vector<sdk::EntitySchema> entities;
  try {
    settings = descriptor->settings();
  } catch (...) {
    return fail("plugin '" + name + "': settings() " + exceptionText());
  }
  try {
    entities = descriptor->entities();
  } catch (...) {
    return fail("plugin '" + name + "': entities() " + exceptionText());
  }
  std::set<std::string, std::less<>> seen;
  for (const auto& s : settings) {
    if (s.name.empty() || !seen.insert(s.name).second) {
      return fail("plugin '" + name + "': empty or duplicate setting name '" + s.name + "'");
    }
  }
  seen.clear();
  for (const auto& e : entities) {
    if (e.name.empty() || !seen.insert(e.name).second) {
      return fail("plugin '" + name + "': empty or duplicate entity name '" + e.name + "'");
    }
  }

  loadedFiles_.push_back(key);
  plugins_.emplace(name, std::make_unique<LoadedPlugin>(file, std::move(library), descriptor,
                                                        std::move(settings), std::move(entities)));
  return std::nullopt;
}

const LoadedPlugin* PluginRegistry::find(std::string_view name) const noexcept {
  auto it = plugins_.find(name);
  return it == plugins_.end() ? nullptr : it->second.get();
}

std::vector<const LoadedPlugin*> PluginRegistry::list() const {
  std::vector<const LoadedPlugin*> out;
  out.reserve(plugins_.size());
  for (const auto& [name, plugin] : plugins_) out.push_back(plugin.get());
  return out;
}

std::vector<const sdk::PluginDescriptor*> PluginRegistry::descriptors() const {
  std::vector<const sdk::PluginDescriptor*> out;
  out.reserve(plugins_.size());
  for (const auto& [name, plugin] : plugins_) out.push_back(&plugin->descriptor());
  return out;
}

}  // namespace ferry::host
