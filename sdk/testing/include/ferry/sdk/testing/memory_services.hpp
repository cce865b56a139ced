// In-memory SecretStore, KeyValueState, captured Logger, manual Clock and recording Metrics:
// the host services a connector sees, made inspectable for tests. All are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/sdk/host.hpp"

namespace ferry::sdk::testing {

class MemorySecretStore final : public SecretStore {
 public:
  MemorySecretStore() = default;
  MemorySecretStore(std::initializer_list<std::pair<const std::string, std::string>> initial)
      : values_(initial) {}
  Result<std::string> get(std::string_view name) override;
  Status put(std::string_view name, std::string_view value) override;
  Status erase(std::string_view name) override;
  std::map<std::string, std::string, std::less<>> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> values_;
};

class MemoryKeyValueState final : public KeyValueState {
 public:
  Result<std::optional<std::string>> get(std::string_view key) override;
  Status put(std::string_view key, std::string_view value) override;
  Status erase(std::string_view key) override;
  std::map<std::string, std::string, std::less<>> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> values_;
};

class CapturedLogger final : public Logger {
 public:
  struct Entry {
    LogLevel level;
    std::string message;
  };
  void log(LogLevel level, std::string_view message) override;
  std::vector<Entry> entries() const;
  // True when any message at `minLevel` or above contains `needle`.
  bool contains(std::string_view needle, LogLevel minLevel = LogLevel::kTrace) const;
  // Every message, one per line, "level: message" (handy in assertion output).
  std::string dump() const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

const char* toString(LogLevel level) noexcept;

// Time moves only when the test says so; sleepFor() advances it immediately (and is recorded),
// so code with backoff runs instantly in tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t startMs = 1'700'000'000'000) : nowMs_(startMs) {}
  std::int64_t nowMs() override;
  void sleepFor(std::chrono::milliseconds d) override;
  void advance(std::chrono::milliseconds d);
  void set(std::int64_t epochMs);
  std::vector<std::chrono::milliseconds> sleeps() const;

 private:
  mutable std::mutex mutex_;
  std::int64_t nowMs_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

class RecordingMetrics final : public Metrics {
 public:
  void add(std::string_view name, std::string_view label, double delta) override;
  void set(std::string_view name, std::string_view label, double value) override;
  // Current value of a counter/gauge; 0 when never touched.
  double value(std::string_view name, std::string_view label = {}) const;
  bool has(std::string_view name, std::string_view label = {}) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, double> values_;
};

}  // namespace ferry::sdk::testing
