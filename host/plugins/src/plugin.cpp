#include "ferry/host/plugins/plugin.hpp"

#include "guarded_connector.hpp"

namespace ferry::host {

LoadedPlugin::LoadedPlugin(std::filesystem::path file,
                           std::shared_ptr<boost::dll::shared_library> library,
                           const sdk::PluginDescriptor* descriptor,
                           std::vector<sdk::SettingSchema> settings,
                           std::vector<sdk::EntitySchema> entities)
    : file_(std::move(file)),
      library_(std::move(library)),
      descriptor_(descriptor),
      name_(descriptor->name),
      version_(descriptor->version),
      description_(descriptor->description),
      settings_(std::move(settings)),
      entities_(std::move(entities)) {}

const sdk::EntitySchema* LoadedPlugin::entity(std::string_view entityName) const noexcept {
  for (const auto& e : entities_) {
    if (e.name == entityName) return &e;
  }
  return nullptr;
}

sdk::Result<std::shared_ptr<sdk::Connector>> LoadedPlugin::create(
    const sdk::HostContext& context) const {
  // Errors name the plugin and its file: a connection's status then says where to look.
  const std::string who = "plugin '" + name_ + "' (" + file_.filename().string() + "): ";
  std::unique_ptr<sdk::Connector> connector;
  try {
    auto made = descriptor_->create(context);
    if (!made.ok()) {
      sdk::Error error = made.takeError();
      error.message = who + error.message;
      return error;
    }
    connector = std::move(made.value());
  } catch (const std::exception& e) {
    return sdk::Error::make(sdk::ErrorCode::kInternal, who + "factory threw: " + e.what());
  } catch (...) {
    return sdk::Error::make(sdk::ErrorCode::kInternal,
                            who + "factory threw a non-standard exception");
  }
  if (!connector) {
    return sdk::Error::make(sdk::ErrorCode::kInternal,
                            who + "factory returned neither a connector nor an error");
  }
  return std::shared_ptr<sdk::Connector>(
      std::make_shared<detail::GuardedConnector>(library_, name_, std::move(connector)));
}

}  // namespace ferry::host
