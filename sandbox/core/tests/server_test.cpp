// Drives SandboxServer through a real HTTP client on loopback port 0.
#include <gtest/gtest.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/server.hpp"

namespace ferry::sandbox {
namespace {

// Echoes what the server handed it, so the tests see exactly what a service receives.
class EchoService : public Service {
 public:
  std::string name() const override { return "echo"; }
  std::vector<std::string> prefixes() const override { return {"/echo/"}; }
  Response handle(const Request& request) override {
    ++calls_;
    if (request.path == "/echo/throw") throw std::runtime_error("boom");
    Poco::JSON::Object out;
    out.set("method", request.method);
    out.set("path", request.path);
    out.set("body", request.body);
    out.set("size", request.body.size());
    const std::string* q = request.param("q");
    out.set("q", q ? *q : "");
    const std::string* h = request.header("x-test");
    out.set("header", h ? *h : "");
    out.set("tokensExpired", expired_);
    std::ostringstream text;
    out.stringify(text);
    return jsonResponse(200, text.str());
  }
  Response admin(const Request& request, const std::string& subPath) override {
    return jsonResponse(200, "{\"sub\":\"" + subPath + "\"}");
  }
  void reset() override { calls_ = 0; }
  std::string snapshot() const override { return "{\"calls\":" + std::to_string(calls_) + "}"; }
  void restore(const std::string& json) override {
    calls_ =
        Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>()->getValue<int>("calls");
  }
  std::string endpointName(const Request& request) const override {
    return request.method + " /echo/*";
  }
  void expireTokens() override { expired_ = true; }

  int calls_ = 0;
  bool expired_ = false;
};

struct Reply {
  int status = 0;
  std::string body;
  Poco::JSON::Object::Ptr json() const {
    return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  }
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto service = std::make_unique<EchoService>();
    echo_ = service.get();
    server_.addService(std::move(service));
    server_.start();
  }

  Reply call(const std::string& method, const std::string& uri, const std::string& body = "",
             bool chunked = false, const std::string& testHeader = "") {
    Poco::Net::HTTPClientSession session("127.0.0.1", server_.port());
    Poco::Net::HTTPRequest request(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    if (chunked)
      request.setChunkedTransferEncoding(true);
    else if (!body.empty() || method == "POST" || method == "PUT")
      request.setContentLength(body.size());
    if (!testHeader.empty()) request.set("X-Test", testHeader);
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Reply reply;
    reply.status = response.getStatus();
    Poco::StreamCopier::copyToString(in, reply.body);
    return reply;
  }

  SandboxServer server_;
  EchoService* echo_ = nullptr;
};

TEST_F(ServerTest, BindsLoopbackOnAFreePort) {
  EXPECT_GT(server_.port(), 0);
  EXPECT_EQ(server_.baseUrl(), "http://127.0.0.1:" + std::to_string(server_.port()));
}

TEST_F(ServerTest, DispatchesByPrefixWithDecodedPathQueryAndHeaders) {
  Reply reply = call("GET", "/echo/a%20b?q=SELECT+Id%2C+Name&x=1", "", false, "yes");
  ASSERT_EQ(reply.status, 200);
  auto json = reply.json();
  EXPECT_EQ(json->getValue<std::string>("path"), "/echo/a b");
  EXPECT_EQ(json->getValue<std::string>("q"), "SELECT Id, Name");
  EXPECT_EQ(json->getValue<std::string>("header"), "yes");
  EXPECT_EQ(call("GET", "/nothing/here").status, 404);
}

TEST_F(ServerTest, DechunksRequestBodies) {
  std::string body(200000, 'x');
  Reply reply = call("PUT", "/echo/upload", body, true);
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.json()->getValue<size_t>("size"), body.size());
}

TEST_F(ServerTest, ServiceExceptionBecomes500AndServerKeepsServing) {
  EXPECT_EQ(call("GET", "/echo/throw").status, 500);
  EXPECT_EQ(call("GET", "/echo/ok").status, 200);
}

TEST_F(ServerTest, GarbageOnTheWireDoesNotCrash) {
  for (std::string garbage :
       {std::string("\x01\x02\x03 nonsense\r\n\r\n"),
        std::string("GET /echo/x HTTP/1.1\r\nContent-Length: 999999999999999999999\r\n\r\n"),
        std::string("POST /echo/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")}) {
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", server_.port()));
    socket.sendBytes(garbage.data(), static_cast<int>(garbage.size()));
    socket.shutdownSend();
    char buffer[1024];
    socket.setReceiveTimeout(Poco::Timespan(5, 0));
    try {
      while (socket.receiveBytes(buffer, sizeof buffer) > 0) {
      }
    } catch (const Poco::Exception&) {
    }
  }
  EXPECT_EQ(call("GET", "/echo/alive").status, 200);
}

TEST_F(ServerTest, Storm429ForNRequestsThenNormal) {
  ASSERT_EQ(call("PUT", "/__sandbox/faults", R"({"storm429Requests":2})").status, 200);
  EXPECT_EQ(call("GET", "/echo/a").status, 429);
  EXPECT_EQ(call("GET", "/echo/a").status, 429);
  EXPECT_EQ(call("GET", "/echo/a").status, 200);
  auto counters = call("GET", "/__sandbox/counters").json();
  auto endpoint = counters->getObject("endpoints")->getObject("echo GET /echo/*");
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->getValue<int>("calls"), 3);
  EXPECT_EQ(endpoint->getObject("status")->getValue<int>("429"), 2);
  EXPECT_EQ(endpoint->getObject("status")->getValue<int>("200"), 1);
  EXPECT_EQ(echo_->calls_, 1);  // storm answers never reach the service
}

