// Process logging on spdlog: text or JSON lines, structured fields, secrets redacted by
// construction.
//
// Every logger made by getLogger() writes through one shared RedactingSink. That sink formats
// each record itself (text or JSON), runs the finished line through the Redactor and only then
// hands it to the output (stderr, a file, or a test's stream). No code path writes a log line
// that skipped redaction.
//
// Structured fields (flow, connection, record, ...) are attached either per call (logWith) or to
// every line a thread logs while a LogScope is alive. Loggers are synchronous, so fields are read
// on the calling thread.
#pragma once

#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

#include "ferry/host/common/redaction.hpp"
#include "ferry/sdk/host.hpp"
#include "ferry/sdk/result.hpp"

namespace ferry::host {

enum class LogFormat { kText, kJson };

const char* toString(LogFormat format) noexcept;
const char* toString(sdk::LogLevel level) noexcept;
// "text" | "json"
sdk::Result<LogFormat> parseLogFormat(std::string_view text);
// "trace" | "debug" | "info" | "warn" (or "warning") | "error"
sdk::Result<sdk::LogLevel> parseLogLevel(std::string_view text);

struct LogConfig {
  LogFormat format = LogFormat::kText;
  sdk::LogLevel level = sdk::LogLevel::kInfo;
  std::string file;  // empty: stderr; otherwise lines are appended to this file
};

struct LogField {
  std::string key;
  std::string value;
};
using LogFields = std::vector<LogField>;

// Field keys every module uses for the same facts, so log queries work across the codebase.
namespace log_keys {
inline constexpr const char* kFlow = "flow";
inline constexpr const char* kConnection = "connection";
inline constexpr const char* kPlugin = "plugin";
inline constexpr const char* kRecord = "record";  // record id on the side it was read from
inline constexpr const char* kRun = "run";
}  // namespace log_keys

// Adds fields to every line the current thread logs while the scope is alive. Scopes nest;
// an inner field with the same key wins.
class LogScope {
 public:
  explicit LogScope(LogFields fields);
  LogScope(std::initializer_list<LogField> fields) : LogScope(LogFields(fields)) {}
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  LogFields fields_;
};

// The fields of the current thread's LogScopes, outermost first, duplicates resolved.
LogFields currentLogFields();

// Formats a record plus the current fields, without a line ending:
//   text: 2026-01-02T03:04:05.678Z INFO  ferry.http [connection=sf flow=f] message
//   json:
//   {"timestamp":"...","level":"info","logger":"ferry.http","message":"...","connection":"sf"}
std::unique_ptr<spdlog::formatter> makeLogFormatter(LogFormat format);

// The sink every ferry logger writes to. Thread-safe; target and format can be swapped at run
// time (configureLogging does) without touching the loggers.
class RedactingSink final : public spdlog::sinks::sink {
 public:
  // target receives finished, redacted lines (its pattern is set to "%v").
  RedactingSink(std::shared_ptr<spdlog::sinks::sink> target, LogFormat format,
                std::shared_ptr<const Redactor> redactor);

  void log(const spdlog::details::log_msg& msg) override;
  void flush() override;
  // Patterns would bypass the structured format; both calls are accepted and ignored.
  void set_pattern(const std::string& pattern) override;
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

  void setTarget(std::shared_ptr<spdlog::sinks::sink> target);
  void setFormat(LogFormat format);
  void setRedactor(std::shared_ptr<const Redactor> redactor);

 private:
  std::mutex mutex_;
  std::shared_ptr<spdlog::sinks::sink> target_;
  std::unique_ptr<spdlog::formatter> formatter_;
  std::shared_ptr<const Redactor> redactor_;
};

// The shared sink (created on first use: text to stderr, info level, processRedactor()).
std::shared_ptr<RedactingSink> logSink();

// Points every ferry logger at the configured output, format and level, and makes the "ferry"
// logger spdlog's default (so spdlog::info(...) is redacted too). A file that cannot be opened
// is an error and leaves the previous configuration in place. Call at start-up; safe to call
// again (e.g. tests), also while other threads log.
sdk::Status configureLogging(const LogConfig& config,
                             std::shared_ptr<const Redactor> redactor = processRedactor());

// A named synchronous logger writing through logSink(), created on first use ("ferry.http",
// "ferry.engine", ...). Its level follows the last configureLogging().
std::shared_ptr<spdlog::logger> getLogger(const std::string& name);

spdlog::level::level_enum toSpdlog(sdk::LogLevel level) noexcept;

// Logs one line with extra fields (in addition to the thread's LogScope fields).
void logWith(spdlog::logger& logger, sdk::LogLevel level, std::string_view message,
             const LogFields& fields);

// sdk::Logger handed to a connector: every line carries the plugin, connection and (when set)
// flow fields, rendered before the message in text format and as keys in JSON.
class ConnectorLogger final : public sdk::Logger {
 public:
  ConnectorLogger(std::shared_ptr<spdlog::logger> logger, std::string plugin,
                  std::string connection, std::string flow = {});
  void log(sdk::LogLevel level, std::string_view message) override;

 private:
  std::shared_ptr<spdlog::logger> logger_;
  LogFields fields_;
};

}  // namespace ferry::host
