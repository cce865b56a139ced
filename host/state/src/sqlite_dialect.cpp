// SQLite: one file in WAL mode. Readers run concurrently; writers are serialised inside the
// process (SQLite allows one writer) and wait on the busy timeout for other processes.
#include <filesystem>
#include <system_error>

#include <Poco/Data/DataException.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>

#include "dialect.hpp"

namespace ferry::host::state {
namespace {

using namespace Poco::Data::Keywords;
using sdk::Error;
using sdk::ErrorCode;

constexpr int kBusyTimeoutMs = 10000;

class SqliteDialect final : public Dialect {
 public:
  explicit SqliteDialect(std::string path) : path_(std::move(path)) {
    Poco::Data::SQLite::Connector::registerConnector();
    const auto parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        throw Poco::Data::SQLite::CantOpenDBFileException("cannot create directory " +
                                                          parent.string() + ": " + ec.message());
      }
    }
  }

  std::string backend() const override { return "sqlite"; }

  std::unique_ptr<Poco::Data::Session> connect() const override {
    auto session = std::make_unique<Poco::Data::Session>(Poco::Data::SQLite::Connector::KEY, path_);
    // journal_mode is stored in the file; the others are per connection.
    *session << "PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs), now;
    *session << "PRAGMA journal_mode = WAL", now;
    *session << "PRAGMA synchronous = NORMAL", now;
    *session << "PRAGMA foreign_keys = ON", now;
    return session;
  }

  std::size_t maxSessions() const override { return 8; }

  std::string sql(std::string_view text) const override { return std::string(text); }

  std::string ddl(std::string_view text) const override {
    // AUTOINCREMENT: ids are never reused, so keyset paging and references stay stable.
    return substituteTypes(text, "INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT", "BLOB");
  }

  bool prefersPreparedRows() const override { return true; }

  std::string_view lockRowSuffix() const override { return ""; }  // the write lock covers it

  // IMMEDIATE takes the write lock up front, so a transaction never fails half-way when
  // another process wrote in between (a deferred one would get SQLITE_BUSY on its first write).
  void begin(Poco::Data::Session& session) const override { session << "BEGIN IMMEDIATE", now; }
  void commit(Poco::Data::Session& session) const override { session << "COMMIT", now; }
  void rollback(Poco::Data::Session& session) const override {
    // Poco's isTransaction() only knows about its own begin(); ask SQLite. Some errors (disk
    // full, I/O) end the transaction by themselves, and ROLLBACK would then fail.
    if (sqlite3_get_autocommit(Poco::Data::SQLite::Utility::dbHandle(session)) == 0)
      session << "ROLLBACK", now;
  }

  std::unique_lock<std::mutex> lockWriters() override { return std::unique_lock(writers_); }

  void lockMigrations(Poco::Data::Session&) const override {}  // BEGIN IMMEDIATE already excludes

  Error translate(const Poco::Exception& e, const std::string& what) const override {
    const std::string text = what + ": " + e.displayText();
    if (dynamic_cast<const Poco::Data::SQLite::ConstraintViolationException*>(&e) != nullptr) {
      return Error::make(ErrorCode::kConflict, text);
    }
    if (dynamic_cast<const Poco::Data::SQLite::DBLockedException*>(&e) != nullptr ||
        dynamic_cast<const Poco::Data::SQLite::TableLockedException*>(&e) != nullptr ||
        dynamic_cast<const Poco::Data::SQLite::IOErrorException*>(&e) != nullptr ||
        dynamic_cast<const Poco::Data::SQLite::CantOpenDBFileException*>(&e) != nullptr ||
        dynamic_cast<const Poco::Data::SQLite::DatabaseFullException*>(&e) != nullptr ||
        dynamic_cast<const Poco::Data::SessionPoolExhaustedException*>(&e) != nullptr) {
      return Error::make(ErrorCode::kUnavailable, text, /*retry=*/true);
    }
    return Error::make(ErrorCode::kInternal, text);
  }

 private:
  std::string path_;
  std::mutex writers_;
};

}  // namespace

std::unique_ptr<Dialect> makeSqliteDialect(const StoreLocation& location) {
  return std::make_unique<SqliteDialect>(location.sqlitePath);
}

}  // namespace ferry::host::state
