// A scripted HttpClient for connector tests: declare the requests you expect and the responses
// to give; every request is recorded so tests can assert on what the connector sent.
//
//   ferry::sdk::testing::ScriptedHttpClient http;
//   http.expect("POST", "https://login.example.com/services/oauth2/token")
//       .respond(200, R"({"access_token":"t","instance_url":"https://x.example.com"})");
//   http.expect("GET", "https://x.example.com/services/data/*/query*").respond(200, page1);
//   ... run the connector ...
//   EXPECT_TRUE(http.unmet().empty());
//   EXPECT_EQ(http.requests()[1].url, "...");
//
// URL patterns are globs: '*' matches any run of characters (including '/' and '?'), every other
// character matches itself. Expectations are tried in the order they were declared; the first one
// that matches and still has uses left answers. A request nothing matches gets an kInternal
// Error naming it (and shows up in unexpected()), so a test fails loudly instead of hanging.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/sdk/http.hpp"

namespace ferry::sdk::testing {

// True when `text` matches the glob `pattern` ('*' = any run of characters).
bool globMatch(std::string_view pattern, std::string_view text) noexcept;

class ScriptedHttpClient final : public HttpClient {
 public:
  using Responder = std::function<Result<HttpResponse>(const HttpRequest&)>;

  class Expectation {
   public:
    // Answers with this status, body and headers.
    Expectation& respond(int status, std::string body = {}, Headers headers = {});
    // Answers with whatever `fn` returns (a response or an Error, e.g. a simulated timeout).
    Expectation& respondWith(Responder fn);
    // Answers with a transport error instead of a response.
    Expectation& fail(Error error);
    // Only matches requests whose body contains `needle`.
    Expectation& whenBodyContains(std::string needle);
    // How many requests this expectation answers (default 1); repeatedly() = without limit.
    Expectation& times(std::size_t n);
    Expectation& repeatedly();

    const std::string& method() const noexcept { return method_; }
    const std::string& urlPattern() const noexcept { return urlPattern_; }
    std::size_t used() const noexcept { return used_; }

   private:
    friend class ScriptedHttpClient;
    Expectation(std::string method, std::string urlPattern)
        : method_(std::move(method)), urlPattern_(std::move(urlPattern)) {}
    bool matches(const HttpRequest& request) const;
    bool exhausted() const noexcept { return !unlimited_ && used_ >= limit_; }

    std::string method_;
    std::string urlPattern_;
    std::string bodyNeedle_;
    Responder responder_;
    std::size_t limit_ = 1;
    std::size_t used_ = 0;
    bool unlimited_ = false;
  };

  // Declares an expected request. The returned reference stays valid for the client's life.
  Expectation& expect(std::string method, std::string urlPattern);

  // Adds expectations from a JSON script (a recorded session):
  //   [{"method":"GET","url":"https://x/*","status":200,
  //     "headers":{"Content-Type":"application/json"},"body":{...} or "text","times":2}]
  // A JSON body value is sent as its compact JSON text. Errors name the entry and the field.
  Status loadScript(std::string_view jsonText);

  // HttpClient
  Result<HttpResponse> send(const HttpRequest& request) override;
  void defineBucket(const RateBucket& bucket) override;
  void penalize(const std::string& bucket, std::chrono::milliseconds pause) override;

  // What happened, for assertions (copies: the client may be used from other threads).
  std::vector<HttpRequest> requests() const;
  std::vector<HttpRequest> unexpected() const;
  // "METHOD pattern (used n of m)" for every expectation not used up; repeatedly() ones count
  // as met once used at least once.
  std::vector<std::string> unmet() const;
  std::vector<RateBucket> buckets() const;
  std::vector<std::pair<std::string, std::chrono::milliseconds>> penalties() const;
  void clearRequests();

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Expectation>> expectations_;
  std::vector<HttpRequest> requests_;
  std::vector<HttpRequest> unexpected_;
  std::vector<RateBucket> buckets_;
  std::vector<std::pair<std::string, std::chrono::milliseconds>> penalties_;
};

}  // namespace ferry::sdk::testing
