#include "ferry/host/common/logging.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "ferry/sdk/json_text.hpp"

namespace ferry::host {
namespace {

using sdk::Error;
using sdk::ErrorCode;

thread_local std::vector<const LogFields*> tScopes;

const char* const kReservedKeys[] = {"timestamp", "level", "logger", "message"};

void appendIsoTime(spdlog::memory_buf_t& dest, spdlog::log_clock::time_point tp) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  fmt::format_to(std::back_inserter(dest), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 static_cast<int>(ms % 1000));
}

// The SDK's escaper, so JSON log lines quote text exactly as the redactor expects to find
// secrets in them.
void appendJsonString(spdlog::memory_buf_t& dest, std::string_view s) {
  thread_local std::string quoted;
  quoted.clear();
  sdk::appendJsonString(quoted, s);
  dest.append(quoted.data(), quoted.data() + quoted.size());
}

// Text lines stay one line per record: control characters are escaped, not written.
void appendTextEscaped(spdlog::memory_buf_t& dest, std::string_view s) {
  for (char c : s) {
    if (c == '\n') {
      dest.append(std::string_view("\\n"));
    } else if (c == '\r') {
      dest.append(std::string_view("\\r"));
    } else if (static_cast<unsigned char>(c) < 0x20) {
      fmt::format_to(std::back_inserter(dest), "\\x{:02x}", static_cast<unsigned>(c));
    } else {
      dest.push_back(c);
    }
  }
}

bool needsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '=' || c == '"' || c == ']' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

class StructuredFormatter final : public spdlog::formatter {
 public:
  explicit StructuredFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const LogFields fields = currentLogFields();
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    const std::string_view name(msg.logger_name.data(), msg.logger_name.size());
    if (format_ == LogFormat::kJson) {
      dest.append(std::string_view(R"({"timestamp":")"));
      appendIsoTime(dest, msg.time);
      dest.append(std::string_view(R"(","level":)"));
      static constexpr const char* kJsonNames[] = {"trace", "debug",    "info", "warn",
                                                   "error", "critical", "off"};
      appendJsonString(dest, kJsonNames[static_cast<int>(msg.level)]);
      dest.append(std::string_view(R"(,"logger":)"));
      appendJsonString(dest, name);
      dest.append(std::string_view(R"(,"message":)"));
      appendJsonString(dest, payload);
      for (const auto& f : fields) {
        dest.push_back(',');
        // A field may not overwrite the record's own keys.
        bool reserved = false;
        for (const char* r : kReservedKeys) reserved = reserved || f.key == r;
        appendJsonString(dest, reserved ? "field_" + f.key : f.key);
        dest.push_back(':');
        appendJsonString(dest, f.value);
      }
      dest.push_back('}');
      return;
    }
    appendIsoTime(dest, msg.time);
    dest.push_back(' ');
    static constexpr const char* kNames[] = {"TRACE", "DEBUG", "INFO ", "WARN ",
                                             "ERROR", "CRIT ", "OFF  "};
    dest.append(std::string_view(kNames[static_cast<int>(msg.level)]));
    dest.push_back(' ');
    dest.append(name);
    if (!fields.empty()) {
      dest.append(std::string_view(" ["));
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) dest.push_back(' ');
        appendTextEscaped(dest, fields[i].key);
        dest.push_back('=');
        if (needsQuotes(fields[i].value)) {
          appendJsonString(dest, fields[i].value);
        } else {
          dest.append(fields[i].value);
        }
      }
      dest.push_back(']');
    }
    dest.push_back(' ');
    appendTextEscaped(dest, payload);
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<StructuredFormatter>(format_);
  }

 private:
  LogFormat format_;
};

struct LoggerRegistry {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<spdlog::logger>> loggers;
  spdlog::level::level_enum level = spdlog::level::info;
};

