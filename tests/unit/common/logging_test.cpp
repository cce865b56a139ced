#include "ferry/host/common/logging.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/TemporaryFile.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

namespace ferry::host {
namespace {

// A logger writing through its own RedactingSink into a string stream.
struct CapturedLog {
  explicit CapturedLog(LogFormat format) : redactor(std::make_shared<Redactor>()) {
    sink = std::make_shared<RedactingSink>(std::make_shared<spdlog::sinks::ostream_sink_mt>(out),
                                           format, redactor);
    logger = std::make_shared<spdlog::logger>("ferry.test", sink);
    logger->set_level(spdlog::level::trace);
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  }
  std::ostringstream out;
  std::shared_ptr<Redactor> redactor;
  std::shared_ptr<RedactingSink> sink;
  std::shared_ptr<spdlog::logger> logger;
};

Poco::JSON::Object::Ptr parseLine(const std::string& line) {
  Poco::JSON::Parser parser;
  return parser.parse(line).extract<Poco::JSON::Object::Ptr>();
}

TEST(Logging, JsonLinesCarryStandardKeysAndFields) {
  CapturedLog log(LogFormat::kJson);
  logWith(*log.logger, sdk::LogLevel::kWarn, "record \"rejected\"\nnext",
          {{"flow", "contacts"}, {"record", "003xx"}});
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  const auto obj = parseLine(lines[0]);
  EXPECT_EQ(obj->getValue<std::string>("level"), "warn");
  EXPECT_EQ(obj->getValue<std::string>("logger"), "ferry.test");
  EXPECT_EQ(obj->getValue<std::string>("message"), "record \"rejected\"\nnext");
  EXPECT_EQ(obj->getValue<std::string>("flow"), "contacts");
  EXPECT_EQ(obj->getValue<std::string>("record"), "003xx");
  const auto ts = obj->getValue<std::string>("timestamp");
  ASSERT_EQ(ts.size(), 24u) << ts;
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts.back(), 'Z');
}

TEST(Logging, ReservedFieldNamesDoNotOverwriteRecordKeys) {
  CapturedLog log(LogFormat::kJson);
  logWith(*log.logger, sdk::LogLevel::kInfo, "real", {{"message", "fake"}});
  const auto obj = parseLine(log.lines().at(0));
  EXPECT_EQ(obj->getValue<std::string>("message"), "real");
  EXPECT_EQ(obj->getValue<std::string>("field_message"), "fake");
}

TEST(Logging, TextLinesPutFieldsBeforeTheMessageAndStayOneLine) {
  CapturedLog log(LogFormat::kText);
  LogScope scope({{"flow", "f1"}});
  logWith(*log.logger, sdk::LogLevel::kInfo, "line one\nline two", {{"connection", "sf prod"}});
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(" INFO  ferry.test [flow=f1 connection=\"sf prod\"] line one\\nline two"),
            std::string::npos)
      << lines[0];
}

TEST(Logging, ScopesNestAndEnd) {
  CapturedLog log(LogFormat::kJson);
  {
    LogScope outer({{"flow", "outer"}, {"connection", "c"}});
    {
      LogScope inner({{"flow", "inner"}});
      log.logger->info("a");
    }
    log.logger->info("b");
  }
  log.logger->info("c");
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(parseLine(lines[0])->getValue<std::string>("flow"), "inner");
  EXPECT_EQ(parseLine(lines[0])->getValue<std::string>("connection"), "c");
  EXPECT_EQ(parseLine(lines[1])->getValue<std::string>("flow"), "outer");
  EXPECT_FALSE(parseLine(lines[2])->has("flow"));
}

TEST(Logging, SecretsAreRedactedInMessagesFieldsAndLoggerOutput) {
  for (auto format : {LogFormat::kText, LogFormat::kJson}) {
    CapturedLog log(format);
    log.redactor->add("tok\"en-9876");
    log.logger->info("got tok\"en-9876 from server");
    logWith(*log.logger, sdk::LogLevel::kError, "refresh failed", {{"token", "tok\"en-9876"}});
    const std::string all = log.out.str();
    EXPECT_EQ(all.find("en-9876"), std::string::npos) << all;
    EXPECT_NE(all.find("***"), std::string::npos);
  }
}

// The JSON writer and the redactor quote text the same way (one escaper), so a secret with
// control characters is still found and masked inside JSON fields.
TEST(Logging, SecretsWithControlCharactersAreRedactedInJsonFields) {
  CapturedLog log(LogFormat::kJson);
  const std::string secret = std::string("ab\bcd\fef\x01gh-4242");
  log.redactor->add(secret);
  logWith(*log.logger, sdk::LogLevel::kError, "refresh failed", {{"token", secret}});
  const std::string all = log.out.str();
  EXPECT_EQ(all.find("gh-4242"), std::string::npos) << all;
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(parseLine(lines[0])->getValue<std::string>("token"), "***");
}

TEST(Logging, ConnectorLoggerAddsPluginConnectionAndFlow) {
  CapturedLog log(LogFormat::kJson);
  ConnectorLogger logger(log.logger, "salesforce", "sf-prod", "contacts");
  logger.warn("session expired");
  ConnectorLogger noFlow(log.logger, "people", "ib");
  noFlow.debug("polled");
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 2u);
  const auto first = parseLine(lines[0]);
  EXPECT_EQ(first->getValue<std::string>("plugin"), "salesforce");
  EXPECT_EQ(first->getValue<std::string>("connection"), "sf-prod");
  EXPECT_EQ(first->getValue<std::string>("flow"), "contacts");
  EXPECT_EQ(first->getValue<std::string>("message"), "session expired");
  EXPECT_FALSE(parseLine(lines[1])->has("flow"));
  EXPECT_EQ(parseLine(lines[1])->getValue<std::string>("level"), "debug");
}

TEST(Logging, ParsesFormatsAndLevels) {
  EXPECT_EQ(parseLogFormat("JSON").value(), LogFormat::kJson);
  EXPECT_EQ(parseLogFormat("text").value(), LogFormat::kText);
  EXPECT_FALSE(parseLogFormat("xml").ok());
  EXPECT_EQ(parseLogLevel("warning").value(), sdk::LogLevel::kWarn);
  EXPECT_EQ(parseLogLevel("debug").value(), sdk::LogLevel::kDebug);
  const auto bad = parseLogLevel("loud");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("loud"), std::string::npos);
}

TEST(Logging, ConfigureLoggingWritesFilteredRedactedJsonToFile) {
  Poco::TemporaryFile file;
  auto redactor = std::make_shared<Redactor>();
  redactor->add("file-secret-42");
  ASSERT_TRUE(
      configureLogging({LogFormat::kJson, sdk::LogLevel::kInfo, file.path()}, redactor).ok());
  auto logger = getLogger("ferry.config-test");
  EXPECT_EQ(getLogger("ferry.config-test"), logger);
  logger->debug("hidden by level");
  logger->info("key is file-secret-42");
  logger->flush();
  std::ifstream in(file.path());
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(parseLine(line)->getValue<std::string>("message"), "key is ***");
  EXPECT_FALSE(std::getline(in, line)) << "debug line should have been filtered: " << line;
  // Back to stderr so later tests do not write into the removed file.
  ASSERT_TRUE(configureLogging({}).ok());
}

TEST(Logging, UnopenableLogFileIsAnError) {
  const auto status =
      configureLogging({LogFormat::kText, sdk::LogLevel::kInfo, "/dev/null/ferry/log.txt"});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("/dev/null/ferry/log.txt"), std::string::npos);
}

}  // namespace
}  // namespace ferry::host
