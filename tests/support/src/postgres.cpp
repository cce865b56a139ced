#include "ferry/testing/postgres.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace ferry::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct RunAs {
  uid_t uid;
  gid_t gid;
  std::string name;
};

// The newest installed server, e.g. /usr/lib/postgresql/15/bin.
std::optional<fs::path> findBinDir() {
  std::optional<fs::path> best;
  int bestVersion = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (!fs::exists(bin / "initdb") || !fs::exists(bin / "postgres")) continue;
    const int version = std::atoi(entry.path().filename().c_str());
    if (version > bestVersion) {
      bestVersion = version;
      best = bin;
    }
  }
  return best;
}

// PostgreSQL will not run as root; use the packaged unprivileged account then.
std::optional<RunAs> runAs(std::string* why) {
  if (geteuid() != 0) return RunAs{geteuid(), getegid(), "current user"};
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr) {
    *why = "running as root and there is no 'postgres' user to run the server as";
    return std::nullopt;
  }
  return RunAs{pw->pw_uid, pw->pw_gid, "postgres"};
}

int freePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// Starts argv as `user`, output appended to logPath; the child dies with this process.
pid_t spawn(const std::vector<std::string>& argv, const RunAs& user, const std::string& logPath) {
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const bool switchUser = geteuid() == 0;
  const pid_t pid = fork();
  if (pid != 0) return pid;  // parent (or -1)

  const int log = open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (log >= 0) {
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
  }
  const int devNull = open("/dev/null", O_RDONLY);
  if (devNull >= 0) dup2(devNull, STDIN_FILENO);
  if (switchUser) {
    if (setgroups(0, nullptr) != 0 || setgid(user.gid) != 0 || setuid(user.uid) != 0) _exit(126);
  }
  // After the identity change, which clears it: a crashed test binary leaves no server behind.
  prctl(PR_SET_PDEATHSIG, SIGQUIT);
  if (getppid() == 1) _exit(125);
  execv(args[0], args.data());
  _exit(127);
}

// Runs a command to completion; returns its exit status (or -1).
int runToEnd(const std::vector<std::string>& argv, const RunAs& user, const std::string& logPath) {
  const pid_t pid = spawn(argv, user, logPath);
  if (pid < 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string tail(const std::string& path, std::size_t maxChars = 1500) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  return s.size() > maxChars ? "..." + s.substr(s.size() - maxChars) : s;
}

std::string conninfo(int port, const std::string& database) {
  return "host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=" + database +
         " connect_timeout=2";
}

}  // namespace

std::unique_ptr<PostgresServer> PostgresServer::start(std::string* why, bool durable) {
  const auto bin = findBinDir();
  if (!bin) {
    *why = "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (install postgresql)";
    return nullptr;
  }
  const auto user = runAs(why);
  if (!user) return nullptr;

  std::error_code ec;
  const fs::path tmp = fs::temp_directory_path(ec);
  if (ec) {
    *why = "no temporary directory: " + ec.message();
    return nullptr;
  }
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  std::string pattern = (tmp / "ferry-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    *why = std::string("cannot create a temporary directory: ") + std::strerror(errno);
    return nullptr;
  }
  server->dir_ = pattern;
  if (geteuid() == 0 && chown(server->dir_.c_str(), user->uid, user->gid) != 0) {
    *why = "cannot hand " + server->dir_ + " to the postgres user: " + std::strerror(errno);
    return nullptr;  // the destructor removes the directory
  }
  chmod(server->dir_.c_str(), 0700);

  const std::string data = server->dir_ + "/data";
  const std::string initLog = server->dir_ + "/initdb.log";
  // --no-sync: a throwaway cluster need not survive a power cut; it saves seconds.
  const int initStatus = runToEnd({(*bin / "initdb").string(), "-D", data, "-U", "postgres", "-A",
                                   "trust", "-E", "UTF8", "--no-locale", "--no-sync"},
                                  *user, initLog);
  if (initStatus != 0) {
    *why = "initdb (as " + user->name + ") failed with status " + std::to_string(initStatus) +
           ": " + tail(initLog);
    return nullptr;
  }

  const std::string serverLog = server->dir_ + "/server.log";
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int port = freePort();
    if (port == 0) {
      *why = "no free loopback port";
      return nullptr;
    }
    std::vector<std::string> settings = {"listen_addresses=127.0.0.1", "max_connections=200"};
    if (!durable) {  // these databases live for one test binary
      settings.insert(settings.end(),
                      {"fsync=off", "synchronous_commit=off", "full_page_writes=off"});
    }
    std::vector<std::string> argv = {(*bin / "postgres").string(), "-D", data, "-k", server->dir_};
    argv.insert(argv.end(), {"-p", std::to_string(port)});
    for (const auto& setting : settings) argv.insert(argv.end(), {"-c", setting});
    const pid_t pid = spawn(argv, *user, serverLog);
    if (pid < 0) {
      *why = std::string("fork failed: ") + std::strerror(errno);
      return nullptr;
    }
    server->pid_ = pid;
    server->port_ = port;
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      if (PQping(conninfo(port, "postgres").c_str()) == PQPING_OK) return server;
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        server->pid_ = -1;
        break;  // exited: maybe the port was taken in between; try another
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (server->pid_ > 0) {  // alive but never ready
      *why = "server on port " + std::to_string(port) +
             " did not accept connections within 30 s: " + tail(serverLog);
      return nullptr;
    }
  }
  *why = "the server exited during start-up: " + tail(serverLog);
  return nullptr;
}

