// The sandbox HTTP server: one Poco HTTPServer on loopback that dispatches each request by path
// prefix to a registered Service, applies the fault knobs, counts calls, and serves the admin API
// under /__sandbox/ (see sandbox/README.md). Usable in-process: tests bind port 0 and read port().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ferry/sandbox/counters.hpp"
#include "ferry/sandbox/faults.hpp"
#include "ferry/sandbox/service.hpp"

namespace ferry::sandbox {

struct ServerOptions {
  std::string bindAddress = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port
  int maxThreads = 16;
  size_t maxBodyBytes = 160u * 1024 * 1024;  // above Bulk 2.0's 150 MB upload limit
  std::string snapshotPath;  // used by POST /__sandbox/snapshot/save|load; empty: disabled
};

class SandboxServer {
 public:
  explicit SandboxServer(ServerOptions options = {});
  ~SandboxServer();
  SandboxServer(const SandboxServer&) = delete;
  SandboxServer& operator=(const SandboxServer&) = delete;

  // Register before start(). The service's name() must be unique and URL-safe.
  void addService(std::unique_ptr<Service> service);
  Service* service(const std::string& name);

  void start();  // throws Poco::Exception when the address cannot be bound
  void stop();   // aborts open connections; idempotent
  bool running() const;
  uint16_t port() const;
  std::string baseUrl() const;  // "http://127.0.0.1:<port>"

  FaultInjector& faults();
  CallCounters& counters();

  // Whole state of every service: {"format":"ferry-sandbox-snapshot/1","services":{name:...}}.
  std::string snapshot();
  // Throws std::runtime_error with a precise message when the document is not a snapshot.
  void restore(const std::string& document);
  void saveSnapshot(const std::string& path);
  void loadSnapshot(const std::string& path);
  void resetAll();  // services, counters and knobs
  void expireTokens();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::sandbox
