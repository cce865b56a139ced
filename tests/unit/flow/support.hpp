// Shared test fixtures: Salesforce and People schemas (tests/unit/flow/schemas, mirroring the API
// references), the two connections flows name, and small helpers.
#pragma once

#include <string>

#include "ferry/host/flow/diagnostics.hpp"
#include "ferry/host/flow/schema_provider.hpp"
#include "ferry/host/flow/validator.hpp"

namespace ferry::host::testing {

// Salesforce (Lead, Contact, Account) and People (Customer, Lead, Company) fixture schemas.
const StaticSchemaProvider& fixtureSchemas();
// Connections "salesforce" and "people" using those plugins.
const ConnectionSet& fixtureConnections();

std::string testDataPath(const std::string& relative);  // below tests/unit/flow
std::string sourcePath(const std::string& relative);    // below the repository root
std::string readFile(const std::string& path);

// Loads a flow from YAML text against the fixtures; fails the test with all diagnostics if it
// does not compile.
FlowDef mustLoad(const std::string& yaml);
// The diagnostics of loading YAML text (expected to fail).
Diagnostics loadErrors(const std::string& yaml);

}  // namespace ferry::host::testing
