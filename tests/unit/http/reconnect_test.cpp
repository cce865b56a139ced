// A pooled connection that the server drops right after receiving the next request: the case
// the stale-socket check cannot see coming. Driven by a raw socket server so the test controls
// exactly when the connection dies.
#include <atomic>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include "ferry/host/http/http_client.hpp"
#include "ferry/sdk/testing/memory_services.hpp"

namespace ferry::host {
namespace {

// Serves connections one after another. On the first connection it answers the first request
// and silently closes on the second; later connections answer every request with "fresh".
class DroppingServer {
 public:
  DroppingServer() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    thread_ = std::thread([this] { run(); });
  }
  ~DroppingServer() {
    stop_ = true;
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + path;
  }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }

 private:
  void run() {
    while (!stop_) {
      if (!socket_.poll(Poco::Timespan(0, 20'000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::StreamSocket conn = socket_.acceptConnection();
      const int index = ++connections_;
      for (int n = 1; !stop_; ++n) {
        if (!readRequest(conn)) break;
        ++requests_;
        if (index == 1 && n == 2) break;  // drop it: no response at all
        const std::string body = index == 1 ? "first" : "fresh";
        const std::string resp =
            "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\nConnection: keep-alive\r\n\r\n" + body;
        conn.sendBytes(resp.data(), static_cast<int>(resp.size()));
      }
      conn.close();
    }
  }

  // Reads one request head plus its Content-Length body; false when the client went away.
  bool readRequest(Poco::Net::StreamSocket& conn) {
    std::string data;
    char buf[1024];
    conn.setReceiveTimeout(Poco::Timespan(2, 0));
    while (data.find("\r\n\r\n") == std::string::npos) {
      int n = 0;
      try {
        n = conn.receiveBytes(buf, sizeof buf);
      } catch (const Poco::Exception&) {
        return false;
      }
      if (n <= 0) return false;
      data.append(buf, static_cast<std::size_t>(n));
    }
    const auto head = data.substr(0, data.find("\r\n\r\n") + 4);
    std::size_t length = 0;
    if (auto p = head.find("Content-Length: "); p != std::string::npos) {
      length = std::stoul(head.substr(p + 16));
    }
    while (data.size() < head.size() + length) {
      const int n = conn.receiveBytes(buf, sizeof buf);
      if (n <= 0) return false;
      data.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  Poco::Net::ServerSocket socket_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
};

HttpClientOptions quietOptions(sdk::Clock& clock) {
  HttpClientOptions o;
  o.connection = "drop";
  o.clock = &clock;
  return o;
}

TEST(HttpReconnect, IdempotentRequestMovesToAFreshConnectionWithoutUsingARetry) {
  DroppingServer server;
  sdk::testing::ManualClock clock;
  PocoHttpClient client(quietOptions(clock));
  sdk::HttpRequest req;
  req.url = server.url("/a");
  req.retry.maxAttempts = 1;  // the policy allows no retry: the reconnect is not one
  ASSERT_EQ(client.send(req)->body, "first");
  auto r = client.send(req);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->body, "fresh");
  EXPECT_EQ(r->attempts, 1);
  EXPECT_EQ(server.connections(), 2);
  const auto s = client.stats();
  EXPECT_EQ(s.staleConnections, 1u);
  EXPECT_EQ(s.networkErrors, 1u);  // the dropped exchange is still counted
  EXPECT_EQ(s.retries, 0u);
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST(HttpReconnect, NonIdempotentRequestIsNotResentAfterItMayHaveArrived) {
  DroppingServer server;
  sdk::testing::ManualClock clock;
  PocoHttpClient client(quietOptions(clock));
  sdk::HttpRequest req;
  req.url = server.url("/create");
  req.method = "POST";
  req.body = R"({"n":1})";
  req.retry.idempotent = false;
  ASSERT_EQ(client.send(req)->body, "first");
  auto r = client.send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, sdk::ErrorCode::kUnavailable);
  EXPECT_EQ(server.requests(), 2);  // the server did receive it: resending could duplicate
  EXPECT_EQ(server.connections(), 1);
}

}  // namespace
}  // namespace ferry::host
