// Where the two backends differ. Everything else (every query, the schema, the transaction
// structure) lives once in SqlStateStore; a dialect only supplies connections, placeholder
// syntax, column types, transaction start, the migration lock and error classification.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include "ferry/sdk/result.hpp"
#include "store_url.hpp"

namespace ferry::host::state {

class Dialect {
 public:
  virtual ~Dialect() = default;

  virtual std::string backend() const = 0;  // "sqlite" | "postgresql"
  // Opens one configured session (a new pooled connection).
  virtual std::unique_ptr<Poco::Data::Session> connect() const = 0;
  // How many sessions the pool may open.
  virtual std::size_t maxSessions() const = 0;

  // Queries are written once with '?' placeholders; a backend may need another form.
  virtual std::string sql(std::string_view text) const = 0;
  // DDL is written once with {identity} (auto-assigned 64-bit primary key), {key} (text compared
  // byte-wise, for ids that are paged on) and {blob} (arbitrary bytes); a backend fills them in.
  virtual std::string ddl(std::string_view text) const = 0;
  // True where one prepared single-row statement run over many rows beats one long multi-row
  // statement: an embedded engine (SQLite) spends more compiling a long statement than it
  // saves; over a network (PostgreSQL) each statement is a round trip, so many rows per
  // statement win.
  virtual bool prefersPreparedRows() const = 0;
  // Appended to a SELECT that reads a row the transaction is about to update.
  virtual std::string_view lockRowSuffix() const = 0;

  // Starts a transaction that will write.
  virtual void begin(Poco::Data::Session& session) const = 0;
  virtual void commit(Poco::Data::Session& session) const = 0;
  virtual void rollback(Poco::Data::Session& session) const = 0;
  // Serialises writers inside this process where the backend allows only one (SQLite); other
  // backends return an empty lock.
  virtual std::unique_lock<std::mutex> lockWriters() = 0;
  // Called first inside the migration transaction: keeps two processes from migrating at once.
  virtual void lockMigrations(Poco::Data::Session& session) const = 0;

  // Classifies a driver exception: lost connection and lock timeouts are kUnavailable
  // (retriable), constraint violations kConflict, the rest kInternal.
  virtual sdk::Error translate(const Poco::Exception& e, const std::string& what) const = 0;
};

std::unique_ptr<Dialect> makeSqliteDialect(const StoreLocation& location);
std::unique_ptr<Dialect> makePostgresDialect(const StoreLocation& location);

// Replaces every '?' outside quoted text with $1, $2, ... (PostgreSQL's placeholder form).
std::string numberPlaceholders(std::string_view text);

// Replaces {identity}, {key} and {blob} in DDL text.
std::string substituteTypes(std::string_view text, std::string_view identity, std::string_view key,
                            std::string_view blob);

}  // namespace ferry::host::state
