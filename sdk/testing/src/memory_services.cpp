#include "ferry/sdk/testing/memory_services.hpp"

namespace ferry::sdk::testing {

// ---- MemorySecretStore ------------------------------------------------------------------------

Result<std::string> MemorySecretStore::get(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = values_.find(name);
  if (it == values_.end()) {
    return Error::make(ErrorCode::kNotFound, "secret '" + std::string(name) + "' is not set");
  }
  return it->second;
}

Status MemorySecretStore::put(std::string_view name, std::string_view value) {
  std::lock_guard lock(mutex_);
  values_.insert_or_assign(std::string(name), std::string(value));
  return {};
}

Status MemorySecretStore::erase(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = values_.find(name);
  if (it != values_.end()) values_.erase(it);
  return {};
}

std::map<std::string, std::string, std::less<>> MemorySecretStore::snapshot() const {
  std::lock_guard lock(mutex_);
  return values_;
}

// ---- MemoryKeyValueState ----------------------------------------------------------------------

Result<std::optional<std::string>> MemoryKeyValueState::get(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = values_.find(key);
  if (it == values_.end()) return std::optional<std::string>{};
  return std::optional<std::string>{it->second};
}

Status MemoryKeyValueState::put(std::string_view key, std::string_view value) {
  std::lock_guard lock(mutex_);
  values_.insert_or_assign(std::string(key), std::string(value));
  return {};
}

Status MemoryKeyValueState::erase(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = values_.find(key);
  if (it != values_.end()) values_.erase(it);
  return {};
}

std::map<std::string, std::string, std::less<>> MemoryKeyValueState::snapshot() const {
  std::lock_guard lock(mutex_);
  return values_;
}

// ---- CapturedLogger ---------------------------------------------------------------------------

const char* toString(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

void CapturedLogger::log(LogLevel level, std::string_view message) {
  std::lock_guard lock(mutex_);
  entries_.push_back(Entry{level, std::string(message)});
}

std::vector<CapturedLogger::Entry> CapturedLogger::entries() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

bool CapturedLogger::contains(std::string_view needle, LogLevel minLevel) const {
  std::lock_guard lock(mutex_);
  for (const auto& e : entries_) {
    if (e.level >= minLevel && e.message.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string CapturedLogger::dump() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& e : entries_) {
    out += toString(e.level);
    out += ": ";
    out += e.message;
    out += '\n';
  }
  return out;
}

void CapturedLogger::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

// ---- ManualClock ------------------------------------------------------------------------------

std::int64_t ManualClock::nowMs() {
  std::lock_guard lock(mutex_);
  return nowMs_;
}

void ManualClock::sleepFor(std::chrono::milliseconds d) {
  std::lock_guard lock(mutex_);
  sleeps_.push_back(d);
  nowMs_ += d.count();
}

void ManualClock::advance(std::chrono::milliseconds d) {
  std::lock_guard lock(mutex_);
  nowMs_ += d.count();
}

void ManualClock::set(std::int64_t epochMs) {
  std::lock_guard lock(mutex_);
  nowMs_ = epochMs;
}

std::vector<std::chrono::milliseconds> ManualClock::sleeps() const {
  std::lock_guard lock(mutex_);
  return sleeps_;
}

// ---- RecordingMetrics -------------------------------------------------------------------------

void RecordingMetrics::add(std::string_view name, std::string_view label, double delta) {
  std::lock_guard lock(mutex_);
  values_[{std::string(name), std::string(label)}] += delta;
}

void RecordingMetrics::set(std::string_view name, std::string_view label, double value) {
  std::lock_guard lock(mutex_);
  values_[{std::string(name), std::string(label)}] = value;
}

double RecordingMetrics::value(std::string_view name, std::string_view label) const {
  std::lock_guard lock(mutex_);
  auto it = values_.find({std::string(name), std::string(label)});
  return it == values_.end() ? 0.0 : it->second;
}

bool RecordingMetrics::has(std::string_view name, std::string_view label) const {
  std::lock_guard lock(mutex_);
  return values_.count({std::string(name), std::string(label)}) != 0;
}

}  // namespace ferry::sdk::testing
