#include <gtest/gtest.h>

#include "ferry/host/http/http_client.hpp"
#include "ferry/sdk/testing/memory_services.hpp"
#include "test_server.hpp"
#include "tls_files.hpp"

namespace ferry::host {
namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;
using testing::TestServer;
using testing::TlsFiles;

void hello(HTTPServerRequest&, HTTPServerResponse& resp) {
  TestServer::reply(resp, "secure hello");
}

HttpClientOptions optionsWithCa(const std::string& ca, sdk::Clock& clock) {
  HttpClientOptions o;
  o.connection = "tls";
  o.caLocation = ca;
  o.clock = &clock;
  return o;
}

TEST(HttpsClient, TrustedServerWorksWithKeepAlive) {
  TlsFiles pki("127.0.0.1");
  auto server = TestServer::https(hello, pki.certPath(), pki.keyPath());
  sdk::testing::ManualClock clock;
  PocoHttpClient client(optionsWithCa(pki.caPath(), clock));
  sdk::HttpRequest req;
  req.url = server->url("/hello");
  for (int i = 0; i < 3; ++i) {
    auto r = client.send(req);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "secure hello");
  }
  EXPECT_EQ(server->acceptedConnections(), 1);
  EXPECT_EQ(client.stats().connectionsOpened, 1u);
}

TEST(HttpsClient, UntrustedCertificateIsRejectedWithoutRetrying) {
  TlsFiles pki("127.0.0.1");
  auto server = TestServer::https(hello, pki.certPath(), pki.keyPath());
  sdk::testing::ManualClock clock;
  PocoHttpClient client(optionsWithCa("/etc/ssl/certs", clock));  // system CAs only
  sdk::HttpRequest req;
  req.url = server->url("/hello");
  auto r = client.send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, sdk::ErrorCode::kUnavailable);
  EXPECT_FALSE(r.error().retriable);
  EXPECT_NE(r.error().message.find("TLS"), std::string::npos) << r.error().message;
  EXPECT_EQ(client.stats().attempts, 1u);
  EXPECT_EQ(server->requests(), 0);
}

TEST(HttpsClient, CertificateForAnotherHostIsRejected) {
  TlsFiles pki("api.example.com");
  auto server = TestServer::https(hello, pki.certPath(), pki.keyPath());
  sdk::testing::ManualClock clock;
  PocoHttpClient client(optionsWithCa(pki.caPath(), clock));
  sdk::HttpRequest req;
  req.url = server->url("/hello");
  auto r = client.send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.error().retriable);
  EXPECT_NE(r.error().message.find("certificate"), std::string::npos) << r.error().message;
  EXPECT_EQ(server->requests(), 0);
}

}  // namespace
}  // namespace ferry::host
