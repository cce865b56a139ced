// Where encrypted secrets are kept: a narrow (scope, key) -> string store. The vault only ever
// hands it sealed envelopes, so a backend never sees plaintext.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ferry/host/state/store.hpp"
#include "ferry/sdk/result.hpp"

namespace ferry::host {

// Implementations must be thread-safe. Erasing a missing key succeeds.
class SecretBackend {
 public:
  virtual ~SecretBackend() = default;
  virtual sdk::Result<std::optional<std::string>> get(const std::string& scope,
                                                      const std::string& key) = 0;
  virtual sdk::Status put(const std::string& scope, const std::string& key,
                          const std::string& value) = 0;
  virtual sdk::Status erase(const std::string& scope, const std::string& key) = 0;
  // Keys of one scope, sorted.
  virtual sdk::Result<std::vector<std::string>> keys(const std::string& scope) = 0;
};

// In-process backend for tests and one-shot tools.
class MemorySecretBackend final : public SecretBackend {
 public:
  sdk::Result<std::optional<std::string>> get(const std::string& scope,
                                              const std::string& key) override;
  sdk::Status put(const std::string& scope, const std::string& key,
                  const std::string& value) override;
  sdk::Status erase(const std::string& scope, const std::string& key) override;
  sdk::Result<std::vector<std::string>> keys(const std::string& scope) override;

  // Everything stored, for tests that inspect what reached the backend.
  std::map<std::pair<std::string, std::string>, std::string> contents() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::string> values_;
};

// The state store's connector key-value table as a secret backend (SQLite or PostgreSQL, so
// secrets follow the state to every node). The store must outlive the adapter.
class StateStoreSecretBackend final : public SecretBackend {
 public:
  explicit StateStoreSecretBackend(StateStore& store) : store_(store) {}
  sdk::Result<std::optional<std::string>> get(const std::string& scope,
                                              const std::string& key) override {
    return store_.kvGet(scope, key);
  }
  sdk::Status put(const std::string& scope, const std::string& key,
                  const std::string& value) override {
    return store_.kvPut(scope, key, value);
  }
  sdk::Status erase(const std::string& scope, const std::string& key) override {
    return store_.kvErase(scope, key);
  }
  sdk::Result<std::vector<std::string>> keys(const std::string& scope) override {
    return store_.kvKeys(scope);
  }

 private:
  StateStore& store_;
};

}  // namespace ferry::host
