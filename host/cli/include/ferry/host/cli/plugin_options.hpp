// Plugin loading as every command that needs plugins does it: directories given with
// --plugin-dir (which must exist) first, then the default search path (see defaultPluginPath()).
#pragma once

#include <memory>

#include "ferry/host/cli/command.hpp"
#include "ferry/host/plugins/registry.hpp"

namespace ferry::host::cli {

// The repeatable `--plugin-dir DIR` option.
OptionSpec pluginDirOption();

// Loads plugins for `args`. Load errors are kept in the registry's errors(); nothing is printed.
std::unique_ptr<PluginRegistry> loadPlugins(const Args& args);

}  // namespace ferry::host::cli
