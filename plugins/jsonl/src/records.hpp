// One line of a jsonl file <-> the SDK's value model, and the value rules the sink applies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <ferry/sdk/schema.hpp>
#include <ferry/sdk/value.hpp>

#include "config.hpp"

namespace ferry::plugins::jsonl {

inline constexpr std::string_view kDeletedKey = "_deleted";

struct ParsedLine {
  enum class Kind { kUpsert, kDelete, kBlank, kInvalid };
  Kind kind = Kind::kInvalid;
  std::string id;
  sdk::Object fields;  // upserts: the whole record, typed per the entity's declared fields
  std::string error;   // kInvalid: why
};

// Parses one line: a JSON object with the id field, or {"_deleted":true,"<id field>":...}.
ParsedLine parseLine(std::string_view line, const EntityConfig& entity);

// The record's id as text: strings as they are, integers in decimal; nullopt otherwise.
std::optional<std::string> idText(const sdk::Value& value);

// Gives text the declared type where the text encodes it (ISO dates and datetimes); every other
// value is returned unchanged.
sdk::Value coerce(const sdk::FieldSchema* field, sdk::Value value);

// Key under which a value is indexed for lookups: values the SDK calls equal get equal keys
// (2 and 2.0), and email fields compare case-insensitively.
std::string indexKey(const sdk::FieldSchema* field, const sdk::Value& value);

// Why `value` does not fit `field` (kind, max length, picklist); empty when it fits. Null fits.
std::string checkValue(const sdk::FieldSchema& field, const sdk::Value& value);

// The modification time a record carries in the entity's modifiedAt field; 0 when none.
std::int64_t modifiedAtMs(const EntityConfig& entity, const sdk::Object& fields);

// Lines as written: compact JSON and '\n'.
std::string formatRecord(const sdk::Object& fields);
std::string formatDelete(const EntityConfig& entity, const std::string& id);

}  // namespace ferry::plugins::jsonl
