// One loaded plugin library and the connectors it makes.
//
// Ownership: a LoadedPlugin holds the library through a shared_ptr, and every connector it
// creates holds another reference, so the library is unloaded only after the registry and all
// connectors are gone; the connector object itself is always destroyed before its library.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ferry/sdk/connector.hpp"
#include "ferry/sdk/plugin.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/schema.hpp"

namespace boost::dll {
class shared_library;
}

namespace ferry::host {

class LoadedPlugin {
 public:
  LoadedPlugin(std::filesystem::path file, std::shared_ptr<boost::dll::shared_library> library,
               const sdk::PluginDescriptor* descriptor, std::vector<sdk::SettingSchema> settings,
               std::vector<sdk::EntitySchema> entities);

  const std::string& name() const noexcept { return name_; }
  const std::string& version() const noexcept { return version_; }
  const std::string& description() const noexcept { return description_; }
  const std::filesystem::path& file() const noexcept { return file_; }
  // Copies taken (under a guard) when the plugin was loaded; owned by the host.
  const std::vector<sdk::SettingSchema>& settings() const noexcept { return settings_; }
  const std::vector<sdk::EntitySchema>& entities() const noexcept { return entities_; }
  const sdk::EntitySchema* entity(std::string_view name) const noexcept;
  const sdk::PluginDescriptor& descriptor() const noexcept { return *descriptor_; }

  // Makes a connector. The context's settings should already have been through
  // validateSettings(). Exceptions thrown by the factory and by every later call into the
  // connector are caught and turned into kInternal errors naming the plugin (the SDK's guard()
  // is the first defence, this is the last). The returned connector keeps the library loaded.
  sdk::Result<std::shared_ptr<sdk::Connector>> create(const sdk::HostContext& context) const;

 private:
  std::filesystem::path file_;
  std::shared_ptr<boost::dll::shared_library> library_;
  const sdk::PluginDescriptor* descriptor_;
  std::string name_;
  std::string version_;
  std::string description_;
  std::vector<sdk::SettingSchema> settings_;
  std::vector<sdk::EntitySchema> entities_;
};

}  // namespace ferry::host
