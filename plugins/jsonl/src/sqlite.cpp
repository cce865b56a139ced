#include "sqlite.hpp"

#include <sqlite3.h>

namespace ferry::plugins::jsonl {

namespace {

constexpr const char* kCorrupt = "SQLITE_CORRUPT";
constexpr const char* kNotADatabase = "SQLITE_NOTADB";

sdk::Error sqliteError(sqlite3* db, int rc, const std::string& what) {
  const int primary = rc & 0xff;
  std::string remote;
  if (primary == SQLITE_CORRUPT) remote = kCorrupt;
  if (primary == SQLITE_NOTADB) remote = kNotADatabase;
  // Busy or full disks pass; a corrupt index is rebuilt by the caller, so both may succeed later.
  const bool retriable = primary == SQLITE_BUSY || primary == SQLITE_LOCKED ||
                         primary == SQLITE_FULL || primary == SQLITE_IOERR || !remote.empty();
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return sdk::Error::make(sdk::ErrorCode::kUnavailable, what + ": " + detail, retriable,
                          std::move(remote));
}

}  // namespace

void Statement::Finalizer::operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t number) {
  sqlite3_bind_int64(stmt_.get(), index, number);
  return *this;
}

sdk::Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  auto error = sqliteError(db_, rc, what_);
  sqlite3_reset(stmt_.get());
  return error;
}

sdk::Status Statement::run() {
  while (true) {
    auto row = step();
    if (!row) return row.takeError();
    if (!*row) break;
  }
  reset();
  return {};
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string_view Statement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), column));
  if (data == nullptr) return {};
  return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column))};
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

void Database::Closer::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

sdk::Result<Database> Database::open(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw, file);
  if (rc != SQLITE_OK) return sqliteError(raw, rc, "cannot open index " + file.string());
  // Another process or connector may hold the write lock for one batch; wait rather than fail.
  sqlite3_busy_timeout(raw, 10000);
  return db;
}

sdk::Status Database::exec(const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  auto error = sqliteError(nullptr, rc, "index " + file_.string());
  error.message = "index " + file_.string() + ": " + detail;
  return error;
}

sdk::Result<Statement> Database::prepare(const char* sql, std::string what) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return sqliteError(db_.get(), rc, "index " + file_.string());
  return Statement(db_.get(), stmt, "index " + file_.string() + ": " + what);
}

sdk::Result<Transaction> Transaction::begin(Database& db) {
  if (auto s = db.exec("BEGIN IMMEDIATE"); !s) return s.takeError();
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

sdk::Status Transaction::commit() {
  Database* db = std::exchange(db_, nullptr);
  auto status = db->exec("COMMIT");
  if (!status) (void)db->exec("ROLLBACK");
  return status;
}

bool Database::isCorruption(const sdk::Error& error) {
  return error.remoteCode == kCorrupt || error.remoteCode == kNotADatabase;
}

}  // namespace ferry::plugins::jsonl
