// Static catalogue and settings schema from the JSON compiled into the plugin.
#include "ferry/plugins/salesforce/catalogue.hpp"

#include <stdexcept>

namespace ferry::plugins::salesforce {

namespace embedded {
extern const std::string_view kSettingsJson;
extern const std::string_view kEntitiesJson;
}  // namespace embedded

std::string_view settingsSchemaJson() noexcept { return embedded::kSettingsJson; }
std::string_view entityCatalogueJson() noexcept { return embedded::kEntitiesJson; }

const std::vector<ObjectDescription>& staticCatalogue() {
  static const std::vector<ObjectDescription> catalogue = [] {
    auto parsed = parseCatalogue(entityCatalogueJson());
    // Shipped inside the plugin and checked by the unit tests: failing here is a build defect.
    if (!parsed) throw std::logic_error("schema/entities.json: " + parsed.error().message);
    return std::move(parsed).value();
  }();
  return catalogue;
}

std::vector<sdk::EntitySchema> staticEntitySchemas() {
  std::vector<sdk::EntitySchema> out;
  for (const auto& o : staticCatalogue()) out.push_back(toEntitySchema(o));
  return out;
}

}  // namespace ferry::plugins::salesforce
