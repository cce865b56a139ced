// The connector's static descriptions, compiled in from schema/*.json so `ferry describe` and
// flow validation work without a connection and the JSON files stay the single source.
#pragma once

#include <string_view>
#include <vector>

#include "ferry/plugins/salesforce/describe.hpp"
#include "ferry/sdk/schema.hpp"

namespace ferry::plugins::salesforce {

std::string_view settingsSchemaJson() noexcept;   // schema/settings.json
std::string_view entityCatalogueJson() noexcept;  // schema/entities.json

// Lead, Contact and Account as shipped (standard fields of a default org, plus the
// Ferry_External_Id__c external-id field the README recommends creating).
const std::vector<ObjectDescription>& staticCatalogue();
std::vector<sdk::EntitySchema> staticEntitySchemas();

}  // namespace ferry::plugins::salesforce
