// A throwaway PostgreSQL server for tests, built from Debian's server binaries
// (/usr/lib/postgresql/<version>/bin). It lives in a temporary directory, listens on 127.0.0.1 at
// a free port, trusts local connections, and is removed when stopped.
//
// One server is shared by all tests of a binary: the first call to freshPostgresDatabase()
// starts it and a GoogleTest Environment stops it at the end. Each test takes its own database.
//
//   TEST(MyTest, UsesPostgres) {
//     FERRY_REQUIRE_POSTGRES(url);        // skips loudly when no server can be started
//     auto store = ferry::host::openStateStore(url);
//     ...
//   }
//
// PostgreSQL refuses to run as root: when the tests run as root the server runs as the
// unprivileged `postgres` user (the temporary directory is handed to that user).
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace ferry::testing {

class PostgresServer {
 public:
  // Starts a server. Returns nullptr and explains why in *why when it cannot. Test servers run
  // with fsync and synchronous commit off; `durable` keeps PostgreSQL's defaults (benchmarks).
  static std::unique_ptr<PostgresServer> start(std::string* why, bool durable = false);

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer();  // stops the server and removes its directory

  int port() const { return port_; }
  // "postgresql://postgres@127.0.0.1:<port>/<database>".
  std::string url(const std::string& database) const;
  // Creates an empty database (name: lower-case letters, digits, '_') and returns its URL.
  // Throws std::runtime_error on failure.
  std::string createDatabase(const std::string& name) const;
  // Ends every client connection to `database`, as a server restart or a network failure would.
  // Throws std::runtime_error on failure.
  void terminateConnections(const std::string& database) const;

 private:
  PostgresServer() = default;
  void stop() noexcept;

  std::string dir_;  // temporary directory: data/, socket, server.log
  int port_ = 0;
  int pid_ = -1;  // the postmaster, our child
};

// The binary's shared server, started on first call; nullptr when it cannot start.
PostgresServer* sharedPostgres();
// Why sharedPostgres() is null (empty when it is running).
const std::string& postgresUnavailableReason();
// A new database on the shared server ("" when there is no server; a loud message has been
// printed). Names are unique within the server.
std::string freshPostgresDatabase();

}  // namespace ferry::testing

// Declares `std::string var` holding a fresh database URL, or skips the test with the reason.
#define FERRY_REQUIRE_POSTGRES(var)                                                              \
  const std::string var = ::ferry::testing::freshPostgresDatabase();                             \
  if (var.empty()) {                                                                             \
    GTEST_SKIP() << "PostgreSQL unavailable: " << ::ferry::testing::postgresUnavailableReason(); \
  }
