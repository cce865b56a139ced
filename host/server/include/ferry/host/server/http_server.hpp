// The admin API's HTTP(S) listener on Poco: bearer-token check, body size limit and error
// containment in front of the Router. Handlers never see an unauthenticated request for an
// admin route, and nothing they throw reaches the client as more than "internal error".
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "ferry/host/server/router.hpp"
#include "ferry/sdk/result.hpp"

namespace ferry::host::server {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;                // 0: a free port (see port())
  std::string tlsCertificate;  // both set: HTTPS
  std::string tlsKey;
  std::size_t maxBodyBytes = 1024 * 1024;
  std::size_t threads = 8;
  std::vector<std::string> adminTokens;
};

class HttpServer {
 public:
  // The router must outlive the server.
  HttpServer(const Router& router, HttpServerOptions options);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. Fails (no exception) when the address is taken or the TLS files
  // cannot be loaded.
  sdk::Status start();
  // Stops accepting and waits for requests in progress.
  void stop();
  int port() const noexcept;
  bool tls() const noexcept;

  // The authentication, size limit and dispatch applied to every request (exposed for tests).
  ApiResponse handle(ApiRequest& request) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::host::server
