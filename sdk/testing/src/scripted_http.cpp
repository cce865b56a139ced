#include "ferry/sdk/testing/scripted_http.hpp"

#include <algorithm>

#include "ferry/sdk/value.hpp"

namespace ferry::sdk::testing {

bool globMatch(std::string_view pattern, std::string_view text) noexcept {
  // Iterative glob with backtracking to the last '*': linear in practice, no recursion.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// ---- Expectation ------------------------------------------------------------------------------

ScriptedHttpClient::Expectation& ScriptedHttpClient::Expectation::respond(int status,
                                                                          std::string body,
                                                                          Headers headers) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  responder_ = [response](const HttpRequest&) -> Result<HttpResponse> { return response; };
  return *this;
}

ScriptedHttpClient::Expectation& ScriptedHttpClient::Expectation::respondWith(Responder fn) {
  responder_ = std::move(fn);
  return *this;
}

ScriptedHttpClient::Expectation& ScriptedHttpClient::Expectation::fail(Error error) {
  responder_ = [error](const HttpRequest&) -> Result<HttpResponse> { return error; };
  return *this;
}

ScriptedHttpClient::Expectation& ScriptedHttpClient::Expectation::whenBodyContains(
    std::string needle) {
  bodyNeedle_ = std::move(needle);
  return *this;
}

ScriptedHttpClient::Expectation& ScriptedHttpClient::Expectation::times(std::size_t n) {
  limit_ = n;
  unlimited_ = false;
  return *this;
}

ScriptedHttpClient::Expectation& ScriptedHttpClient::Expectation::repeatedly() {
  unlimited_ = true;
  return *this;
}

bool ScriptedHttpClient::Expectation::matches(const HttpRequest& request) const {
  return request.method == method_ && globMatch(urlPattern_, request.url) &&
         (bodyNeedle_.empty() || request.body.find(bodyNeedle_) != std::string::npos);
}

// ---- Client -----------------------------------------------------------------------------------

ScriptedHttpClient::Expectation& ScriptedHttpClient::expect(std::string method,
                                                            std::string urlPattern) {
  std::lock_guard lock(mutex_);
  expectations_.push_back(
      std::unique_ptr<Expectation>(new Expectation(std::move(method), std::move(urlPattern))));
  // Until told otherwise, an expectation answers 200 with an empty body.
  expectations_.back()->respond(200);
  return *expectations_.back();
}

Status ScriptedHttpClient::loadScript(std::string_view jsonText) {
  std::string parseError;
  const auto script = Value::fromJson(jsonText, &parseError);
  if (!script) {
    return Error::make(ErrorCode::kInvalidArgument, "HTTP script is not JSON: " + parseError);
  }
  if (!script->isList()) {
    return Error::make(ErrorCode::kInvalidArgument, "HTTP script must be a JSON array");
  }
  const List& entries = script->asList();
  auto bad = [](std::size_t i, const std::string& what) {
    return Error::make(ErrorCode::kInvalidArgument,
                       "HTTP script entry " + std::to_string(i) + ": " + what);
  };
  // Validate everything before adding anything, so a bad script leaves the client unchanged.
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].isObject()) return bad(i, "must be an object");
    const Object& e = entries[i].asObject();
    for (const auto& [key, value] : e) {
      if (key != "method" && key != "url" && key != "status" && key != "headers" && key != "body" &&
          key != "times") {
        return bad(i, "unknown key '" + key + "'");
      }
    }
    const Value* method = e.find("method");
    const Value* url = e.find("url");
    if (method == nullptr || !method->isString()) return bad(i, "'method' must be a string");
    if (url == nullptr || !url->isString()) return bad(i, "'url' must be a string");
    const Value* status = e.find("status");
    if (status != nullptr &&
        (!status->isInteger() || status->asInteger() < 100 || status->asInteger() > 599)) {
      return bad(i, "'status' must be an integer 100..599");
    }
    const Value* headers = e.find("headers");
    if (headers != nullptr) {
      if (!headers->isObject()) return bad(i, "'headers' must be an object");
      for (const auto& [name, value] : headers->asObject()) {
        if (!value.isString()) return bad(i, "header '" + name + "' must be a string");
      }
    }
    const Value* times = e.find("times");
    if (times != nullptr && (!times->isInteger() || times->asInteger() < 1)) {
      return bad(i, "'times' must be a positive integer");
    }
  }
  for (const auto& entry : entries) {
    const Object& e = entry.asObject();
    Headers headers;
    if (const Value* h = e.find("headers")) {
      for (const auto& [name, value] : h->asObject()) headers.emplace_back(name, value.asString());
    }
    std::string body;
    if (const Value* b = e.find("body")) body = b->isString() ? b->asString() : b->toJson();
    const Value* status = e.find("status");
    Expectation& x = expect(e.find("method")->asString(), e.find("url")->asString());
    x.respond(status != nullptr ? static_cast<int>(status->asInteger()) : 200, std::move(body),
              std::move(headers));
    if (const Value* t = e.find("times")) x.times(static_cast<std::size_t>(t->asInteger()));
  }
  return {};
}

Result<HttpResponse> ScriptedHttpClient::send(const HttpRequest& request) {
  Responder responder;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    for (auto& x : expectations_) {
      if (!x->exhausted() && x->matches(request)) {
        ++x->used_;
        responder = x->responder_;
        break;
      }
    }
    if (!responder) {
      unexpected_.push_back(request);
      return Error::make(ErrorCode::kInternal,
                         "unexpected HTTP request: " + request.method + " " + request.url);
    }
  }
  // Outside the lock: a responder may itself inspect the client.
  return responder(request);
}

void ScriptedHttpClient::defineBucket(const RateBucket& bucket) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(buckets_.begin(), buckets_.end(),
                         [&](const RateBucket& b) { return b.name == bucket.name; });
  if (it != buckets_.end()) {
    *it = bucket;
  } else {
    buckets_.push_back(bucket);
  }
}

void ScriptedHttpClient::penalize(const std::string& bucket, std::chrono::milliseconds pause) {
  std::lock_guard lock(mutex_);
  penalties_.emplace_back(bucket, pause);
}

std::vector<HttpRequest> ScriptedHttpClient::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<HttpRequest> ScriptedHttpClient::unexpected() const {
  std::lock_guard lock(mutex_);
  return unexpected_;
}

std::vector<std::string> ScriptedHttpClient::unmet() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& x : expectations_) {
    const bool met = x->unlimited_ ? x->used_ > 0 : x->used_ >= x->limit_;
    if (!met) {
      out.push_back(x->method_ + " " + x->urlPattern_ + " (used " + std::to_string(x->used_) +
                    " of " + (x->unlimited_ ? std::string("any") : std::to_string(x->limit_)) +
                    ")");
    }
  }
  return out;
}

std::vector<RateBucket> ScriptedHttpClient::buckets() const {
  std::lock_guard lock(mutex_);
  return buckets_;
}

std::vector<std::pair<std::string, std::chrono::milliseconds>> ScriptedHttpClient::penalties()
    const {
  std::lock_guard lock(mutex_);
  return penalties_;
}

void ScriptedHttpClient::clearRequests() {
  std::lock_guard lock(mutex_);
  requests_.clear();
  unexpected_.clear();
}

}  // namespace ferry::sdk::testing
