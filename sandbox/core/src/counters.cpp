#include "ferry/sandbox/counters.hpp"

#include "ferry/sandbox/json_writer.hpp"

namespace ferry::sandbox {

void CallCounters::record(const std::string& key, int status) {
  std::lock_guard lock(mutex_);
  auto& count = counts_[key];
  ++count.calls;
  ++count.byStatus[status];
}

void CallCounters::recordDrop(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto& count = counts_[key];
  ++count.calls;
  ++count.dropped;
}

void CallCounters::reset() {
  std::lock_guard lock(mutex_);
  counts_.clear();
}

std::map<std::string, EndpointCount> CallCounters::snapshot() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

uint64_t CallCounters::calls(std::string_view keyPrefix) const {
  std::lock_guard lock(mutex_);
  uint64_t total = 0;
  // Keys sharing the prefix are adjacent in the map, starting at its lower bound.
  for (auto it = counts_.lower_bound(std::string(keyPrefix)); it != counts_.end(); ++it) {
    if (std::string_view(it->first).substr(0, keyPrefix.size()) != keyPrefix) break;
    total += it->second.calls;
  }
  return total;
}

std::string CallCounters::toJson() const {
  auto counts = snapshot();
  EndpointCount total;
  JsonWriter json;
  json.beginObject().key("endpoints").beginObject();
  for (const auto& [key, count] : counts) {
    json.key(key).beginObject().key("calls").value(count.calls);
    json.key("dropped").value(count.dropped).key("status").beginObject();
    for (const auto& [status, calls] : count.byStatus) {
      json.key(std::to_string(status)).value(calls);
      total.byStatus[status] += calls;
    }
    json.endObject().endObject();
    total.calls += count.calls;
    total.dropped += count.dropped;
  }
  json.endObject();
  json.key("total").beginObject().key("calls").value(total.calls);
  json.key("dropped").value(total.dropped).key("status").beginObject();
  for (const auto& [status, calls] : total.byStatus) json.key(std::to_string(status)).value(calls);
  json.endObject().endObject().endObject();
  return json.take();
}

}  // namespace ferry::sandbox
