#include "ferry/host/common/metrics.hpp"

#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

namespace ferry::host {
namespace {

bool hasLine(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return true;
  }
  return false;
}

TEST(Metrics, CounterRendersHelpTypeAndLabels) {
  MetricsRegistry reg;
  auto& family =
      reg.counter("ferry_http_requests_total", "HTTP attempts.", {"connection", "status"});
  family.labels({"sf", "200"}).inc();
  family.labels({"sf", "200"}).inc(2);
  family.labels({"sf", "429"}).inc();
  const auto text = reg.renderPrometheus();
  EXPECT_TRUE(hasLine(text, "# HELP ferry_http_requests_total HTTP attempts.")) << text;
  EXPECT_TRUE(hasLine(text, "# TYPE ferry_http_requests_total counter")) << text;
  EXPECT_TRUE(hasLine(text, R"(ferry_http_requests_total{connection="sf",status="200"} 3)"))
      << text;
  EXPECT_TRUE(hasLine(text, R"(ferry_http_requests_total{connection="sf",status="429"} 1)"))
      << text;
}

TEST(Metrics, CountersIgnoreNegativeAndNonFiniteDeltas) {
  Counter c;
  c.inc(1.5);
  c.inc(-1);
  c.inc(std::numeric_limits<double>::quiet_NaN());
  c.inc(std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(c.value(), 1.5);
}

TEST(Metrics, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry reg;
  reg.gauge("ferry_lag_seconds", "Lag\\behind\nsource.", {"flow"}).labels({"a\"b\\c\nd"}).set(2.5);
  const auto text = reg.renderPrometheus();
  EXPECT_TRUE(hasLine(text, R"(# HELP ferry_lag_seconds Lag\\behind\nsource.)")) << text;
  EXPECT_TRUE(hasLine(text, R"(ferry_lag_seconds{flow="a\"b\\c\nd"} 2.5)")) << text;
}

TEST(Metrics, UnlabelledSeriesAndSpecialValues) {
  MetricsRegistry reg;
  reg.gauge("up", "Up.").labels(std::vector<std::string>{}).set(1);
  reg.gauge("inf_value", "Inf.")
      .labels(std::vector<std::string>{})
      .set(std::numeric_limits<double>::infinity());
  const auto text = reg.renderPrometheus();
  EXPECT_TRUE(hasLine(text, "up 1")) << text;
  EXPECT_TRUE(hasLine(text, "inf_value +Inf")) << text;
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  MetricsRegistry reg;
  auto& h = reg.histogram("ferry_http_request_duration_seconds", "Latency.", {"connection"},
                          {0.1, 0.5, 1});
  auto& series = h.labels({"people"});
  series.observe(0.05);
  series.observe(0.1);  // on the bound: counts in le="0.1"
  series.observe(0.7);
  series.observe(3);
  const auto text = reg.renderPrometheus();
  const std::string n = "ferry_http_request_duration_seconds";
  EXPECT_TRUE(hasLine(text, "# TYPE " + n + " histogram")) << text;
  EXPECT_TRUE(hasLine(text, n + R"(_bucket{connection="people",le="0.1"} 2)")) << text;
  EXPECT_TRUE(hasLine(text, n + R"(_bucket{connection="people",le="0.5"} 2)")) << text;
  EXPECT_TRUE(hasLine(text, n + R"(_bucket{connection="people",le="1"} 3)")) << text;
  EXPECT_TRUE(hasLine(text, n + R"(_bucket{connection="people",le="+Inf"} 4)")) << text;
  EXPECT_TRUE(hasLine(text, n + R"(_sum{connection="people"} 3.85)")) << text;
  EXPECT_TRUE(hasLine(text, n + R"(_count{connection="people"} 4)")) << text;
}

TEST(Metrics, ReRegistrationReturnsSameFamilyOrRejectsMismatch) {
  MetricsRegistry reg;
  auto& a = reg.counter("x_total", "X.", {"a"});
  auto& b = reg.counter("x_total", "X.", {"a"});
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(reg.counter("x_total", "X.", {"b"}), std::invalid_argument);
  EXPECT_THROW(reg.gauge("x_total", "X.", {"a"}), std::invalid_argument);
  EXPECT_THROW(reg.counter("bad-name", "X."), std::invalid_argument);
  EXPECT_THROW(reg.counter("y_total", "Y.", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(reg.counter("y_total", "Y.", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(reg.histogram("h", "H.", {}, {1, 0.5}), std::invalid_argument);
  EXPECT_THROW(a.labels({"1", "2"}), std::invalid_argument);
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
  MetricsRegistry reg;
  auto& family = reg.counter("hits_total", "Hits.", {"t"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&family] {
      auto& c = family.labels({"x"});
      for (int i = 0; i < 10000; ++i) c.inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_DOUBLE_EQ(family.labels({"x"}).value(), 40000);
}

TEST(Metrics, ConnectionMetricsPrefixAndLabelAndRejectMisuse) {
  MetricsRegistry reg;
  std::ostringstream logged;
  auto logger = std::make_shared<spdlog::logger>(
      "m", std::make_shared<spdlog::sinks::ostream_sink_mt>(logged));
  ConnectionMetrics metrics(reg, "sf-prod", logger);
  metrics.add("records_read_total", "Contact", 5);
  metrics.add("records_read_total", "Contact", 2);
  metrics.set("api_usage_ratio", "daily", 0.25);
  metrics.add("records_read_total", "Contact", -1);  // dropped
  metrics.set("records_read_total", "Contact", 9);   // already a counter: dropped
  metrics.add("bad name", "", 1);                    // dropped
  metrics.add("bad name", "", 1);                    // logged only once
  const auto text = reg.renderPrometheus();
  EXPECT_TRUE(hasLine(text, R"(ferry_records_read_total{connection="sf-prod",label="Contact"} 7)"))
      << text;
  EXPECT_TRUE(hasLine(text, R"(ferry_api_usage_ratio{connection="sf-prod",label="daily"} 0.25)"))
      << text;
  const std::string log = logged.str();
  std::size_t badNameLines = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find("'ferry_bad name' dropped") != std::string::npos) ++badNameLines;
  }
  EXPECT_EQ(badNameLines, 1u) << log;
}

}  // namespace
}  // namespace ferry::host
