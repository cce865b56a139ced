// Metrics registry: counters, gauges and histograms with labels, rendered in the Prometheus text
// exposition format for /metrics.
//
// Cost model: looking a series up by its label values takes a mutex and a map lookup; updating
// a series is one atomic operation. Hot paths look a series up once and keep the reference,
// which stays valid for the registry's lifetime. Everything here is thread-safe.
//
// Misuse by host code (a bad metric or label name, re-registering a name with another type or
// other labels, the wrong number of label values) throws std::invalid_argument naming the
// metric; values reported by plugins go through ConnectionMetrics, which never throws.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <spdlog/logger.h>

#include "ferry/sdk/host.hpp"

namespace ferry::host {

class Counter {
 public:
  // Negative or non-finite deltas are ignored: a counter only goes up.
  void inc(double delta = 1.0) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
  void add(double delta) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // Upper bounds, strictly increasing and finite; the +Inf bucket is implicit.
  explicit Histogram(std::vector<double> bounds);
  void observe(double value) noexcept;

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const noexcept { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1 (overflow)
  std::atomic<double> sum_{0.0};
  std::atomic<std::uint64_t> count_{0};
};

// Latency buckets in seconds, 5 ms .. 30 s.
const std::vector<double>& defaultLatencyBuckets();

enum class MetricType { kCounter, kGauge, kHistogram };

// All series of one metric name, keyed by label values (in the order of labelNames()).
template <typename Metric>
class Family {
 public:
  // The series for these label values, created at zero on first use. Throws
  // std::invalid_argument when the number of values differs from the number of label names.
  Metric& labels(const std::vector<std::string>& values);
  Metric& labels(std::initializer_list<std::string_view> values);

  const std::string& name() const noexcept { return name_; }
  const std::vector<std::string>& labelNames() const noexcept { return labelNames_; }

 private:
  friend class MetricsRegistry;
  Family(std::string name, std::string help, std::vector<std::string> labelNames,
         std::vector<double> bounds)
      : name_(std::move(name)),
        help_(std::move(help)),
        labelNames_(std::move(labelNames)),
        bounds_(std::move(bounds)) {}

  std::string name_;
  std::string help_;
  std::vector<std::string> labelNames_;
  std::vector<double> bounds_;  // histograms only
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers a metric, or returns the one already registered under that name when type and
  // label names match (so independent components can share a metric).
  CounterFamily& counter(const std::string& name, const std::string& help,
                         const std::vector<std::string>& labelNames = {});
  GaugeFamily& gauge(const std::string& name, const std::string& help,
                     const std::vector<std::string>& labelNames = {});
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             const std::vector<std::string>& labelNames,
                             const std::vector<double>& bounds = defaultLatencyBuckets());

  // Prometheus text exposition format 0.0.4: HELP and TYPE lines, series sorted by name and
  // label values, label values escaped, histogram _bucket/_sum/_count.
  std::string renderPrometheus() const;

  static bool validMetricName(std::string_view name) noexcept;
  static bool validLabelName(std::string_view name) noexcept;

 private:
  struct Entry {
    MetricType type;
    std::shared_ptr<void> family;  // Family<Counter|Gauge|Histogram>
  };
  template <typename Metric>
  Family<Metric>& registerFamily(MetricType type, const std::string& name, const std::string& help,
                                 const std::vector<std::string>& labelNames,
                                 const std::vector<double>& bounds);

  mutable std::mutex mutex_;
  std::map<std::string, Entry> families_;
};

// sdk::Metrics handed to one connection. add() feeds the counter "ferry_<name>", set() the gauge
// "ferry_<name>", both with labels {connection, label}. Plugins cannot break the registry: a bad
// name, a negative counter delta or a name already used with another type is dropped and
// logged once per name.
class ConnectionMetrics final : public sdk::Metrics {
 public:
  ConnectionMetrics(MetricsRegistry& registry, std::string connection,
                    std::shared_ptr<spdlog::logger> logger = nullptr);
  void add(std::string_view name, std::string_view label, double delta) override;
  void set(std::string_view name, std::string_view label, double value) override;

 private:
  void reject(const std::string& name, const std::string& why);

  MetricsRegistry& registry_;
  std::string connection_;
  std::shared_ptr<spdlog::logger> logger_;
  std::mutex mutex_;
  std::set<std::string> rejected_;  // names already reported as bad
};

// ---- template definitions ----

template <typename Metric>
Metric& Family<Metric>::labels(const std::vector<std::string>& values) {
  if (values.size() != labelNames_.size()) {
    throw std::invalid_argument("metric " + name_ + " takes " + std::to_string(labelNames_.size()) +
                                " label values, got " + std::to_string(values.size()));
  }
  std::lock_guard lock(mutex_);
  auto it = series_.find(values);
  if (it == series_.end()) {
    std::unique_ptr<Metric> metric;
    if constexpr (std::is_same_v<Metric, Histogram>) {
      metric = std::make_unique<Histogram>(bounds_);
    } else {
      metric = std::make_unique<Metric>();
    }
    it = series_.emplace(values, std::move(metric)).first;
  }
  return *it->second;
}

template <typename Metric>
Metric& Family<Metric>::labels(std::initializer_list<std::string_view> values) {
  std::vector<std::string> v;
  v.reserve(values.size());
  for (auto s : values) v.emplace_back(s);
  return labels(v);
}

}  // namespace ferry::host
