// The engine compares records in one space: the sink field paths of the flow's mapping (the keys
// of a link base). These helpers project records into that space, read and write fields that may
// be stored flat ("customAttributes.Tier" as one key) or nested, and run the field-level
// three-way merge used by two-way flows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/sdk/value.hpp"

namespace ferry::host::engine {

// Values of the mapped fields keyed by sink field path; a missing field reads as null.
using FieldValues = sdk::Object;

// Reserved base entry listing fields parked as a manual conflict. Field paths never start with
// '$', so it cannot collide with a mapped field.
inline constexpr std::string_view kParkedKey = "$parked";

// Reads `path` as a flat key first, then as a dotted path into nested objects.
const sdk::Value* fieldAt(const sdk::Object& record, std::string_view path) noexcept;
// Writes `path` where the record already keeps it flat, else as a nested path.
void putField(sdk::Object& record, const std::string& path, sdk::Value value);

// The record's values for `paths` (absent fields become null).
FieldValues project(const sdk::Object& record, const std::vector<std::string>& paths);
// Builds a record (nested objects for dotted paths) from projected values.
sdk::Object unproject(const FieldValues& values);

// Fields parked in a base, and a base with a new parked set (empty set removes the entry).
std::vector<std::string> parkedFields(const FieldValues& base);
void setParkedFields(FieldValues& base, const std::vector<std::string>& fields);

// Paths whose values differ between a and b (null == absent), ignoring `skip`.
std::vector<std::string> changedFields(const FieldValues& a, const FieldValues& b,
                                       const std::vector<std::string>& paths,
                                       const std::vector<std::string>& skip = {});

// Which side a conflicting field goes to, decided once per record from the flow's policy.
enum class ConflictWinner { kReader, kOther, kPark };

// Outcome of merging the side just read (reader) with the other side's current values against
// the base. Only the other side is written by this pass: a field changed only on the other side
// stays at its base here and travels when that side's own change is read.
struct MergeResult {
  FieldValues target;                  // desired values for the other side (all paths)
  std::vector<std::string> toOther;    // paths whose value must be written to the other side
  std::vector<std::string> conflicts;  // paths changed differently on both sides
  std::vector<std::string> parked;     // conflicts parked for a person (kPark)
  FieldValues newBase;                 // what both sides agree on after the write succeeds
};

MergeResult mergeFields(const FieldValues& base, const FieldValues& reader,
                        const FieldValues& other, const std::vector<std::string>& paths,
                        ConflictWinner onConflict);

}  // namespace ferry::host::engine
