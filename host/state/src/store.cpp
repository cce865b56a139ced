#include "ferry/host/state/store.hpp"

#include <Poco/Exception.h>

#include "dialect.hpp"
#include "sql_store.hpp"
#include "store_url.hpp"

namespace ferry::host {

const char* toString(Direction d) noexcept {
  return d == Direction::kReverse ? "reverse" : "forward";
}

Result<std::unique_ptr<StateStore>> openStateStore(const std::string& url) {
  auto location = state::parseStoreUrl(url);
  if (!location) return location.takeError();
  std::unique_ptr<state::Dialect> dialect;
  try {
    dialect = location->backend == state::StoreLocation::Backend::kPostgres
                  ? state::makePostgresDialect(*location)
                  : state::makeSqliteDialect(*location);
  } catch (const Poco::Exception& e) {
    return sdk::Error::make(sdk::ErrorCode::kUnavailable,
                            "state store " + location->display + ": " + e.displayText(),
                            /*retry=*/true);
  }
  auto store = state::SqlStateStore::open(std::move(dialect));
  if (!store) {
    auto error = store.takeError();
    error.message = "state store " + location->display + ": " + error.message;
    return error;
  }
  return store;
}

}  // namespace ferry::host
