// Router, configuration, the listener's checks (tokens, body size, error containment) and the
// OpenAPI document against the routes the admin service registers.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <yaml-cpp/yaml.h>

#include "ferry/host/common/clock.hpp"
#include "ferry/host/server/admin_service.hpp"
#include "ferry/host/server/config.hpp"
#include "ferry/host/server/http_server.hpp"
#include "ferry/host/server/router.hpp"

namespace ferry::host::server {
namespace {

namespace fs = std::filesystem;

TEST(ServerRouterTest, MatchesPatternsAndDecodesParameters) {
  Router router;
  router.add("GET", "/api/v1/flows/{flow}", Access::kAdmin, [](const ApiRequest& r) {
    return ApiResponse::text(200, r.param("flow"), "text/plain");
  });
  router.add("POST", "/api/v1/flows/{flow}/run", Access::kAdmin,
             [](const ApiRequest&) { return ApiResponse::text(202, "", "text/plain"); });
  auto m = router.match("GET", "/api/v1/flows/a%20b");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("flow"), "a b");
  EXPECT_EQ(router.match("POST", "/api/v1/flows/x/run").route->pattern, "/api/v1/flows/{flow}/run");
  auto wrongMethod = router.match("DELETE", "/api/v1/flows/x");
  EXPECT_EQ(wrongMethod.route, nullptr);
  EXPECT_TRUE(wrongMethod.pathKnown);
  auto unknown = router.match("GET", "/api/v1/other");
  EXPECT_EQ(unknown.route, nullptr);
  EXPECT_FALSE(unknown.pathKnown);
  EXPECT_EQ(router.match("GET", "/api/v1/flows/%zz").route, nullptr);  // bad escape
  EXPECT_THROW(router.add("GET", "/api/v1/flows/{flow}", Access::kAdmin, nullptr),
               std::logic_error);
}

TEST(ServerRouterTest, QueryParsingAndEncoding) {
  auto q = parseQuery("a=1&b=x+y&c=%2Fz&empty=&flag");
  ASSERT_EQ(q.size(), 5U);
  EXPECT_EQ(q[1].second, "x y");
  EXPECT_EQ(q[2].second, "/z");
  EXPECT_EQ(q[4].first, "flag");
  EXPECT_EQ(percentEncode("a b/c"), "a%20b%2Fc");
  EXPECT_FALSE(percentDecode("%4", false).has_value());
  EXPECT_TRUE(constantTimeEquals("secret-token", "secret-token"));
  EXPECT_FALSE(constantTimeEquals("secret-token", "secret-tokem"));
  EXPECT_FALSE(constantTimeEquals("secret-token", "secret-token-longer"));
  EXPECT_FALSE(constantTimeEquals("", "x"));
}

TEST(ServeConfigTest, ParsesEveryKey) {
  auto c = parseServeConfig(R"(listen: { address: 0.0.0.0, port: 9443 }
tls: { certificate: /c.pem, key: /k.pem }
public_url: https://ferry.example.com/
state: postgresql://ferry@db/ferry
plugin_dirs: [/a, /b]
flow_dir: /flows
log: { format: json, level: warn, file: /tmp/x.log }
tokens: [abcdefghijklmnopqrstuvwxyz]
token_file: /etc/ferry/tokens
master_key: { env: "", file: /etc/ferry/master.key }
limits: { max_body_bytes: 2048 }
scheduler: { threads: 3, node: n1 }
oauth: { state_ttl: 30 }
)",
                            "ferry.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->address, "0.0.0.0");
  EXPECT_EQ(c->port, 9443);
  EXPECT_EQ(c->publicUrl, "https://ferry.example.com");
  EXPECT_EQ(c->pluginDirs.size(), 2U);
  EXPECT_EQ(c->log.format, LogFormat::kJson);
  EXPECT_EQ(c->masterKey.envVar, "");
  EXPECT_EQ(c->maxBodyBytes, 2048U);
  EXPECT_EQ(c->threads, 3U);
  EXPECT_EQ(c->node, "n1");
  EXPECT_EQ(c->oauthStateTtlSeconds, 30);
}

TEST(ServeConfigTest, ShippedExampleParses) {
  auto c = loadServeConfig(FERRY_EXAMPLE_CONFIG);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->address, "127.0.0.1");
  EXPECT_EQ(c->publicUrl, "https://ferry.example.com");
  EXPECT_EQ(c->masterKey.file, "/etc/ferry/master.key");
}

