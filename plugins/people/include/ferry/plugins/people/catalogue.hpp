// Entity catalogue: the static one from schema/entities.json, and the live one that adds the
// account's custom attribute definitions as customAttributes.<name> fields.
#pragma once

#include <vector>

#include "ferry/plugins/people/api.hpp"
#include "ferry/sdk/schema.hpp"

namespace ferry::plugins::people {

std::vector<sdk::EntitySchema> staticEntitySchemas();

// The person entities gain one field per definition (typed by its dataType), which makes the
// flow validator refuse mappings to undefined attributes. With `provision` the members are not
// listed, so any name validates and write() creates missing definitions.
std::vector<sdk::EntitySchema> liveEntitySchemas(const AttributeTypes& attributes, bool provision);

// FieldType for a custom attribute dataType (STRING, DECIMAL, INTEGER, BOOLEAN, DATE, DATE_TIME,
// LIST_OF_OBJECTS); unknown types are text.
sdk::FieldType fieldTypeOfAttribute(const std::string& dataType);
// The dataType to provision for a value (nullopt for null: nothing to infer from).
std::optional<std::string> attributeTypeOfValue(const sdk::Value& value);

}  // namespace ferry::plugins::people
