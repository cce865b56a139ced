#include "ferry/host/common/metrics.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace ferry::host {
namespace {

bool isNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

std::string formatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Whole numbers print without a fraction or exponent while they are exact.
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<std::int64_t>(v));
  return fmt::format("{}", v);
}

std::string escapeHelp(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escapeLabelValue(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="x",b="y"} with an optional extra label (histogram "le"); empty when there are no labels.
std::string labelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     std::string_view extraName = {}, std::string_view extraValue = {}) {
  if (names.empty() && extraName.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    out += escapeLabelValue(values[i]);
    out += '"';
  }
  if (!extraName.empty()) {
    if (!names.empty()) out += ',';
    out += extraName;
    out += "=\"";
    out += extraValue;
    out += '"';
  }
  out += '}';
  return out;
}

void atomicAdd(std::atomic<double>& target, double delta) noexcept {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

const char* typeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

void Counter::inc(double delta) noexcept {
  if (!(delta >= 0) || std::isinf(delta)) return;
  atomicAdd(value_, delta);
}

void Gauge::add(double delta) noexcept { atomicAdd(value_, delta); }

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
    }
  }
  buckets_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::observe(double value) noexcept {
  if (std::isnan(value)) return;
  // Prometheus buckets are "less than or equal": the first bound >= value.
  const auto idx = static_cast<std::size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[idx].fetch_add(1, std::memory_order_relaxed);
  atomicAdd(sum_, value);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;  // consistent with the buckets even while observers run
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

const std::vector<double>& defaultLatencyBuckets() {
  static const std::vector<double> kBuckets{0.005, 0.01, 0.025, 0.05, 0.1,  0.25,
                                            0.5,   1.0,  2.5,   5.0,  10.0, 30.0};
  return kBuckets;
}

bool MetricsRegistry::validMetricName(std::string_view name) noexcept {
  if (name.empty() || !(isNameStart(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return isNameChar(c) || c == ':'; });
}

bool MetricsRegistry::validLabelName(std::string_view name) noexcept {
  if (name.empty() || !isNameStart(name[0]) || name.substr(0, 2) == "__") return false;
  return std::all_of(name.begin(), name.end(), isNameChar);
}

template <typename Metric>
Family<Metric>& MetricsRegistry::registerFamily(MetricType type, const std::string& name,
                                                const std::string& help,
                                                const std::vector<std::string>& labelNames,
                                                const std::vector<double>& bounds) {
  if (!validMetricName(name)) throw std::invalid_argument("invalid metric name '" + name + "'");
  for (std::size_t i = 0; i < labelNames.size(); ++i) {
    if (!validLabelName(labelNames[i]) || labelNames[i] == "le") {
      throw std::invalid_argument("metric " + name + ": invalid label name '" + labelNames[i] +
                                  "'");
    }
    if (std::find(labelNames.begin(), labelNames.begin() + static_cast<long>(i), labelNames[i]) !=
        labelNames.begin() + static_cast<long>(i)) {
      throw std::invalid_argument("metric " + name + ": duplicate label '" + labelNames[i] + "'");
    }
  }
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    auto* family =
        it->second.type == type ? static_cast<Family<Metric>*>(it->second.family.get()) : nullptr;
    if (family == nullptr || family->labelNames_ != labelNames || family->bounds_ != bounds) {
      throw std::invalid_argument("metric " + name + " is already registered as a " +
                                  typeName(it->second.type) + " with other labels or buckets");
    }
    return *family;
  }
  if constexpr (std::is_same_v<Metric, Histogram>) {
    Histogram probe(bounds);  // validates the bounds before anything is registered
  }
  std::shared_ptr<Family<Metric>> family(new Family<Metric>(name, help, labelNames, bounds));
  families_.emplace(name, Entry{type, family});
  return *family;
}

CounterFamily& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                        const std::vector<std::string>& labelNames) {
  return registerFamily<Counter>(MetricType::kCounter, name, help, labelNames, {});
}

GaugeFamily& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                                    const std::vector<std::string>& labelNames) {
  return registerFamily<Gauge>(MetricType::kGauge, name, help, labelNames, {});
}

HistogramFamily& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                            const std::vector<std::string>& labelNames,
                                            const std::vector<double>& bounds) {
  return registerFamily<Histogram>(MetricType::kHistogram, name, help, labelNames, bounds);
}

std::string MetricsRegistry::renderPrometheus() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, entry] : families_) {
    auto header = [&, &name = name](const std::string& help) {
      out += "# HELP " + name + " " + escapeHelp(help) + "\n";
      out += "# TYPE " + name + " " + typeName(entry.type) + "\n";
    };
    switch (entry.type) {
      case MetricType::kCounter:
      case MetricType::kGauge: {
        // Counters and gauges render alike: one line per series.
        auto render = [&](const auto& family) {
          header(family.help_);
          std::lock_guard familyLock(family.mutex_);
          for (const auto& [values, metric] : family.series_) {
            out += name + labelSet(family.labelNames_, values) + " " +
                   formatValue(metric->value()) + "\n";
          }
        };
        if (entry.type == MetricType::kCounter) {
          render(*static_cast<const CounterFamily*>(entry.family.get()));
        } else {
          render(*static_cast<const GaugeFamily*>(entry.family.get()));
        }
        break;
      }
      case MetricType::kHistogram: {
        const auto& family = *static_cast<const HistogramFamily*>(entry.family.get());
        header(family.help_);
        std::lock_guard familyLock(family.mutex_);
        for (const auto& [values, metric] : family.series_) {
          const auto snap = metric->snapshot();
          for (std::size_t i = 0; i <= snap.bounds.size(); ++i) {
            const std::string le = i < snap.bounds.size() ? formatValue(snap.bounds[i]) : "+Inf";
            out += name + "_bucket" + labelSet(family.labelNames_, values, "le", le) + " " +
                   std::to_string(snap.cumulative[i]) + "\n";
          }
          out += name + "_sum" + labelSet(family.labelNames_, values) + " " +
                 formatValue(snap.sum) + "\n";
          out += name + "_count" + labelSet(family.labelNames_, values) + " " +
                 std::to_string(snap.count) + "\n";
        }
        break;
      }
    }
  }
  return out;
}

ConnectionMetrics::ConnectionMetrics(MetricsRegistry& registry, std::string connection,
                                     std::shared_ptr<spdlog::logger> logger)
    : registry_(registry), connection_(std::move(connection)), logger_(std::move(logger)) {}

void ConnectionMetrics::reject(const std::string& name, const std::string& why) {
  std::lock_guard lock(mutex_);
  if (!rejected_.insert(name).second || !logger_) return;
  logger_->warn("connection {}: metric '{}' dropped: {}", connection_, name, why);
}

void ConnectionMetrics::add(std::string_view name, std::string_view label, double delta) {
  const std::string full = "ferry_" + std::string(name);
  if (!(delta >= 0) || std::isinf(delta)) {
    reject(full, "counter deltas must be finite and non-negative");
    return;
  }
  try {
    registry_.counter(full, "Reported by the connector plugin.", {"connection", "label"})
        .labels({connection_, std::string(label)})
        .inc(delta);
  } catch (const std::invalid_argument& e) {
    reject(full, e.what());
  }
}

void ConnectionMetrics::set(std::string_view name, std::string_view label, double value) {
  const std::string full = "ferry_" + std::string(name);
  try {
    registry_.gauge(full, "Reported by the connector plugin.", {"connection", "label"})
        .labels({connection_, std::string(label)})
        .set(value);
  } catch (const std::invalid_argument& e) {
    reject(full, e.what());
  }
}

}  // namespace ferry::host
