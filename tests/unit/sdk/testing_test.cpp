// The fakes plugin authors rely on must behave as documented, or connector tests lie.
#include <gtest/gtest.h>

#include "ferry/sdk/testing/fake_host.hpp"

namespace ferry::sdk::testing {
namespace {

HttpRequest get(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  return r;
}

TEST(GlobMatchTest, StarMatchesAnyRun) {
  EXPECT_TRUE(globMatch("https://x/*", "https://x/a/b?c=d"));
  EXPECT_TRUE(globMatch("*", ""));
  EXPECT_TRUE(globMatch("a*b*c", "aXXbYYc"));
  EXPECT_TRUE(globMatch("a*b", "abab"));
  EXPECT_FALSE(globMatch("a*b", "abac"));
  EXPECT_FALSE(globMatch("https://x/", "https://x/a"));
  EXPECT_FALSE(globMatch("abc", "ab"));
}

TEST(ScriptedHttpClientTest, AnswersInDeclaredOrderAndRecordsRequests) {
  ScriptedHttpClient http;
  http.expect("GET", "https://api/items?page=*").respond(200, "first");
  http.expect("GET", "https://api/items?page=*").respond(500, "second", {{"Retry-After", "1"}});
  auto r1 = http.send(get("https://api/items?page=1"));
  auto r2 = http.send(get("https://api/items?page=2"));
  ASSERT_TRUE(r1.ok());
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r1->body, "first");
  EXPECT_EQ(r2->status, 500);
  ASSERT_NE(r2->header("retry-after"), nullptr);
  // Both used up: a third call is unexpected and fails loudly.
  auto r3 = http.send(get("https://api/items?page=3"));
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.error().message.find("GET https://api/items?page=3"), std::string::npos);
  EXPECT_EQ(http.requests().size(), 3u);
  EXPECT_EQ(http.unexpected().size(), 1u);
  EXPECT_TRUE(http.unmet().empty());
}

TEST(ScriptedHttpClientTest, MatchesMethodBodyAndCounts) {
  ScriptedHttpClient http;
  http.expect("POST", "https://api/token")
      .whenBodyContains("grant_type=refresh")
      .respond(200, "refreshed");
  http.expect("POST", "https://api/token").times(2).respond(401);
  http.expect("GET", "*").repeatedly().fail(Error::make(ErrorCode::kUnavailable, "timeout", true));
  HttpRequest post;
  post.method = "POST";
  post.url = "https://api/token";
  post.body = "grant_type=password";
  EXPECT_EQ(http.send(post)->status, 401);
  post.body = "grant_type=refresh_token";
  EXPECT_EQ(http.send(post)->body, "refreshed");
  auto failed = http.send(get("https://anything"));
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.error().retriable);
  const auto unmet = http.unmet();
  ASSERT_EQ(unmet.size(), 1u);
  EXPECT_EQ(unmet[0], "POST https://api/token (used 1 of 2)");
}

TEST(ScriptedHttpClientTest, RespondWithSeesTheRequest) {
  ScriptedHttpClient http;
  http.expect("PUT", "https://api/*").respondWith([](const HttpRequest& r) -> Result<HttpResponse> {
    HttpResponse resp;
    resp.status = 200;
    resp.body = r.body;
    return resp;
  });
  HttpRequest put = get("https://api/x");
  put.method = "PUT";
  put.body = "echo";
  EXPECT_EQ(http.send(put)->body, "echo");
}

TEST(ScriptedHttpClientTest, LoadsAScript) {
  ScriptedHttpClient http;
  ASSERT_TRUE(http.loadScript(R"([
    {"method":"GET","url":"https://api/a","status":201,"headers":{"X-N":"1"},"body":{"k":1}},
    {"method":"GET","url":"https://api/b","body":"plain","times":2}
  ])")
                  .ok());
  auto a = http.send(get("https://api/a"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->status, 201);
  EXPECT_EQ(a->body, R"({"k":1})");
  EXPECT_EQ(*a->header("x-n"), "1");
  EXPECT_EQ(http.send(get("https://api/b"))->body, "plain");
  EXPECT_EQ(http.unmet().size(), 1u);
}

