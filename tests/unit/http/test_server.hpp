// A Poco HTTP server on 127.0.0.1, port 0, whose behaviour each test supplies as a lambda.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>

namespace ferry::host::testing {

using Handler = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;

class TestServer {
 public:
  explicit TestServer(Handler handler, Poco::Timespan keepAliveTimeout = Poco::Timespan(10, 0))
      : TestServer(std::move(handler),
                   Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)),
                   keepAliveTimeout, "http") {}

  // HTTPS with the given PEM certificate chain and key.
  static std::unique_ptr<TestServer> https(Handler handler, const std::string& certFile,
                                           const std::string& keyFile) {
    Poco::Net::Context::Params params;
    params.certificateFile = certFile;
    params.privateKeyFile = keyFile;
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;
    params.loadDefaultCAs = false;
    Poco::Net::Context::Ptr ctx =
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, ctx);
    return std::unique_ptr<TestServer>(
        new TestServer(std::move(handler), socket, Poco::Timespan(10, 0), "https"));
  }

  ~TestServer() {
    server_->stopAll(true);
    // Handlers still running (a deliberately slow one) use the server's objects: let them end
    // before the server is destroyed.
    for (int i = 0; i < 500 && server_->currentConnections() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::string url(const std::string& path) const {
    return scheme_ + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  int acceptedConnections() const { return server_->totalConnections(); }
  int requests() const { return requests_->load(); }

  // Writes body with Content-Length (so the connection can be kept alive).
  static void reply(Poco::Net::HTTPServerResponse& resp, const std::string& body,
                    Poco::Net::HTTPResponse::HTTPStatus status = Poco::Net::HTTPResponse::HTTP_OK) {
    resp.setStatus(status);
    resp.setContentLength(static_cast<std::streamsize>(body.size()));
    resp.send() << body;
  }

 private:
  TestServer(Handler handler, const Poco::Net::ServerSocket& socket,
             Poco::Timespan keepAliveTimeout, std::string scheme)
      : handler_(std::make_shared<Handler>(std::move(handler))), scheme_(std::move(scheme)) {
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(keepAliveTimeout);
    params->setMaxKeepAliveRequests(0);  // unlimited
    params->setMaxThreads(4);
    server_ =
        std::make_unique<Poco::Net::HTTPServer>(new Factory(handler_, requests_), socket, params);
    server_->start();
  }

  class Dispatch final : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Dispatch(std::shared_ptr<Handler> h) : handler_(std::move(h)) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      (*handler_)(req, resp);
    }

   private:
    std::shared_ptr<Handler> handler_;
  };
  class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    Factory(std::shared_ptr<Handler> h, std::shared_ptr<std::atomic<int>> n)
        : handler_(std::move(h)), requests_(std::move(n)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      ++*requests_;
      return new Dispatch(handler_);
    }

   private:
    std::shared_ptr<Handler> handler_;
    std::shared_ptr<std::atomic<int>> requests_;
  };

  std::shared_ptr<Handler> handler_;
  std::string scheme_;
  std::shared_ptr<std::atomic<int>> requests_ = std::make_shared<std::atomic<int>>(0);
  std::uint16_t port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace ferry::host::testing
