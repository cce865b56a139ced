// Runs one typed test suite against both backends: each test gets a fresh SQLite file or a
// fresh PostgreSQL database on the binary's shared throwaway server.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "ferry/host/state/store.hpp"
#include "ferry/testing/postgres.hpp"
#include "ferry/testing/temp_sqlite.hpp"

namespace ferry::host {

struct SqliteBackend {
  static constexpr const char* kName = "SQLite";
  std::unique_ptr<testing::TempSqliteFile> file;
  // Returns the URL of a fresh store, or "" when the backend is unavailable.
  std::string prepare() {
    file = std::make_unique<testing::TempSqliteFile>();
    return file->url();
  }
};

struct PostgresBackend {
  static constexpr const char* kName = "PostgreSQL";
  std::string prepare() { return testing::freshPostgresDatabase(); }
};

struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

template <typename Backend>
class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = backend_.prepare();
    if (url_.empty())
      GTEST_SKIP() << "PostgreSQL unavailable: " << testing::postgresUnavailableReason();
    store_ = open();
  }

  // Another store on the same database (as a second process would open it).
  std::unique_ptr<StateStore> open() {
    auto store = openStateStore(url_);
    if (!store) {
      ADD_FAILURE() << "openStateStore(" << url_ << "): " << store.error().describe();
      return nullptr;
    }
    return std::move(store).value();
  }

  Backend backend_;
  std::string url_;
  std::unique_ptr<StateStore> store_;
};

}  // namespace ferry::host

namespace ferry::host {

// Unwraps a result or throws (GoogleTest reports the exception as a failure with its text).
template <typename T>
T must(Result<T> result) {
  if (!result) throw std::runtime_error(result.error().describe());
  return std::move(result).value();
}

inline void must(Status status) {
  if (!status) throw std::runtime_error(status.error().describe());
}

}  // namespace ferry::host
