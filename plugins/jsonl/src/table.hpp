// The sink's view of one entity file: the latest record per id, read from the append-only log,
// with lookup indexes built per field on first use. Memory grows with the number of live records
// (the read path does not use this; it streams).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <ferry/sdk/host.hpp>
#include <ferry/sdk/result.hpp>
#include <ferry/sdk/value.hpp>

#include "config.hpp"

namespace ferry::plugins::jsonl {

class Table {
 public:
  Table(const EntityConfig& entity, bool fsync) : entity_(entity), fsync_(fsync) {}

  // Applies lines appended to the file since the last call (by anyone). Invalid lines are
  // skipped and counted; `logger` (may be null) hears about each one.
  sdk::Status refresh(sdk::Logger* logger);

  const sdk::Object* get(const std::string& id) const;
  // Ids of live records whose `field` equals `value` (index built on first use of a field).
  std::vector<std::string> find(const std::string& field, const sdk::Value& value);
  std::size_t size() const noexcept { return records_.size(); }
  std::size_t invalidLines() const noexcept { return invalidLines_; }

  // A change to make: the record's new full value, or nullopt for a delete.
  struct Change {
    std::string id;
    std::optional<sdk::Object> record;
  };
  // Appends the changes' lines in one write and applies them in memory. On error nothing is
  // applied in memory (the file may hold a partial line, which readers skip).
  sdk::Status append(const std::vector<Change>& changes);

 private:
  void apply(const std::string& id, std::optional<sdk::Object> record);
  void indexInsert(const std::string& id, const sdk::Object& record);
  void indexErase(const std::string& id, const sdk::Object& record);

  const EntityConfig& entity_;
  bool fsync_;
  std::unordered_map<std::string, sdk::Object> records_;
  // field -> index key -> ids
  std::unordered_map<std::string, std::unordered_map<std::string, std::vector<std::string>>>
      indexes_;
  std::uint64_t offset_ = 0;  // the file is applied up to here
  std::size_t invalidLines_ = 0;
};

}  // namespace ferry::plugins::jsonl