PostgresServer::~PostgresServer() { stop(); }

void PostgresServer::stop() noexcept {
  if (pid_ > 0) {
    kill(pid_, SIGINT);  // "fast" shutdown: disconnects clients, no checkpoint wait for them
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

namespace {

void checkDatabaseName(const std::string& name) {
  if (name.empty() ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    throw std::runtime_error("bad test database name '" + name + "'");
  }
}

// Runs one statement as the superuser on the maintenance database.
void adminExec(int port, const std::string& sql, ExecStatusType expected, const std::string& what) {
  PGconn* conn = PQconnectdb(conninfo(port, "postgres").c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* result = PQexec(conn, sql.c_str());
    if (PQresultStatus(result) != expected) error = PQresultErrorMessage(result);
    PQclear(result);
  }
  PQfinish(conn);
  if (!error.empty()) throw std::runtime_error(what + ": " + error);
}

}  // namespace

std::string PostgresServer::createDatabase(const std::string& name) const {
  checkDatabaseName(name);
  adminExec(port_, "CREATE DATABASE " + name, PGRES_COMMAND_OK, "creating test database " + name);
  return url(name);
}

void PostgresServer::terminateConnections(const std::string& database) const {
  checkDatabaseName(database);
  adminExec(port_,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database +
                "' AND pid <> pg_backend_pid()",
            PGRES_TUPLES_OK, "terminating connections to " + database);
}

// ---- The shared server ----

namespace {

struct Shared {
  std::mutex mutex;
  bool attempted = false;
  std::unique_ptr<PostgresServer> server;
  std::string why;
  std::atomic<int> databases{0};
};

Shared& shared() {
  static Shared instance;
  return instance;
}

// Stops the shared server when the test program ends (before static destruction, while the
// process still runs normally).
class PostgresEnvironment final : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard lock(shared().mutex);
    shared().server.reset();
  }
};

[[maybe_unused]] const ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

}  // namespace

PostgresServer* sharedPostgres() {
  Shared& s = shared();
  std::lock_guard lock(s.mutex);
  if (!s.attempted) {
    s.attempted = true;
    s.server = PostgresServer::start(&s.why);
    if (!s.server) {
      std::cerr << "\n****************************************************************\n"
                << "*** PostgreSQL tests are SKIPPED: the test server did not start.\n"
                << "*** " << s.why << "\n"
                << "****************************************************************\n"
                << std::endl;
    }
  }
  return s.server.get();
}

const std::string& postgresUnavailableReason() { return shared().why; }

std::string freshPostgresDatabase() {
  PostgresServer* server = sharedPostgres();
  if (server == nullptr) return {};
  const int n = ++shared().databases;
  return server->createDatabase("test_" + std::to_string(n));
}

}  // namespace ferry::testing
