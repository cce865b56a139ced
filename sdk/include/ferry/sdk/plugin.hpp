// The plugin descriptor and the one export macro a plugin uses.
//
//   const ferry::sdk::PluginDescriptor* describePlugin() {
//     static const ferry::sdk::PluginDescriptor d{
//         ferry::sdk::kAbiVersion, sizeof(ferry::sdk::PluginDescriptor),
//         "jsonl", "1.0.0", "JSON-lines files as source and sink",
//         &settingsSchema, &entityCatalogue, &createConnector};
//     return &d;
//   }
//   FERRY_PLUGIN(describePlugin)
//
// The host reads `abiVersion` first and touches nothing else when it differs from its own
// kAbiVersion. Plugins must be built with the same compiler family and standard library as the
// host (the SDK passes std::string/std::vector across the boundary); the ABI version covers the
// layout of every SDK type.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <boost/dll/alias.hpp>

#include "ferry/sdk/connector.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/schema.hpp"
#include "ferry/sdk/version.hpp"

namespace ferry::sdk {

struct PluginDescriptor {
  std::uint32_t abiVersion;      // MUST stay the first field: kAbiVersion of the plugin's SDK
  std::uint32_t descriptorSize;  // sizeof(PluginDescriptor) as the plugin saw it
  const char* name;              // unique, [a-z0-9_-]+; what connection files name
  const char* version;           // the plugin's own semver
  const char* description;       // one line
  std::vector<SettingSchema> (*settings)();  // connection settings it accepts
  // Static entity catalogue, available without a connection (`ferry describe`). Connectors whose
  // schema is discovered live (Salesforce describe) return their standard entities here.
  std::vector<EntitySchema> (*entities)();
  // Makes a connector. The context's services outlive the connector. Must not throw: wrap the
  // body in ferry::sdk::guard (the host also catches, as a last defence).
  Result<std::unique_ptr<Connector>> (*create)(const HostContext& context);
};

// The exported alias's name; the host looks up exactly this symbol.
inline constexpr const char* kPluginSymbol = "ferry_plugin_descriptor";

using DescriptorFn = const PluginDescriptor*();

}  // namespace ferry::sdk

// Exports `fn` (a `const ferry::sdk::PluginDescriptor* fn()`) as the plugin's single entry point.
#define FERRY_PLUGIN(fn) BOOST_DLL_ALIAS(fn, ferry_plugin_descriptor)
