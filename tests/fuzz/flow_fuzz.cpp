// Fuzzes everything that reads flow text: the flow parser and validator (against the schema
// fixtures), connection files, fixture files and single transforms. Any input must produce a
// result or diagnostics, never a crash, hang or sanitizer report. A compiled flow's mapping is
// also run on a record built from the input.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "ferry/host/flow/fixtures.hpp"
#include "ferry/host/flow/parser.hpp"
#include "ferry/host/flow/validator.hpp"

namespace {

using namespace ferry::host;

const StaticSchemaProvider& schemas() {
  static const StaticSchemaProvider provider = [] {
    StaticSchemaProvider p;
    for (const char* name : {"/salesforce.json", "/people.json"}) {
      std::ifstream in(std::string(FERRY_FLOW_SCHEMAS_DIR) + name);
      std::stringstream text;
      text << in.rdbuf();
      auto schema = pluginSchemaFromJson(text.str());
      if (schema) p.add(std::move(*schema));
    }
    return p;
  }();
  return provider;
}

const ConnectionSet& connections() {
  static const ConnectionSet set = [] {
    ConnectionSet s;
    s.add(ConnectionDef{"salesforce", "salesforce", {}, "", {}});
    s.add(ConnectionDef{"people", "people", {}, "", {}});
    return s;
  }();
  return set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  {
    Diagnostics diags;
    auto flow = loadFlow(text, "fuzz.yaml", connections(), schemas(), diags);
    (void)diags.format();
    (void)diags.toJson();
    if (flow) {
      // Map a record whose fields all carry the input's text.
      ferry::sdk::Object record;
      for (const auto& field : flow->mapping->sourceFields()) record.set(field, text.substr(0, 64));
      auto sink = flow->mapping->forward(record);
      if (sink && flow->mapping->invertible()) (void)flow->mapping->reverse(*sink);
    }
  }
  {
    Diagnostics diags;
    const EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
      if (name == "SET") return std::string("value");
      return std::nullopt;
    };
    (void)loadConnection(text, "fuzz-connection.yaml", schemas(), env, diags);
  }
  {
    Diagnostics diags;
    (void)parseFixtures(text, "fuzz.test.yaml", diags);
    (void)parseTransformText(text, "fuzz-transform", diags);
  }
  return 0;
}