TEST(ScriptedHttpClientTest, RejectsBadScriptsWithoutChangingTheClient) {
  ScriptedHttpClient http;
  auto st =
      http.loadScript(R"([{"method":"GET","url":"u"},{"method":"GET","url":"v","stauts":1}])");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "HTTP script entry 1: unknown key 'stauts'");
  EXPECT_TRUE(http.unmet().empty());
  EXPECT_FALSE(http.loadScript("{").ok());
  EXPECT_FALSE(http.loadScript("{}").ok());
  EXPECT_FALSE(http.loadScript(R"([{"method":"GET","url":"u","status":99}])").ok());
}

TEST(ScriptedHttpClientTest, RecordsBucketsAndPenalties) {
  ScriptedHttpClient http;
  http.defineBucket(RateBucket{"api", 5, 1});
  http.defineBucket(RateBucket{"api", 10, 2});
  http.penalize("api", std::chrono::milliseconds(1500));
  ASSERT_EQ(http.buckets().size(), 1u);
  EXPECT_DOUBLE_EQ(http.buckets()[0].ratePerSecond, 10);
  ASSERT_EQ(http.penalties().size(), 1u);
  EXPECT_EQ(http.penalties()[0].second.count(), 1500);
}

TEST(MemoryServicesTest, SecretsAndState) {
  MemorySecretStore secrets{{"api_key", "k1"}};
  EXPECT_EQ(*secrets.get("api_key"), "k1");
  auto missing = secrets.get("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(secrets.put("api_key", "k2").ok());
  EXPECT_EQ(*secrets.get("api_key"), "k2");
  ASSERT_TRUE(secrets.erase("api_key").ok());
  EXPECT_FALSE(secrets.get("api_key").ok());

  MemoryKeyValueState state;
  EXPECT_FALSE(state.get("w")->has_value());
  ASSERT_TRUE(state.put("w", "1").ok());
  EXPECT_EQ(state.get("w")->value(), "1");
  ASSERT_TRUE(state.erase("w").ok());
  EXPECT_TRUE(state.snapshot().empty());
}

TEST(MemoryServicesTest, LoggerClockMetrics) {
  CapturedLogger log;
  log.info("token refreshed");
  log.warn("slow response");
  EXPECT_TRUE(log.contains("refreshed"));
  EXPECT_FALSE(log.contains("refreshed", LogLevel::kWarn));
  EXPECT_EQ(log.dump(), "info: token refreshed\nwarn: slow response\n");

  ManualClock clock(1000);
  clock.sleepFor(std::chrono::milliseconds(250));
  clock.advance(std::chrono::milliseconds(50));
  EXPECT_EQ(clock.nowMs(), 1300);
  ASSERT_EQ(clock.sleeps().size(), 1u);

  RecordingMetrics metrics;
  metrics.add("calls", "sf", 1);
  metrics.add("calls", "sf", 2);
  metrics.set("queue", "", 7);
  EXPECT_DOUBLE_EQ(metrics.value("calls", "sf"), 3);
  EXPECT_DOUBLE_EQ(metrics.value("queue"), 7);
  EXPECT_FALSE(metrics.has("calls", "people"));
}

TEST(FakeHostTest, ContextIsWiredToTheFakes) {
  FakeHost host;
  const HostContext ctx = host.context(Object{{"directory", "/tmp"}}, "conn");
  EXPECT_EQ(ctx.connectionName, "conn");
  EXPECT_EQ(*ctx.settings.find("directory"), Value("/tmp"));
  ctx.logger->info("hello");
  EXPECT_TRUE(host.logger.contains("hello"));
  ctx.setHealth(ConnectionHealth::kNeedsReauthorization, "refresh token revoked");
  ASSERT_EQ(host.healthReports().size(), 1u);
  EXPECT_EQ(host.healthReports()[0].reason, "refresh token revoked");
  EXPECT_EQ(ctx.http, &host.http);
  EXPECT_EQ(ctx.clock, &host.clock);
  EXPECT_EQ(ctx.secrets, &host.secrets);
  EXPECT_EQ(ctx.state, &host.state);
  EXPECT_EQ(ctx.metrics, &host.metrics);
}

}  // namespace
}  // namespace ferry::sdk::testing