LoggerRegistry& registry() {
  static LoggerRegistry instance;
  return instance;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const char* toString(LogFormat format) noexcept {
  return format == LogFormat::kJson ? "json" : "text";
}

const char* toString(sdk::LogLevel level) noexcept {
  switch (level) {
    case sdk::LogLevel::kTrace:
      return "trace";
    case sdk::LogLevel::kDebug:
      return "debug";
    case sdk::LogLevel::kInfo:
      return "info";
    case sdk::LogLevel::kWarn:
      return "warn";
    case sdk::LogLevel::kError:
      return "error";
  }
  return "info";
}

sdk::Result<LogFormat> parseLogFormat(std::string_view text) {
  const std::string t = lower(text);
  if (t == "text") return LogFormat::kText;
  if (t == "json") return LogFormat::kJson;
  return Error::make(ErrorCode::kInvalidArgument,
                     "unknown log format '" + std::string(text) + "' (expected text or json)");
}

sdk::Result<sdk::LogLevel> parseLogLevel(std::string_view text) {
  const std::string t = lower(text);
  if (t == "trace") return sdk::LogLevel::kTrace;
  if (t == "debug") return sdk::LogLevel::kDebug;
  if (t == "info") return sdk::LogLevel::kInfo;
  if (t == "warn" || t == "warning") return sdk::LogLevel::kWarn;
  if (t == "error") return sdk::LogLevel::kError;
  return Error::make(
      ErrorCode::kInvalidArgument,
      "unknown log level '" + std::string(text) + "' (expected trace, debug, info, warn or error)");
}

spdlog::level::level_enum toSpdlog(sdk::LogLevel level) noexcept {
  switch (level) {
    case sdk::LogLevel::kTrace:
      return spdlog::level::trace;
    case sdk::LogLevel::kDebug:
      return spdlog::level::debug;
    case sdk::LogLevel::kInfo:
      return spdlog::level::info;
    case sdk::LogLevel::kWarn:
      return spdlog::level::warn;
    case sdk::LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

LogScope::LogScope(LogFields fields) : fields_(std::move(fields)) { tScopes.push_back(&fields_); }

LogScope::~LogScope() {
  // Scopes are stack objects, so they end in reverse order; tolerate misuse anyway.
  for (auto it = tScopes.rbegin(); it != tScopes.rend(); ++it) {
    if (*it == &fields_) {
      tScopes.erase(std::next(it).base());
      break;
    }
  }
}

LogFields currentLogFields() {
  LogFields out;
  for (const LogFields* scope : tScopes) {
    for (const auto& f : *scope) {
      auto existing =
          std::find_if(out.begin(), out.end(), [&](const LogField& o) { return o.key == f.key; });
      if (existing != out.end()) {
        existing->value = f.value;
      } else {
        out.push_back(f);
      }
    }
  }
  return out;
}

std::unique_ptr<spdlog::formatter> makeLogFormatter(LogFormat format) {
  return std::make_unique<StructuredFormatter>(format);
}

RedactingSink::RedactingSink(std::shared_ptr<spdlog::sinks::sink> target, LogFormat format,
                             std::shared_ptr<const Redactor> redactor)
    : formatter_(makeLogFormatter(format)), redactor_(std::move(redactor)) {
  setTarget(std::move(target));
}

void RedactingSink::log(const spdlog::details::log_msg& msg) {
  std::lock_guard lock(mutex_);
  if (!target_) return;
  spdlog::memory_buf_t line;
  formatter_->format(msg, line);
  const std::string clean = redactor_
                                ? redactor_->redact(std::string_view(line.data(), line.size()))
                                : std::string(line.data(), line.size());
  spdlog::details::log_msg out(msg.time, msg.source, msg.logger_name, msg.level, clean);
  target_->log(out);
}

void RedactingSink::flush() {
  std::lock_guard lock(mutex_);
  if (target_) target_->flush();
}

void RedactingSink::set_pattern(const std::string&) {}

void RedactingSink::set_formatter(std::unique_ptr<spdlog::formatter>) {}

void RedactingSink::setTarget(std::shared_ptr<spdlog::sinks::sink> target) {
  if (target) {
    target->set_pattern("%v");
    target->set_level(spdlog::level::trace);
  }
  std::lock_guard lock(mutex_);
  if (target_) target_->flush();
  target_ = std::move(target);
}

void RedactingSink::setFormat(LogFormat format) {
  auto formatter = makeLogFormatter(format);
  std::lock_guard lock(mutex_);
  formatter_ = std::move(formatter);
}

void RedactingSink::setRedactor(std::shared_ptr<const Redactor> redactor) {
  std::lock_guard lock(mutex_);
  redactor_ = std::move(redactor);
}

std::shared_ptr<RedactingSink> logSink() {
  static const auto sink = std::make_shared<RedactingSink>(
      std::make_shared<spdlog::sinks::stderr_sink_mt>(), LogFormat::kText, processRedactor());
  return sink;
}

sdk::Status configureLogging(const LogConfig& config, std::shared_ptr<const Redactor> redactor) {
  std::shared_ptr<spdlog::sinks::sink> target;
  if (config.file.empty()) {
    target = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    // spdlog would create missing directories; a typo in the path should fail loudly instead.
    const auto slash = config.file.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : config.file.substr(0, slash + 1);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return Error::make(
          ErrorCode::kInvalidArgument,
          "cannot open log file '" + config.file + "': directory '" + dir + "' does not exist");
    }
    try {
      target = std::make_shared<spdlog::sinks::basic_file_sink_mt>(config.file, false);
    } catch (const spdlog::spdlog_ex& e) {
      return Error::make(ErrorCode::kInvalidArgument,
                         "cannot open log file '" + config.file + "': " + e.what());
    }
  }
  auto sink = logSink();
  sink->setRedactor(redactor ? std::move(redactor) : processRedactor());
  sink->setFormat(config.format);
  sink->setTarget(std::move(target));

  {
    auto& reg = registry();
    std::lock_guard lock(reg.mutex);
    reg.level = toSpdlog(config.level);
    for (auto& [name, logger] : reg.loggers) {
      logger->set_level(reg.level);
      logger->flush_on(spdlog::level::warn);
    }
  }
  // Code that logs through spdlog's default logger (spdlog::info(...)) goes through the same
  // redacting sink instead of spdlog's own stdout logger.
  spdlog::set_default_logger(getLogger("ferry"));
  return {};
}

std::shared_ptr<spdlog::logger> getLogger(const std::string& name) {
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  auto it = reg.loggers.find(name);
  if (it != reg.loggers.end()) return it->second;
  auto logger = std::make_shared<spdlog::logger>(name, logSink());
  logger->set_level(reg.level);
  logger->flush_on(spdlog::level::warn);
  reg.loggers.emplace(name, logger);
  return logger;
}

void logWith(spdlog::logger& logger, sdk::LogLevel level, std::string_view message,
             const LogFields& fields) {
  const auto lvl = toSpdlog(level);
  if (!logger.should_log(lvl)) return;
  LogScope scope(fields);
  logger.log(lvl, spdlog::string_view_t(message.data(), message.size()));
}

ConnectorLogger::ConnectorLogger(std::shared_ptr<spdlog::logger> logger, std::string plugin,
                                 std::string connection, std::string flow)
    : logger_(std::move(logger)) {
  fields_.push_back({log_keys::kPlugin, std::move(plugin)});
  fields_.push_back({log_keys::kConnection, std::move(connection)});
  if (!flow.empty()) fields_.push_back({log_keys::kFlow, std::move(flow)});
}

void ConnectorLogger::log(sdk::LogLevel level, std::string_view message) {
  logWith(*logger_, level, message, fields_);
}

}  // namespace ferry::host
