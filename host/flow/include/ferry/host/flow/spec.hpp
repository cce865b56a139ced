// A flow file as written, parsed into typed structs that keep the position of every part. The
// parser checks shape (keys, value kinds, enum words, transform arguments); the validator then
// checks the spec against connections and entity schemas and compiles it into a FlowDef.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ferry/host/flow/flow.hpp"
#include "ferry/sdk/connector.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::host {

template <typename T>
struct Located {
  T value{};
  SourcePos pos;
};

// Text representations of dates understood by the date/datetime transforms.
struct DateFormatSpec {
  std::string pattern;  // e.g. "yyyy-MM-dd'T'HH:mm:ss.SSSZ"; empty = typed value (no text)
  SourcePos pos;
};

enum class CountryForm { kName, kAlpha2, kAlpha3 };

struct TransformSpec {
  enum class Kind {
    kTrim,
    kLower,
    kUpper,
    kDefault,
    kConstant,
    kConcat,
    kSplit,
    kJoin,
    kValues,
    kDate,
    kDateTime,
    kE164,
    kEmail,
    kCountry,
    kPrefix,
  };
  Kind kind = Kind::kTrim;
  std::string name;  // as written
  SourcePos pos;

  sdk::Value value;                          // default / constant
  std::string text;                          // separator (concat/split/join), prefix, e164 region
  std::vector<Located<std::string>> fields;  // concat: further source fields
  // values: value map entries in file order; `otherwise` for the "*" entry.
  std::vector<std::pair<sdk::Value, sdk::Value>> valueMap;
  std::optional<sdk::Value> otherwise;
  DateFormatSpec from;  // date/datetime: how the input is written (empty: typed value)
  DateFormatSpec to;    // date/datetime: how the output is written (empty: typed value)
  CountryForm countryFrom = CountryForm::kName;
  CountryForm countryTo = CountryForm::kAlpha2;
};

const char* toString(TransformSpec::Kind kind) noexcept;

struct MapEntrySpec {
  Located<std::string> source;  // the map key: a source field path
  Located<std::string> target;  // sink field path
  std::vector<TransformSpec> transforms;
  std::optional<Located<sdk::Value>> defaultValue;
  // Reverse direction (two-way): derived when absent; `reverse: false` = forward only.
  bool reverseDisabled = false;
  std::optional<std::vector<TransformSpec>> reverse;
  SourcePos reversePos;
  SourcePos pos;  // the map key (or the list item, for one of several targets)
};

struct MatchSpec {
  Located<std::string> source;
  std::optional<Located<std::string>> sink;  // absent: the sink field the source maps to
  SourcePos pos;
};

struct ConditionSpec {
  Located<std::string> field;
  sdk::Condition::Op op = sdk::Condition::Op::kEq;
  std::string opName;  // as written
  std::vector<Located<sdk::Value>> values;
  SourcePos pos;
};

struct SideValues {
  std::vector<std::pair<Located<std::string>, Located<sdk::Value>>> source;
  std::vector<std::pair<Located<std::string>, Located<sdk::Value>>> sink;
};

struct FlowSpec {
  Located<std::string> name;
  std::string description;
  Located<std::string> sourceConnection;
  Located<std::string> sourceEntity;
  Located<std::string> sinkConnection;
  Located<std::string> sinkEntity;
  SourcePos sourcePos;
  SourcePos sinkPos;
  Located<SyncMode> mode{SyncMode::kOneWay, {}};
  Located<std::chrono::milliseconds> every{std::chrono::milliseconds{10'000}, {}};
  Located<std::size_t> batchSize{0, {}};
  std::vector<MatchSpec> match;
  SourcePos matchPos;
  std::vector<MapEntrySpec> map;
  SourcePos mapPos;
  SideValues constants;
  SideValues defaults;
  Located<ConflictPolicy> conflicts{ConflictPolicy::kSourceWins, {}};
  bool conflictsGiven = false;
  Located<DeletePolicy> deletes{DeletePolicy::kIgnore, {}};
  Located<std::string> deleteTag;
  ErrorPolicy errors;
  std::vector<ConditionSpec> filter;
  std::vector<ConditionSpec> sinkFilter;
  std::string definitionText;
  SourcePos pos;
};

}  // namespace ferry::host
