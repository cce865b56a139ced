#include "ferry/host/http/http_client.hpp"

#include <atomic>
#include <sstream>
#include <thread>

#include <Poco/DeflatingStream.h>
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include "ferry/host/common/logging.hpp"
#include "ferry/sdk/testing/memory_services.hpp"
#include "test_server.hpp"

namespace ferry::host {
namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;
using std::chrono::milliseconds;
using testing::TestServer;

std::string readBody(HTTPServerRequest& req) {
  std::string body;
  char buf[4096];
  while (req.stream().read(buf, sizeof buf) || req.stream().gcount() > 0) {
    body.append(buf, static_cast<std::size_t>(req.stream().gcount()));
  }
  return body;
}

sdk::HttpRequest get(const std::string& url) {
  sdk::HttpRequest r;
  r.url = url;
  r.retry.baseDelay = milliseconds(100);
  r.retry.maxDelay = milliseconds(10'000);
  return r;
}

struct HttpClientTest : ::testing::Test {
  sdk::testing::ManualClock clock;
  MetricsRegistry registry;
  std::ostringstream logged;
  std::shared_ptr<spdlog::logger> logger;

  HttpClientTest() {
    auto sink =
        std::make_shared<RedactingSink>(std::make_shared<spdlog::sinks::ostream_sink_mt>(logged),
                                        LogFormat::kText, std::make_shared<Redactor>());
    logger = std::make_shared<spdlog::logger>("ferry.http", sink);
    logger->set_level(spdlog::level::trace);
  }

  HttpClientOptions options() {
    HttpClientOptions o;
    o.connection = "conn1";
    o.clock = &clock;
    o.jitterSeed = 42;
    o.metrics = &registry;
    o.logger = logger;
    return o;
  }

  std::int64_t sleptMs() const {
    std::int64_t total = 0;
    for (auto d : clock.sleeps()) total += d.count();
    return total;
  }
};

TEST_F(HttpClientTest, KeepAliveReusesOneConnection) {
  TestServer server([](HTTPServerRequest& req, HTTPServerResponse& resp) {
    TestServer::reply(resp, "hello " + req.getURI());
  });
  PocoHttpClient client(options());
  for (int i = 0; i < 5; ++i) {
    auto r = client.send(get(server.url("/n/" + std::to_string(i))));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello /n/" + std::to_string(i));
    EXPECT_EQ(r->attempts, 1);
  }
  EXPECT_EQ(server.acceptedConnections(), 1);
  const auto s = client.stats();
  EXPECT_EQ(s.connectionsOpened, 1u);
  EXPECT_EQ(s.connectionsReused, 4u);
  EXPECT_EQ(s.requests, 5u);
  EXPECT_EQ(s.attempts, 5u);
}

TEST_F(HttpClientTest, ReconnectsTransparentlyAfterServerClosedIdleConnection) {
  // The server drops keep-alive connections after 100 ms of idleness.
  TestServer server(
      [](HTTPServerRequest&, HTTPServerResponse& resp) { TestServer::reply(resp, "ok"); },
      Poco::Timespan(0, 100'000));
  PocoHttpClient client(options());
  auto req = get(server.url("/a"));
  req.retry.maxAttempts = 1;  // the reconnect must not rely on the retry policy
  ASSERT_TRUE(client.send(req).ok());
  std::this_thread::sleep_for(milliseconds(400));
  auto r = client.send(req);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(server.acceptedConnections(), 2);
  const auto s = client.stats();
  EXPECT_EQ(s.connectionsOpened, 2u);
  EXPECT_GE(s.staleConnections, 1u);
  EXPECT_EQ(s.networkErrors, 0u);
}

TEST_F(HttpClientTest, ConnectionCloseResponseIsNotPooled) {
  TestServer server([](HTTPServerRequest&, HTTPServerResponse& resp) {
    resp.setKeepAlive(false);
    TestServer::reply(resp, "bye");
  });
  PocoHttpClient client(options());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client.send(get(server.url("/"))).ok());
  EXPECT_EQ(server.acceptedConnections(), 3);
  EXPECT_EQ(client.stats().connectionsReused, 0u);
}

TEST_F(HttpClientTest, GzipIsRequestedAndInflated) {
  const std::string text = [] {
    std::string t;
    for (int i = 0; i < 2000; ++i) t += "{\"id\":" + std::to_string(i) + ",\"name\":\"same\"}\n";
    return t;
  }();
  std::atomic<bool> askedForGzip{false};
  TestServer server([&](HTTPServerRequest& req, HTTPServerResponse& resp) {
    askedForGzip = req.get("Accept-Encoding", "") == "gzip";
    std::ostringstream compressed;
    {
      Poco::DeflatingOutputStream z(compressed, Poco::DeflatingStreamBuf::STREAM_GZIP);
      z << text;
      z.close();
    }
    resp.set("Content-Encoding", "gzip");
    TestServer::reply(resp, compressed.str());
  });
  PocoHttpClient client(options());
  for (int i = 0; i < 2; ++i) {  // the second call proves the connection survived the inflate
    auto r = client.send(get(server.url("/big")));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->body, text);
    EXPECT_EQ(r->header("Content-Encoding"), nullptr);
  }
  EXPECT_TRUE(askedForGzip);
  EXPECT_EQ(server.acceptedConnections(), 1);
  const auto s = client.stats();
  EXPECT_LT(s.bytesIn, text.size() / 5) << "bytesIn counts the compressed body";
  EXPECT_GT(s.bytesIn, 0u);
}

TEST_F(HttpClientTest, BrokenGzipIsAnErrorNotACrash) {
  TestServer server([](HTTPServerRequest&, HTTPServerResponse& resp) {
    resp.set("Content-Encoding", "gzip");
    TestServer::reply(resp, "definitely not gzip");
  });
  PocoHttpClient client(options());
  auto req = get(server.url("/"));
  req.retry.maxAttempts = 1;
  auto r = client.send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("GET http://127.0.0.1"), std::string::npos) << r.error().message;
}

TEST_F(HttpClientTest, Retries503HonouringRetryAfter) {
  std::atomic<int> calls{0};
  TestServer server([&](HTTPServerRequest&, HTTPServerResponse& resp) {
    if (++calls <= 2) {
      resp.set("Retry-After", "2");
      TestServer::reply(resp, "busy", HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
    } else {
      TestServer::reply(resp, "done");
    }
  });
  PocoHttpClient client(options());
  auto r = client.send(get(server.url("/x")));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->attempts, 3);
  EXPECT_EQ(sleptMs(), 4000);  // exactly what the server asked for, twice
  const auto s = client.stats();
  EXPECT_EQ(s.retries, 2u);
  EXPECT_EQ(s.calls.at("default").at(503), 2u);
  EXPECT_EQ(s.calls.at("default").at(200), 1u);
  EXPECT_EQ(s.backoffWaitMs, 4000);
}

TEST_F(HttpClientTest, FiveHundredsUseJitteredBackoffAndReturnLastResponse) {
  TestServer server([](HTTPServerRequest&, HTTPServerResponse& resp) {
    TestServer::reply(resp, "oops", HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
  });
  PocoHttpClient client(options());
  auto req = get(server.url("/"));
  req.retry.maxAttempts = 4;
  auto r = client.send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->attempts, 4);
  EXPECT_EQ(server.requests(), 4);
  const auto sleeps = clock.sleeps();
  ASSERT_EQ(sleeps.size(), 3u);
  // Full jitter: each wait lies in [0, base * 2^(n-1)].
  EXPECT_LE(sleeps[0].count(), 100);
  EXPECT_LE(sleeps[1].count(), 200);
  EXPECT_LE(sleeps[2].count(), 400);
}

TEST_F(HttpClientTest, NonIdempotentPostIsNotRetriedOn5xx) {
  std::atomic<int> calls{0};
  std::string received;
  TestServer server([&](HTTPServerRequest& req, HTTPServerResponse& resp) {
    ++calls;
    received = readBody(req);
    TestServer::reply(resp, "fail", HTTPResponse::HTTP_BAD_GATEWAY);
  });
  PocoHttpClient client(options());
  auto req = get(server.url("/create"));
  req.method = "POST";
  req.body = R"({"name":"x"})";
  req.headers = {{"Content-Type", "application/json"}};
  req.retry.idempotent = false;
  auto r = client.send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(received, req.body);
  EXPECT_EQ(client.stats().bytesOut, req.body.size());
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST_F(HttpClientTest, NonIdempotentPostIsRetriedOn429) {
  std::atomic<int> calls{0};
  TestServer server([&](HTTPServerRequest& req, HTTPServerResponse& resp) {
    readBody(req);
    if (++calls == 1) {
      resp.set("Retry-After", "1");
      TestServer::reply(resp, "slow down", HTTPResponse::HTTP_TOO_MANY_REQUESTS);
    } else {
      TestServer::reply(resp, "created", HTTPResponse::HTTP_CREATED);
    }
  });
  PocoHttpClient client(options());
  auto req = get(server.url("/create"));
  req.method = "POST";
  req.body = "{}";
  req.retry.idempotent = false;
  auto r = client.send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(sleptMs(), 1000);
  EXPECT_EQ(client.stats().throttled, 1u);
}

TEST_F(HttpClientTest, TooManyRequestsPausesTheBucketForOtherCallersToo) {
  std::atomic<int> calls{0};
  TestServer server([&](HTTPServerRequest&, HTTPServerResponse& resp) {
    if (++calls == 1) {
      resp.set("Retry-After", "3");
      TestServer::reply(resp, "", HTTPResponse::HTTP_TOO_MANY_REQUESTS);
    } else {
      TestServer::reply(resp, "ok");
    }
  });
  PocoHttpClient client(options());
  client.defineBucket({"api", 10.0, 1.0});
  auto req = get(server.url("/"));
  req.bucket = "api";
  auto r = client.send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->attempts, 2);
  // The retry waited for the bucket: the 3 s pause, then one token at 10/s.
  EXPECT_EQ(sleptMs(), 3100);
  const auto s = client.stats();
  EXPECT_EQ(s.calls.at("api").at(429), 1u);
  EXPECT_EQ(s.rateLimitWaitMs, 3100);
}

TEST_F(HttpClientTest, RetryAfterLongerThanMaxDelayIsReturnedNotWaited) {
  TestServer server([&](HTTPServerRequest&, HTTPServerResponse& resp) {
    resp.set("Retry-After", "3600");
    TestServer::reply(resp, "", HTTPResponse::HTTP_TOO_MANY_REQUESTS);
  });
  PocoHttpClient client(options());
  auto r = client.send(get(server.url("/")));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST_F(HttpClientTest, ReadTimeoutIsARetriableUnavailableError) {
  TestServer server([](HTTPServerRequest&, HTTPServerResponse& resp) {
    std::this_thread::sleep_for(milliseconds(300));
    TestServer::reply(resp, "late");
  });
  PocoHttpClient client(options());
  auto req = get(server.url("/slow?q=1"));
  req.timeout = milliseconds(100);
  req.retry.maxAttempts = 1;
  auto r = client.send(req);
  ASSERT_FALSE(r.ok());  // the answer comes at 300 ms: only a working timeout fails the call
  EXPECT_EQ(r.error().code, sdk::ErrorCode::kUnavailable);
  EXPECT_TRUE(r.error().retriable);
  EXPECT_NE(r.error().message.find("timed out after 100 ms"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().message.find("q=1"), std::string::npos) << "no query strings in errors";
  EXPECT_EQ(client.stats().networkErrors, 1u);
}

TEST_F(HttpClientTest, NetworkErrorsRetriedOnlyWhenIdempotent) {
  std::uint16_t port = 0;
  {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = s.address().port();
  }  // closed: connections are refused
  PocoHttpClient client(options());
  auto req = get("http://127.0.0.1:" + std::to_string(port) + "/");
  req.retry.maxAttempts = 3;
  auto r = client.send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, sdk::ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("after 3 attempts"), std::string::npos) << r.error().message;
  EXPECT_EQ(client.stats().networkErrors, 3u);
  EXPECT_EQ(client.stats().calls.at("default").at(0), 3u);

  req.method = "POST";
  req.retry.idempotent = false;
  auto r2 = client.send(req);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(client.stats().networkErrors, 4u);
}

TEST_F(HttpClientTest, TokenBucketSpacesCallsAtTheConfiguredRate) {
  TestServer server(
      [](HTTPServerRequest&, HTTPServerResponse& resp) { TestServer::reply(resp, "ok"); });
  PocoHttpClient client(options());
  client.defineBucket({"people-default", 5.0, 1.0});
  auto req = get(server.url("/people"));
  req.bucket = "people-default";
  const auto start = clock.nowMs();
  for (int i = 0; i < 11; ++i) ASSERT_TRUE(client.send(req).ok());
  // 11 calls at 5/s with a burst of 1: the first is free, ten more wait 200 ms each.
  EXPECT_EQ(clock.nowMs() - start, 2000);
  EXPECT_EQ(client.stats().rateLimitWaitMs, 2000);
  EXPECT_EQ(client.stats().callsInBucket("people-default"), 11u);
  // Unlimited requests do not wait.
  auto free = get(server.url("/other"));
  ASSERT_TRUE(client.send(free).ok());
  EXPECT_EQ(client.stats().rateLimitWaitMs, 2000);
}

TEST_F(HttpClientTest, InvalidBucketDefinitionsAreRefused) {
  PocoHttpClient client(options());
  client.defineBucket({"bad", 0.0, 1.0});
  client.defineBucket({"nan", std::nan(""), 1.0});
  EXPECT_NE(logged.str().find("rate bucket 'bad' refused"), std::string::npos) << logged.str();
  client.penalize("missing", milliseconds(1000));  // no-op, no crash
}

TEST_F(HttpClientTest, CountersReachTheMetricsRegistry) {
  std::atomic<int> calls{0};
  TestServer server([&](HTTPServerRequest&, HTTPServerResponse& resp) {
    if (++calls == 1) {
      TestServer::reply(resp, "x", HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
    } else {
      TestServer::reply(resp, "ok");
    }
  });
  PocoHttpClient client(options());
  client.defineBucket({"q", 100.0, 10.0});
  auto req = get(server.url("/"));
  req.bucket = "q";
  ASSERT_TRUE(client.send(req).ok());
  ASSERT_TRUE(client.send(req).ok());
  const auto text = registry.renderPrometheus();
  EXPECT_NE(text.find(R"(ferry_http_requests_total{connection="conn1",bucket="q",status="503"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(ferry_http_requests_total{connection="conn1",bucket="q",status="200"} 2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(ferry_http_retries_total{connection="conn1",bucket="q"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find(R"(ferry_http_request_duration_seconds_count{connection="conn1",bucket="q"} 3)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(ferry_http_connections_opened_total{connection="conn1"} 1)"),
            std::string::npos)
      << text;
  const auto s = client.stats();
  EXPECT_EQ(s.latency.count, 3u);
  std::uint64_t inBuckets = 0;
  for (auto c : s.latency.counts) inBuckets += c;
  EXPECT_EQ(inBuckets, 3u);
}

TEST_F(HttpClientTest, AuthorizationBodiesAndQueriesNeverReachTheLog) {
  TestServer server([](HTTPServerRequest& req, HTTPServerResponse& resp) {
    readBody(req);
    TestServer::reply(resp, "token=response-secret", HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
  });
  PocoHttpClient client(options());
  auto req = get(server.url("/oauth/token?code=query-secret"));
  req.method = "POST";
  req.headers = {{"Authorization", "Bearer header-secret"}};
  req.body = "client_secret=body-secret";
  req.sensitiveBody = true;
  req.retry.maxAttempts = 2;
  auto r = client.send(req);
  ASSERT_TRUE(r.ok());
  const std::string log = logged.str();
  EXPECT_NE(log.find("POST http://127.0.0.1"), std::string::npos) << log;
  EXPECT_NE(log.find("HTTP 503"), std::string::npos) << log;
  for (const char* secret : {"header-secret", "body-secret", "query-secret", "response-secret"}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " leaked: " << log;
  }
}

TEST_F(HttpClientTest, BadRequestsAreRejectedWithPreciseErrors) {
  PocoHttpClient client(options());
  auto r1 = client.send(get("ftp://example.com/x"));
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code, sdk::ErrorCode::kInvalidArgument);
  EXPECT_NE(r1.error().message.find("ftp"), std::string::npos);
  auto r2 = client.send(get("not a url at all"));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, sdk::ErrorCode::kInvalidArgument);
  auto bad = get("http://127.0.0.1:1/");
  bad.method = "GE T";
  auto r3 = client.send(bad);
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().code, sdk::ErrorCode::kInvalidArgument);
  EXPECT_EQ(client.stats().attempts, 0u);
}

TEST_F(HttpClientTest, OversizedResponsesAreRefused) {
  TestServer server([](HTTPServerRequest&, HTTPServerResponse& resp) {
    TestServer::reply(resp, std::string(10'000, 'x'));
  });
  auto o = options();
  o.maxResponseBytes = 1000;
  PocoHttpClient client(o);
  auto r = client.send(get(server.url("/")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, sdk::ErrorCode::kMalformedResponse);
  EXPECT_NE(r.error().message.find("larger than 1000 bytes"), std::string::npos);
}

TEST_F(HttpClientTest, ConcurrentCallersShareThePool) {
  TestServer server([](HTTPServerRequest& req, HTTPServerResponse& resp) {
    TestServer::reply(resp, req.getURI());
  });
  auto o = options();
  o.maxIdlePerOrigin = 4;
  PocoHttpClient client(o);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        auto r = client.send(get(server.url(path)));
        if (r.ok() && r->body == path) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_LE(server.acceptedConnections(), 4);
  EXPECT_EQ(client.stats().attempts, 40u);
}

}  // namespace
}  // namespace ferry::host
