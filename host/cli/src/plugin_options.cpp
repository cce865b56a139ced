#include "ferry/host/cli/plugin_options.hpp"

namespace ferry::host::cli {

OptionSpec pluginDirOption() {
  return OptionSpec{"--plugin-dir", "DIR",
                    "Also load plugins from DIR, before the default search path", true};
}

std::unique_ptr<PluginRegistry> loadPlugins(const Args& args) {
  auto registry = std::make_unique<PluginRegistry>();
  for (const auto& dir : args.values("--plugin-dir")) registry->loadDirectory(dir, true);
  for (const auto& dir : defaultPluginPath()) registry->loadDirectory(dir, false);
  return registry;
}

}  // namespace ferry::host::cli
