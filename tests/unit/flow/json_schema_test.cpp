// The published JSON Schemas (docs/schemas) and the parser accept the same keys and words: each
// key table of the parser is compared, both ways, with the schema object that describes it.
#include <algorithm>
#include <map>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "ferry/host/flow/parser.hpp"
#include "support.hpp"

namespace ferry::host {
namespace {

using Poco::JSON::Object;

Object::Ptr loadSchema(const std::string& name) {
  Poco::JSON::Parser parser;
  return parser.parse(testing::readFile(testing::sourcePath("docs/schemas/" + name)))
      .extract<Object::Ptr>();
}

// Follows "/a/b/c" through objects.
Poco::Dynamic::Var at(const Object::Ptr& root, const std::string& pointer) {
  Poco::Dynamic::Var current = root;
  std::size_t start = 1;
  while (start <= pointer.size()) {
    const std::size_t end = std::min(pointer.find('/', start), pointer.size());
    const std::string part = pointer.substr(start, end - start);
    const auto object = current.extract<Object::Ptr>();
    if (!object->has(part)) throw std::runtime_error("no " + part + " in " + pointer);
    current = object->get(part);
    start = end + 1;
  }
  return current;
}

std::vector<std::string> keysAt(const Object::Ptr& root, const std::string& pointer) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : *at(root, pointer).extract<Object::Ptr>()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::string> enumAt(const Object::Ptr& root, const std::string& pointer) {
  std::vector<std::string> words;
  const auto array = at(root, pointer).extract<Poco::JSON::Array::Ptr>();
  for (const auto& v : *array) words.push_back(v.toString());
  std::sort(words.begin(), words.end());
  return words;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

struct Place {
  std::string schema;
  std::string pointer;
};

// Where each parser context lives in the schemas. A new context must be added here (and to the
// schema), or the first test fails.
const std::map<std::string, Place> kKeyPlaces{
    {"flow", {"flow.schema.json", "/properties"}},
    {"endpoint", {"flow.schema.json", "/$defs/endpoint/properties"}},
    {"schedule", {"flow.schema.json", "/$defs/schedule/properties"}},
    {"match", {"flow.schema.json", "/$defs/matchKeyObject/properties"}},
    {"map-entry", {"flow.schema.json", "/$defs/mapEntryLong/properties"}},
    {"sides", {"flow.schema.json", "/$defs/sides/properties"}},
    {"deletes", {"flow.schema.json", "/$defs/deletesLong/properties"}},
    {"errors", {"flow.schema.json", "/$defs/errors/properties"}},
    {"condition", {"flow.schema.json", "/$defs/conditionOps/properties"}},
    {"transforms", {"flow.schema.json", "/$defs/transformObject/properties"}},
    {"concat", {"flow.schema.json", "/$defs/concatArgs/properties"}},
    {"date", {"flow.schema.json", "/$defs/dateArgs/properties"}},
    {"e164", {"flow.schema.json", "/$defs/e164Args/properties"}},
    {"country", {"flow.schema.json", "/$defs/countryArgs/properties"}},
    {"connection", {"connection.schema.json", "/properties"}},
    {"secret", {"connection.schema.json", "/$defs/secretRef/properties"}},
    {"flow-test", {"flow-test.schema.json", "/properties"}},
    {"flow-test-case", {"flow-test.schema.json", "/$defs/case/properties"}},
};

const std::map<std::string, Place> kEnumPlaces{
    {"direction", {"flow.schema.json", "/properties/direction/enum"}},
    {"conflicts", {"flow.schema.json", "/properties/conflicts/enum"}},
    {"delete-policy", {"flow.schema.json", "/$defs/deletePolicy/enum"}},
    {"country-form", {"flow.schema.json", "/$defs/countryForm/enum"}},
    {"test-direction", {"flow-test.schema.json", "/$defs/case/properties/direction/enum"}},
    {"bare-transforms", {"flow.schema.json", "/$defs/bareTransform/enum"}},
};

TEST(FlowJsonSchema, EveryParserKeyTableHasASchemaPlace) {
  for (const auto& table : fileKeyTables()) {
    EXPECT_TRUE(kKeyPlaces.count(table.context)) << "no schema place for " << table.context;
  }
  for (const auto& table : fileEnumTables()) {
    EXPECT_TRUE(kEnumPlaces.count(table.context)) << "no schema place for " << table.context;
  }
}

TEST(FlowJsonSchema, KeysMatchTheParserBothWays) {
  std::map<std::string, Object::Ptr> schemas;
  for (const char* name : {"flow.schema.json", "connection.schema.json", "flow-test.schema.json"}) {
    schemas[name] = loadSchema(name);
  }
  for (const auto& table : fileKeyTables()) {
    const auto place = kKeyPlaces.find(table.context);
    if (place == kKeyPlaces.end()) continue;
    SCOPED_TRACE(table.context);
    EXPECT_EQ(keysAt(schemas[place->second.schema], place->second.pointer), sorted(table.keys));
  }
  for (const auto& table : fileEnumTables()) {
    const auto place = kEnumPlaces.find(table.context);
    if (place == kEnumPlaces.end()) continue;
    SCOPED_TRACE(table.context);
    EXPECT_EQ(enumAt(schemas[place->second.schema], place->second.pointer), sorted(table.keys));
  }
}

TEST(FlowJsonSchema, RequiredKeysMatchWhatTheParserRequires) {
  const auto flow = loadSchema("flow.schema.json");
  EXPECT_EQ(enumAt(flow, "/required"), (std::vector<std::string>{"flow", "map", "sink", "source"}));
  EXPECT_EQ(enumAt(flow, "/$defs/endpoint/required"),
            (std::vector<std::string>{"connection", "entity"}));
  EXPECT_EQ(enumAt(flow, "/$defs/mapEntryLong/required"), std::vector<std::string>{"to"});
  // And the parser indeed requires them.
  Diagnostics diags;
  (void)parseFlowSpec("description: nothing else\n", "r.yaml", diags);
  for (const char* key : {"flow", "source", "sink", "map"}) {
    EXPECT_NE(diags.format().find("needs the key \"" + std::string(key) + "\""), std::string::npos)
        << key;
  }
}

}  // namespace
}  // namespace ferry::host
