#include "ferry/host/secrets/backend.hpp"

namespace ferry::host {

sdk::Result<std::optional<std::string>> MemorySecretBackend::get(const std::string& scope,
                                                                 const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = values_.find({scope, key});
  if (it == values_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

sdk::Status MemorySecretBackend::put(const std::string& scope, const std::string& key,
                                     const std::string& value) {
  std::lock_guard lock(mutex_);
  values_[{scope, key}] = value;
  return {};
}

sdk::Status MemorySecretBackend::erase(const std::string& scope, const std::string& key) {
  std::lock_guard lock(mutex_);
  values_.erase({scope, key});
  return {};
}

sdk::Result<std::vector<std::string>> MemorySecretBackend::keys(const std::string& scope) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (auto it = values_.lower_bound({scope, std::string()});
       it != values_.end() && it->first.first == scope; ++it) {
    out.push_back(it->first.second);
  }
  return out;
}

std::map<std::pair<std::string, std::string>, std::string> MemorySecretBackend::contents() const {
  std::lock_guard lock(mutex_);
  return values_;
}

}  // namespace ferry::host
