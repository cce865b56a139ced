// Validation findings of flow and connection files: every problem is collected (never just the
// first), each with its position, so `ferry validate` and the admin API show them all at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/host/flow/flow.hpp"

namespace ferry::host {

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  SourcePos pos;
  std::string code;     // stable slug for machines ("unknown-key", "type-mismatch", ...)
  std::string message;  // one line, for people

  // "file:line:column: error: message" (line/column omitted when unknown).
  std::string format() const;
};

class Diagnostics {
 public:
  void error(const SourcePos& pos, std::string code, std::string message);
  void warning(const SourcePos& pos, std::string code, std::string message);
  void append(const Diagnostics& other);

  bool hasErrors() const noexcept { return errorCount_ > 0; }
  std::size_t errorCount() const noexcept { return errorCount_; }
  const std::vector<Diagnostic>& all() const noexcept { return items_; }
  bool empty() const noexcept { return items_.empty(); }

  // Sorted by file, line and column: one line per finding.
  std::string format() const;
  // [{"file":..,"line":..,"column":..,"severity":"error","code":..,"message":..}, ...]
  std::string toJson() const;

 private:
  std::vector<Diagnostic> items_;
  std::size_t errorCount_ = 0;
};

// " (did you mean \"x\"?)" when a candidate is a plausible typo of word (closestMatch of the
// plugins module), else "". Used for keys, fields, entities, connections and plugins.
std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace ferry::host
