#include "ferry/host/server/http_server.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <istream>
#include <thread>

#include "ferry/host/common/logging.hpp"

namespace ferry::host::server {
namespace {

// Reads at most limit + 1 bytes: enough to tell an oversize body without buffering it.
std::string readBody(std::istream& in, std::size_t limit) {
  std::string body;
  char buffer[8192];
  while (body.size() <= limit && in) {
    in.read(buffer, sizeof buffer);
    body.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  return body;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const Router& router, HttpServerOptions options)
      : router_(router), options_(std::move(options)), log_(getLogger("ferry.server")) {}

  ApiResponse handle(ApiRequest& request) const {
    const Router::Match match = router_.match(request.method, request.path);
    if (match.route == nullptr) {
      // Unknown paths answer 401 to anonymous callers too, so probing learns nothing.
      if (!authorised(request)) return unauthorised();
      if (match.pathKnown) {
        return ApiResponse::error(405, "", request.method + " is not allowed on " + request.path);
      }
      return ApiResponse::error(404, "", "no such endpoint: " + request.path);
    }
    if (match.route->access == Access::kAdmin && !authorised(request)) return unauthorised();
    if (request.body.size() > options_.maxBodyBytes) return tooLarge();
    request.params = match.params;
    try {
      return match.route->handler(request);
    } catch (const std::exception& e) {
      logWith(*log_, sdk::LogLevel::kError, std::string("request failed: ") + e.what(),
              {{"method", request.method}, {"path", request.path}});
    } catch (...) {
      logWith(*log_, sdk::LogLevel::kError, "request failed with an unknown exception",
              {{"method", request.method}, {"path", request.path}});
    }
    return ApiResponse::error(500, "", "internal error; see the server log");
  }

  ApiResponse tooLarge() const {
    return ApiResponse::error(
        413, "", "request body larger than " + std::to_string(options_.maxBodyBytes) + " bytes");
  }

  bool authorised(const ApiRequest& request) const {
    const auto header = request.header("Authorization");
    constexpr std::string_view kScheme = "Bearer ";
    if (!header || header->size() <= kScheme.size() ||
        !std::equal(kScheme.begin(), kScheme.end(), header->begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return false;
    }
    const std::string_view token = std::string_view(*header).substr(kScheme.size());
    bool found = false;
    for (const auto& t : options_.adminTokens) found = constantTimeEquals(token, t) || found;
    return found;
  }

  static ApiResponse unauthorised() {
    ApiResponse r = ApiResponse::error(401, "", "missing or wrong bearer token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"ferry\"");
    return r;
  }

  class RequestHandler final : public Poco::Net::HTTPRequestHandler {
   public:
    explicit RequestHandler(const Impl& impl) : impl_(impl) {}
    void handleRequest(Poco::Net::HTTPServerRequest& in,
                       Poco::Net::HTTPServerResponse& out) override {
      const auto started = std::chrono::steady_clock::now();
      ApiRequest request;
      request.method = in.getMethod();
      const std::string& uri = in.getURI();
      const std::size_t q = uri.find('?');
      auto path = percentDecode(std::string_view(uri).substr(0, q), false);
      request.path = path ? *path : uri;
      if (q != std::string::npos) request.query = parseQuery(std::string_view(uri).substr(q + 1));
      for (const auto& [name, value] : in) request.headers.emplace_back(name, value);
      ApiResponse response;
      const auto declared = in.getContentLength64();
      if (declared > 0 && static_cast<std::uint64_t>(declared) > impl_.options_.maxBodyBytes) {
        response = impl_.tooLarge();
        discardBody(in, out);
      } else if (in.hasContentLength() || in.getChunkedTransferEncoding()) {
        // Without either a request has no body (RFC 9112 6.3); reading would wait for the
        // client to close the connection.
        request.body = readBody(in.stream(), impl_.options_.maxBodyBytes);
        if (request.body.size() > impl_.options_.maxBodyBytes) {
          response = impl_.tooLarge();
          discardBody(in, out);
        } else {
          response = impl_.handle(request);
        }
      } else {
        response = impl_.handle(request);
      }
      out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status));
      out.setContentType(response.contentType);
      out.set("Cache-Control", "no-store");
      out.set("X-Content-Type-Options", "nosniff");
      for (const auto& [name, value] : response.headers) out.set(name, value);
      out.setContentLength64(static_cast<Poco::Int64>(response.body.size()));
      out.send() << response.body;
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
      const auto level = response.status >= 500 ? sdk::LogLevel::kError : sdk::LogLevel::kDebug;
      logWith(*impl_.log_, level, "request",
              {{"method", request.method},
               {"path", request.path},
               {"status", std::to_string(response.status)},
               {"ms", std::to_string(ms)}});
    }

   private:
    // Reads and drops the rest of an oversize body (up to kDrainLimit) so the client, still
    // sending, gets the 413 instead of a reset connection; the connection is closed afterwards.
    static void discardBody(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) {
      constexpr std::streamsize kDrainLimit = 16 << 20;
      in.stream().ignore(kDrainLimit);
      out.setKeepAlive(false);
    }

    const Impl& impl_;
  };

