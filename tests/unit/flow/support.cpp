#include "support.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

namespace ferry::host::testing {

std::string testDataPath(const std::string& relative) {
  return std::string(FERRY_FLOW_TEST_DIR) + "/" + relative;
}

std::string sourcePath(const std::string& relative) {
  return std::string(FERRY_SOURCE_DIR) + "/" + relative;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const StaticSchemaProvider& fixtureSchemas() {
  static const StaticSchemaProvider provider = [] {
    StaticSchemaProvider p;
    for (const char* name : {"schemas/salesforce.json", "schemas/people.json"}) {
      auto schema = pluginSchemaFromJson(readFile(testDataPath(name)));
      if (!schema) throw std::runtime_error(schema.error().message);
      p.add(std::move(*schema));
    }
    return p;
  }();
  return provider;
}

const ConnectionSet& fixtureConnections() {
  static const ConnectionSet set = [] {
    ConnectionSet s;
    s.add(ConnectionDef{"salesforce", "salesforce", {}, "salesforce", {}});
    s.add(ConnectionDef{"people", "people", {}, "people", {}});
    return s;
  }();
  return set;
}

FlowDef mustLoad(const std::string& yaml) {
  Diagnostics diags;
  auto flow = loadFlow(yaml, "test.yaml", fixtureConnections(), fixtureSchemas(), diags);
  if (!flow) {
    ADD_FAILURE() << "flow did not compile:\n" << diags.format();
    throw std::runtime_error("flow did not compile");
  }
  return std::move(*flow);
}

Diagnostics loadErrors(const std::string& yaml) {
  Diagnostics diags;
  auto flow = loadFlow(yaml, "test.yaml", fixtureConnections(), fixtureSchemas(), diags);
  EXPECT_FALSE(flow.has_value()) << "expected the flow to be rejected";
  return diags;
}

}  // namespace ferry::host::testing
