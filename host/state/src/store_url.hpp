// Turns the store URL accepted by openStateStore() into what a backend needs to connect.
#pragma once

#include <string>

#include "ferry/sdk/result.hpp"

namespace ferry::host::state {

struct StoreLocation {
  enum class Backend { kSqlite, kPostgres };
  Backend backend = Backend::kSqlite;
  std::string sqlitePath;  // kSqlite: the database file
  std::string connInfo;    // kPostgres: libpq "key=value" text as Poco's connector expects it
  std::string password;    // kPostgres: kept to scrub it from driver messages
  std::string display;     // the URL with the password masked, for messages
};

// "sqlite:///abs/path.db", "sqlite://relative.db", a bare path, or
// "postgresql://user:pass@host:port/db?sslmode=disable" ("postgres://" too).
sdk::Result<StoreLocation> parseStoreUrl(const std::string& url);

}  // namespace ferry::host::state