  class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(const Impl& impl) : impl_(impl) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new RequestHandler(impl_);
    }

   private:
    const Impl& impl_;
  };

  sdk::Status start() {
    try {
      const Poco::Net::SocketAddress address(options_.address,
                                             static_cast<Poco::UInt16>(options_.port));
      Poco::Net::ServerSocket socket;
      if (!options_.tlsCertificate.empty()) {
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, options_.tlsKey,
                                   options_.tlsCertificate, "", Poco::Net::Context::VERIFY_NONE, 9,
                                   false, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5:!RC4");
        context->disableProtocols(
            Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
            Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
        socket = Poco::Net::SecureServerSocket(address, 64, context);
        tls_ = true;
      } else {
        socket = Poco::Net::ServerSocket(address, 64);
      }
      port_ = socket.address().port();
      auto* params = new Poco::Net::HTTPServerParams();
      params->setMaxThreads(static_cast<int>(options_.threads));
      params->setMaxQueued(256);
      params->setKeepAlive(true);
      params->setTimeout(Poco::Timespan(30, 0));
      // An own pool, joined by stop(): request threads end with the server, and so does the
      // per-thread state libraries keep for them (OpenSSL's random generators).
      const int threads = static_cast<int>(options_.threads);
      pool_ = std::make_unique<Poco::ThreadPool>(std::min(2, threads), threads);
      server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), *pool_, socket, params);
      server_->start();
      return {};
    } catch (const Poco::Exception& e) {
      return sdk::Error::make(sdk::ErrorCode::kUnavailable,
                              "cannot listen on " + options_.address + ":" +
                                  std::to_string(options_.port) + ": " + e.displayText());
    }
  }

  void stop() {
    if (server_) {
      server_->stopAll(false);
      // Let requests in progress end (they are short) before the router goes away.
      for (int i = 0; i < 100 && server_->currentConnections() > 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      server_.reset();
    }
    if (pool_) {
      pool_->joinAll();
      pool_.reset();
    }
  }

  const Router& router_;
  HttpServerOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<Poco::ThreadPool> pool_;  // declared before server_: outlives it
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
  bool tls_ = false;
};

HttpServer::HttpServer(const Router& router, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(router, std::move(options))) {}
HttpServer::~HttpServer() { stop(); }
sdk::Status HttpServer::start() { return impl_->start(); }
void HttpServer::stop() { impl_->stop(); }
int HttpServer::port() const noexcept { return impl_->port_; }
bool HttpServer::tls() const noexcept { return impl_->tls_; }
ApiResponse HttpServer::handle(ApiRequest& request) const { return impl_->handle(request); }

}  // namespace ferry::host::server
