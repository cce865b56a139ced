// Secrets kept out of logs by construction: a Redactor knows every secret value the process has
// handled, and the log sink (logging.hpp) passes each formatted line through it before a byte is
// written. Secret wraps a value so that formatting it can only ever print "***".
#pragma once

#include <cstddef>
#include <memory>
#include <ostream>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace ferry::host {

// Thread-safe set of secret values; redact() replaces each occurrence with "***".
class Redactor {
 public:
  // Shorter values are refused: redacting "abc" would mangle ordinary text and protect nothing.
  static constexpr std::size_t kMinLength = 4;
  static constexpr std::string_view kMask = "***";

  // Registers a value together with the forms it takes inside JSON strings and URL-encoded
  // bodies, so it is caught however a log line happens to quote it. Returns false (and
  // registers nothing) when the value is shorter than kMinLength.
  bool add(std::string_view secret);
  // Text with every registered value replaced by kMask (longest values first).
  std::string redact(std::string_view text) const;
  bool contains(std::string_view secret) const;
  std::size_t size() const;

 private:
  void insertLocked(std::string value);

  mutable std::shared_mutex mutex_;
  std::vector<std::string> values_;  // unique, sorted by length, longest first
};

// The process-wide redactor used by configureLogging() and the secrets vault unless they are
// handed another one. Secrets are process-wide facts, so one shared registry is the point.
std::shared_ptr<Redactor> processRedactor();

// A string that never prints: operator<< and fmt/spdlog formatting produce "***". The bytes are
// wiped when the object dies. Use reveal() only where the value is actually sent somewhere.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret(Secret&& other) noexcept;
  Secret& operator=(const Secret& other);
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  const std::string& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }
  bool operator==(const Secret& other) const noexcept { return value_ == other.value_; }

  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << Redactor::kMask; }

 private:
  void wipe() noexcept;
  std::string value_;
};

}  // namespace ferry::host

template <>
struct fmt::formatter<ferry::host::Secret> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const ferry::host::Secret&, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(ferry::host::Redactor::kMask, ctx);
  }
};
