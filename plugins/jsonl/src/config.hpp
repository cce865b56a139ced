// The jsonl connector's settings, parsed once from the validated settings object.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <ferry/sdk/result.hpp>
#include <ferry/sdk/schema.hpp>
#include <ferry/sdk/value.hpp>

namespace ferry::plugins::jsonl {

struct EntityConfig {
  sdk::EntitySchema schema;    // fields as declared; idField always present
  std::string modifiedField;   // optional datetime field carrying the modification time
  std::filesystem::path file;  // <directory>/<name>.jsonl
};

struct Config {
  std::filesystem::path directory;
  std::vector<EntityConfig> entities;
  bool fsync = false;
  std::size_t maxBatch = 1000;

  const EntityConfig* entity(std::string_view name) const noexcept;
};

// The descriptor's settings schema.
std::vector<sdk::SettingSchema> settingsSchema();

// Parses validated settings (see settingsSchema()); the `entities` map is checked here and every
// problem is reported in one kInvalidArgument error, "; "-separated.
sdk::Result<Config> parseConfig(const sdk::Object& settings);

}  // namespace ferry::plugins::jsonl