TEST_F(ServerTest, StormSwitchOnAndOff) {
  call("PUT", "/__sandbox/faults", R"({"storm429":true})");
  EXPECT_EQ(call("GET", "/echo/a").status, 429);
  EXPECT_EQ(call("GET", "/echo/a").status, 429);
  call("PUT", "/__sandbox/faults", R"({"storm429":false})");
  EXPECT_EQ(call("GET", "/echo/a").status, 200);
}

TEST_F(ServerTest, ErrorShareAndStatus) {
  ASSERT_EQ(call("PUT", "/__sandbox/faults", R"({"errorShare":1.0,"errorStatus":502})").status,
            200);
  EXPECT_EQ(call("GET", "/echo/a").status, 502);
  ASSERT_EQ(call("DELETE", "/__sandbox/faults").status, 200);
  EXPECT_EQ(call("GET", "/echo/a").status, 200);
}

TEST_F(ServerTest, ErrorShareIsRoughlyTheShareAndReproducible) {
  auto run = [&] {
    call("PUT", "/__sandbox/faults", R"({"errorShare":0.3,"seed":7})");
    std::string pattern;
    for (int i = 0; i < 60; ++i) pattern += call("GET", "/echo/a").status == 200 ? '.' : 'E';
    call("DELETE", "/__sandbox/faults");
    return pattern;
  };
  std::string first = run();
  long errors = std::count(first.begin(), first.end(), 'E');
  EXPECT_GT(errors, 6);
  EXPECT_LT(errors, 32);
  EXPECT_EQ(run(), first);
}

TEST_F(ServerTest, DropClosesTheConnectionWithoutAResponse) {
  call("PUT", "/__sandbox/faults", R"({"dropShare":1.0})");
  EXPECT_THROW(call("GET", "/echo/a"), Poco::Exception);
  call("DELETE", "/__sandbox/faults");
  EXPECT_EQ(call("GET", "/echo/a").status, 200);
  auto endpoint = call("GET", "/__sandbox/counters")
                      .json()
                      ->getObject("endpoints")
                      ->getObject("echo GET /echo/*");
  EXPECT_EQ(endpoint->getValue<int>("dropped"), 1);
}

TEST_F(ServerTest, LatencyIsAdded) {
  call("PUT", "/__sandbox/faults", R"({"latencyMs":120})");
  auto start = std::chrono::steady_clock::now();
  call("GET", "/echo/a");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(120));
}

TEST_F(ServerTest, BadKnobsAreRejectedPrecisely) {
  Reply reply = call("PUT", "/__sandbox/faults", R"({"errorShare":2})");
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("errorShare"), std::string::npos);
  EXPECT_EQ(call("PUT", "/__sandbox/faults", R"({"bogus":1})").status, 400);
  EXPECT_EQ(call("PUT", "/__sandbox/faults", "{not json").status, 400);
  EXPECT_EQ(call("GET", "/__sandbox/nope").status, 404);
}

TEST_F(ServerTest, ExpireTokensIsDelegated) {
  EXPECT_EQ(call("POST", "/__sandbox/expire-tokens").status, 200);
  EXPECT_TRUE(echo_->expired_);
}

TEST_F(ServerTest, CountersResetAndResetAll) {
  call("GET", "/echo/a");
  EXPECT_EQ(call("POST", "/__sandbox/counters/reset").status, 200);
  EXPECT_EQ(call("GET", "/__sandbox/counters").json()->getObject("endpoints")->size(), 0u);
  call("GET", "/echo/a");
  call("PUT", "/__sandbox/faults", R"({"latencyMs":5})");
  EXPECT_EQ(call("POST", "/__sandbox/reset").status, 200);
  EXPECT_EQ(echo_->calls_, 0);
  EXPECT_EQ(server_.faults().knobs().latencyMs, 0);
}

TEST_F(ServerTest, ServiceAdminIsForwarded) {
  Reply reply = call("POST", "/__sandbox/echo/seed/now", "{}");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.json()->getValue<std::string>("sub"), "/seed/now");
}

TEST_F(ServerTest, SnapshotRoundTrip) {
  call("GET", "/echo/a");
  call("GET", "/echo/a");
  Reply snapshot = call("GET", "/__sandbox/snapshot");
  ASSERT_EQ(snapshot.status, 200);
  call("POST", "/__sandbox/reset");
  EXPECT_EQ(echo_->calls_, 0);
  EXPECT_EQ(call("PUT", "/__sandbox/snapshot", snapshot.body).status, 200);
  EXPECT_EQ(echo_->calls_, 2);
  Reply bad = call("PUT", "/__sandbox/snapshot",
                   R"({"format":"ferry-sandbox-snapshot/1","services":{"ghost":{}}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("ghost"), std::string::npos);
  EXPECT_EQ(call("POST", "/__sandbox/snapshot/save").status, 409);  // no file configured
}

TEST(ServerLifecycle, StopIsIdempotentAndFreesThePort) {
  SandboxServer server;
  server.start();
  EXPECT_TRUE(server.running());
  server.stop();
  server.stop();
  EXPECT_FALSE(server.running());
}

}  // namespace
}  // namespace ferry::sandbox
