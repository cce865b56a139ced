// Helpers for what every connector plugin writes the same way: the settings schema it ships as
// JSON, the checks its settings reader repeats, and the descriptor's never-throwing factory.
//
//   const std::vector<sdk::SettingSchema>& settingsSchema() {
//     static const auto schema = sdk::settingsSchemaFromJson(kSettingsJson);  // Result<...>
//     ...
//   }
//   static const sdk::PluginDescriptor d{..., &sdk::createConnector<MyConnector>};
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/sdk/connector.hpp"
#include "ferry/sdk/host.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/schema.hpp"

namespace ferry::sdk {

// The SettingType a schema names ("string", "secret_ref", ...: what toString(SettingType) gives).
std::optional<SettingType> settingTypeFromString(std::string_view name) noexcept;

// A settings schema written as a JSON array of objects {name, type, description, required,
// default, enum} (a plugin's schema/settings.json). Every problem is reported at once, each
// naming the entry's position; unknown keys are problems too.
Result<std::vector<SettingSchema>> settingsSchemaFromJson(std::string_view json);

// An http:// or https:// URL with something after the scheme and no whitespace, query or
// fragment: a base URL that API paths are appended to.
bool isHttpUrl(std::string_view url) noexcept;

// One kInvalidArgument error carrying every problem found in a connection's settings, joined
// with "; " after `prefix` (which may be empty).
Error settingsError(std::string_view prefix, const std::vector<std::string>& problems);

// The descriptor's `create` for a connector class C with
// `static Result<std::unique_ptr<C>> create(const HostContext&)`: an exception C::create lets
// escape becomes a kInternal error instead of crossing the plugin boundary.
template <typename C>
Result<std::unique_ptr<Connector>> createConnector(const HostContext& context) noexcept {
  return guard("connector factory", [&]() -> Result<std::unique_ptr<Connector>> {
    auto made = C::create(context);
    if (!made) return made.takeError();
    return std::unique_ptr<Connector>(std::move(made).value());
  });
}

}  // namespace ferry::sdk