TEST(ServeConfigTest, ReportsEveryProblemWithItsPosition) {
  auto c = parseServeConfig(
      "listen: { adress: x, port: 70000 }\nstat: sqlite://x\n"
      "tls: { certificate: /c.pem }\nlog: { level: loud }\n",
      "ferry.yaml");
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  EXPECT_NE(m.find("ferry.yaml:1:11: unknown key 'adress' in listen"), std::string::npos) << m;
  EXPECT_NE(m.find("ferry.yaml:1:28: listen.port must be a whole number from 0 to 65535"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("ferry.yaml:2:1: unknown key 'stat'"), std::string::npos) << m;
  EXPECT_NE(m.find("tls needs both certificate and key"), std::string::npos) << m;
  EXPECT_NE(m.find("ferry.yaml:4:15:"), std::string::npos) << m;
  EXPECT_FALSE(parseServeConfig("listen: [", "bad.yaml"));
  EXPECT_TRUE(parseServeConfig("", "empty.yaml"));
}

TEST(ServeConfigTest, AdminTokensComeFromAPrivateFile) {
  const fs::path dir = fs::temp_directory_path() / ("ferry-tokens-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string file = (dir / "tokens").string();
  std::ofstream(file) << "# comment\n  0123456789abcdef0123  \n\nshort-token-but-16+ # trailing\n";
  ::chmod(file.c_str(), 0600);
  ServeConfig config;
  config.tokenFile = file;
  auto tokens = loadAdminTokens(config);
  ASSERT_TRUE(tokens) << tokens.error().message;
  EXPECT_EQ(*tokens, (std::vector<std::string>{"0123456789abcdef0123", "short-token-but-16+"}));
  ::chmod(file.c_str(), 0644);
  EXPECT_FALSE(loadAdminTokens(config));
  config.tokenFile.clear();
  EXPECT_FALSE(loadAdminTokens(config));  // no tokens at all: refused
  config.tokens = {"tooshort"};
  EXPECT_FALSE(loadAdminTokens(config));
  fs::remove_all(dir);
}

class ServerListenerTest : public ::testing::Test {
 protected:
  ServerListenerTest() {
    router_.add("GET", "/healthz", Access::kPublic,
                [](const ApiRequest&) { return ApiResponse::text(200, "ok", "text/plain"); });
    router_.add("POST", "/api/v1/echo", Access::kAdmin,
                [](const ApiRequest& r) { return ApiResponse::text(200, r.body, "text/plain"); });
    router_.add("GET", "/api/v1/boom", Access::kAdmin, [](const ApiRequest&) -> ApiResponse {
      throw std::runtime_error("stack detail that must stay inside");
    });
    HttpServerOptions options;
    options.maxBodyBytes = 16;
    options.adminTokens = {"first-token-0123456789", "second-token-0123456789"};
    server_ = std::make_unique<HttpServer>(router_, options);
  }
  ApiResponse send(std::string method, std::string path, std::string token, std::string body = {}) {
    ApiRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    if (!token.empty()) r.headers.emplace_back("authorization", "Bearer " + token);
    r.body = std::move(body);
    return server_->handle(r);
  }
  Router router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ServerListenerTest, TokensBodyLimitAndErrors) {
  EXPECT_EQ(send("GET", "/healthz", "").status, 200);
  EXPECT_EQ(send("POST", "/api/v1/echo", "").status, 401);
  EXPECT_EQ(send("POST", "/api/v1/echo", "first-token-012345678").status, 401);
  EXPECT_EQ(send("POST", "/api/v1/echo", "second-token-0123456789", "hi").body, "hi");
  EXPECT_EQ(send("POST", "/api/v1/echo", "first-token-0123456789", std::string(17, 'x')).status,
            413);
  EXPECT_EQ(send("GET", "/api/v1/missing", "").status, 401);
  EXPECT_EQ(send("GET", "/api/v1/missing", "first-token-0123456789").status, 404);
  EXPECT_EQ(send("GET", "/api/v1/echo", "first-token-0123456789").status, 405);
  const ApiResponse boom = send("GET", "/api/v1/boom", "first-token-0123456789");
  EXPECT_EQ(boom.status, 500);
  EXPECT_EQ(boom.body.find("stack detail"), std::string::npos);
}

// HTTPS with the configured certificate (made by the openssl tool; skipped without it).
TEST(ServerTlsTest, ServesHttpsWithTheConfiguredCertificate) {
  const fs::path dir = fs::temp_directory_path() / ("ferry-tls-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string cert = (dir / "cert.pem").string();
  const std::string key = (dir / "key.pem").string();
  const std::string make =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-keyout " +
      key + " -out " + cert + " > /dev/null 2>&1";
  if (std::system(make.c_str()) != 0) {
    fs::remove_all(dir);
    GTEST_SKIP() << "no openssl tool to make a test certificate";
  }
  Router router;
  router.add("GET", "/healthz", Access::kPublic,
             [](const ApiRequest&) { return ApiResponse::text(200, "ok", "text/plain"); });
  HttpServerOptions options;
  options.tlsCertificate = cert;
  options.tlsKey = key;
  options.adminTokens = {"first-token-0123456789"};
  HttpServer server(router, options);
  ASSERT_TRUE(server.start());
  EXPECT_TRUE(server.tls());

  Poco::Net::Context::Ptr client = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "",
                                                          Poco::Net::Context::VERIFY_NONE);
  Poco::Net::HTTPSClientSession session("127.0.0.1", static_cast<Poco::UInt16>(server.port()),
                                        client);
  Poco::Net::HTTPRequest request("GET", "/healthz", Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
  EXPECT_EQ(response.getStatus(), 200);
  EXPECT_EQ(body, "ok");
  server.stop();

  HttpServerOptions broken = options;
  broken.tlsKey = (dir / "missing.pem").string();
  HttpServer refused(router, broken);
  auto started = refused.start();
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message.find("cannot listen"), std::string::npos);
  fs::remove_all(dir);
}

// Every route the service registers is in docs/openapi.yaml and every documented operation is
// a route.
TEST(ServerOpenApiTest, DocumentMatchesTheRoutes) {
  const fs::path dir = fs::temp_directory_path() / ("ferry-openapi-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto store = openStateStore("sqlite://" + (dir / "state.db").string());
  ASSERT_TRUE(store) << store.error().message;
  AdminService service(AdminServiceOptions{}, std::move(*store), std::make_unique<PluginRegistry>(),
                       MasterKey::generate(), systemClock());
  std::set<std::string> routes;
  for (const auto& r : service.router().routes()) routes.insert(r.method + " " + r.pattern);

  YAML::Node doc = YAML::LoadFile(FERRY_OPENAPI_FILE);
  ASSERT_EQ(doc["openapi"].as<std::string>().substr(0, 2), "3.");
  std::set<std::string> documented;
  for (const auto& path : doc["paths"]) {
    for (const auto& op : path.second) {
      std::string method = op.first.as<std::string>();
      if (method == "parameters") continue;
      for (auto& c : method) c = static_cast<char>(std::toupper(c));
      documented.insert(method + " " + path.first.as<std::string>());
      EXPECT_TRUE(op.second["responses"]) << method << " " << path.first.as<std::string>();
    }
  }
  for (const auto& r : routes) EXPECT_TRUE(documented.count(r)) << "undocumented route " << r;
  for (const auto& d : documented)
    EXPECT_TRUE(routes.count(d)) << "documented but not served: " << d;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ferry::host::server
