// Per-endpoint call and status counters the admin API exposes (tests and benchmarks assert on
// them, e.g. "the connector backed off after the first 429").
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace ferry::sandbox {

struct EndpointCount {
  uint64_t calls = 0;
  uint64_t dropped = 0;              // connections closed by the drop knob (no status)
  std::map<int, uint64_t> byStatus;  // status -> calls
};

class CallCounters {
 public:
  // key: "<service> <endpoint>", e.g. "salesforce GET /services/data/vXX.X/query".
  void record(const std::string& key, int status);
  void recordDrop(const std::string& key);
  void reset();
  std::map<std::string, EndpointCount> snapshot() const;
  // Calls to every endpoint whose key starts with `keyPrefix` ("people " for one service).
  uint64_t calls(std::string_view keyPrefix) const;
  // {"endpoints":{key:{"calls":n,"dropped":n,"status":{"200":n}}},"total":{...}}
  std::string toJson() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, EndpointCount> counts_;
};

}  // namespace ferry::sandbox
