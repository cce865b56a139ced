// Typed flow and connection definitions (parsed once from YAML by the flow module; nothing else
// in ferry sees YAML) and the compiled mapping the engine applies per record.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/sdk/connector.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::host {

// Where a definition came from, for file:line:column messages.
struct SourcePos {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
};

struct ConnectionDef {
  std::string name;
  std::string plugin;
  sdk::Object settings;     // ${ENV} references already resolved; secrets are references only
  std::string credentials;  // name of a credential set in the encrypted store; may be empty
  SourcePos pos;
};

struct EndpointRef {
  std::string connection;
  std::string entity;
  SourcePos pos;
};

enum class SyncMode { kOneWay, kTwoWay };
enum class ConflictPolicy { kSourceWins, kSinkWins, kNewestWins, kManual };
enum class DeletePolicy { kIgnore, kPropagate, kTag };

struct MatchKey {
  std::string sourceField;
  std::string sinkField;
};

struct ErrorPolicy {
  int maxAttempts = 5;  // automatic retries of a transient rejection before it waits for a person
  std::chrono::milliseconds baseDelay{30'000};
  std::chrono::milliseconds maxDelay{3'600'000};
};

class CompiledMapping;

struct FlowDef {
  std::string name;
  std::string description;
  EndpointRef source;
  EndpointRef sink;
  SyncMode mode = SyncMode::kOneWay;
  std::chrono::milliseconds every{10'000};  // poll interval (push events wake earlier)
  std::size_t batchSize = 0;                // 0 = the sink's maxBatch
  std::vector<MatchKey> match;
  ConflictPolicy conflicts = ConflictPolicy::kSourceWins;
  DeletePolicy deletes = DeletePolicy::kIgnore;
  std::string deleteTag;  // for DeletePolicy::kTag: the field/tag marking deleted records
  ErrorPolicy errors;
  std::vector<sdk::Condition> filter;      // which source records belong to the flow
  std::vector<sdk::Condition> sinkFilter;  // two-way: which sink records belong to the flow
  std::shared_ptr<const CompiledMapping> mapping;
  std::string definitionText;  // the YAML as written (stored with each deployed version)
  SourcePos pos;
};

// A mapping compiled once per flow and applied per record. Thread-safe (immutable).
// Sink-side values use sink field paths ("contactInformation.email", "customAttributes.Tier");
// the engine keeps link bases in that space.
class CompiledMapping {
 public:
  virtual ~CompiledMapping() = default;
  // Source record (source field names) -> sink values, constants and defaults applied.
  // An Error rejects this record only (message says which field and why).
  virtual sdk::Result<sdk::Object> forward(const sdk::Object& sourceRecord) const = 0;
  // Sink values -> source values (two-way flows). kUnsupported for one-way maps.
  virtual sdk::Result<sdk::Object> reverse(const sdk::Object& sinkRecord) const = 0;
  // Source fields the forward map reads (what to ask the source for).
  virtual const std::vector<std::string>& sourceFields() const = 0;
  // Sink fields the forward map writes (the keys of a link base).
  virtual const std::vector<std::string>& sinkFields() const = 0;
  // For a sink field, the source fields it is computed from (for field-level merges).
  virtual std::vector<std::string> sourceFieldsFor(const std::string& sinkField) const = 0;
  virtual bool invertible() const = 0;
};

}  // namespace ferry::host
