// Services the host lends to a connector instance. All of them are thread-safe and outlive the
// connector they were handed to.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/sdk/http.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::sdk {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };

class Logger {
 public:
  virtual ~Logger() = default;
  // The host adds the plugin, connection and flow names. Never pass secrets in messages.
  virtual void log(LogLevel level, std::string_view message) = 0;
  void debug(std::string_view m) { log(LogLevel::kDebug, m); }
  void info(std::string_view m) { log(LogLevel::kInfo, m); }
  void warn(std::string_view m) { log(LogLevel::kWarn, m); }
  void error(std::string_view m) { log(LogLevel::kError, m); }
};

// Injectable so tests can move time; production uses the system clock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t nowMs() = 0;  // Unix epoch milliseconds, UTC
  virtual void sleepFor(std::chrono::milliseconds d) = 0;
};

// The connection's credentials: named secrets (client_secret, api_key, private_key, ...) set by
// the operator, plus tokens the connector stores itself (access/refresh tokens, instance_url).
// Values are encrypted at rest by the host and never appear in logs or API responses.
class SecretStore {
 public:
  virtual ~SecretStore() = default;
  virtual Result<std::string> get(std::string_view name) = 0;  // kNotFound when unset
  virtual Status put(std::string_view name, std::string_view value) = 0;
  virtual Status erase(std::string_view name) = 0;
};

// Small per-connection key-value state that survives restarts (describe caches, watermarks that
// are not flow cursors, ...). Shared by every node when the store is shared.
class KeyValueState {
 public:
  virtual ~KeyValueState() = default;
  virtual Result<std::optional<std::string>> get(std::string_view key) = 0;
  virtual Status put(std::string_view key, std::string_view value) = 0;
  virtual Status erase(std::string_view key) = 0;
};

// Counters and gauges for /metrics. Names are snake_case; the host prefixes "ferry_" and adds
// the connection label.
class Metrics {
 public:
  virtual ~Metrics() = default;
  virtual void add(std::string_view name, std::string_view label, double delta) = 0;
  virtual void set(std::string_view name, std::string_view label, double value) = 0;
};

// Health a connector reports about its connection (shown in flow/connection status).
enum class ConnectionHealth { kOk, kNeedsReauthorization, kBudgetExhausted, kDegraded };

struct HostContext {
  std::string connectionName;
  Object settings;  // validated against the descriptor's settings schema, defaults filled in
  HttpClient* http = nullptr;
  Logger* logger = nullptr;
  Clock* clock = nullptr;
  SecretStore* secrets = nullptr;
  KeyValueState* state = nullptr;
  Metrics* metrics = nullptr;
  // Called by the connector when its health changes (e.g. a refresh token was revoked).
  void (*reportHealth)(void* cookie, ConnectionHealth health, const char* reason) = nullptr;
  void* healthCookie = nullptr;

  void setHealth(ConnectionHealth h, const std::string& reason) const {
    if (reportHealth != nullptr) reportHealth(healthCookie, h, reason.c_str());
  }
};

}  // namespace ferry::sdk
