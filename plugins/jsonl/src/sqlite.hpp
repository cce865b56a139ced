// A thin RAII layer over the SQLite C API for the sink's on-disk index. The C API rather than
// Poco::Data because the index sits on the per-record hot path: a prepared statement re-bound
// and stepped costs about a microsecond, Poco's per-execution binding several times that.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <ferry/sdk/result.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace ferry::plugins::jsonl {

class Statement {
 public:
  Statement() = default;
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  // Binds parameters by position (1-based); bound text must outlive the next step().
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t number);
  // Steps once: true when a row is available, false when done. Errors carry the SQL's purpose.
  sdk::Result<bool> step();
  // Steps to completion (for statements without result rows), then resets.
  sdk::Status run();
  // Ready to bind and run again.
  void reset();

  std::string_view text(int column) const;
  std::int64_t integer(int column) const;

 private:
  friend class Database;
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const noexcept;
  };
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string what)
      : db_(db), stmt_(stmt), what_(std::move(what)) {}

  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  std::string what_;
};

class Database {
 public:
  // Opens (creating) the file. Errors name the file.
  static sdk::Result<Database> open(const std::filesystem::path& file);

  sdk::Status exec(const char* sql);
  sdk::Result<Statement> prepare(const char* sql, std::string what);
  // True when the last error said the file is not a usable database (corrupt, not SQLite).
  static bool isCorruption(const sdk::Error& error);

 private:
  struct Closer {
    void operator()(sqlite3* db) const noexcept;
  };
  explicit Database(sqlite3* db, std::filesystem::path file) : db_(db), file_(std::move(file)) {}

  std::unique_ptr<sqlite3, Closer> db_;
  std::filesystem::path file_;
};

// Resets a statement on leaving scope, so a half-read SELECT never pins an old snapshot.
class ResetGuard {
 public:
  explicit ResetGuard(Statement& statement) : statement_(statement) {}
  ~ResetGuard() { statement_.reset(); }
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;

 private:
  Statement& statement_;
};

// BEGIN IMMEDIATE (the write lock, so concurrent appenders queue) ... COMMIT; rolls back when
// destroyed uncommitted.
class Transaction {
 public:
  static sdk::Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  sdk::Status commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;
};

}  // namespace ferry::plugins::jsonl
