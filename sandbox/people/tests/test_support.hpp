// Helpers for the People emulator tests: requests for handle(), JSON access, controllable clocks.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "ferry/sandbox/people/service.hpp"

namespace ferry::sandbox::people::testing {

inline const std::string kKey = "test-key";

// Wall and steady clocks the test moves by hand (shared with the service through lambdas).
struct ManualClocks {
  std::atomic<int64_t> wallSeconds{1709647629};  // 2024-03-05T14:07:09Z
  std::atomic<int64_t> steadyMillis{1000};

  void advance(std::chrono::milliseconds by) {
    steadyMillis += by.count();
    wallSeconds += by.count() / 1000;
  }
  void advanceWall(std::chrono::seconds by) { wallSeconds += by.count(); }

  void install(PeopleOptions& options) {
    options.clock = [this] {
      return std::chrono::system_clock::time_point(std::chrono::seconds(wallSeconds.load()));
    };
    options.steadyClock = [this] {
      return std::chrono::steady_clock::time_point(std::chrono::milliseconds(steadyMillis.load()));
    };
  }
};

inline Request makeRequest(std::string method, std::string path,
                           std::vector<std::pair<std::string, std::string>> query = {},
                           std::string body = {}, std::string auth = "App " + kKey) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.query = std::move(query);
  request.body = std::move(body);
  if (!auth.empty()) request.headers.emplace_back("Authorization", std::move(auth));
  request.remoteAddress = "127.0.0.1";
  return request;
}

inline Poco::JSON::Object::Ptr parseObject(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

// requestError.serviceException of a legacy error body.
inline Poco::JSON::Object::Ptr serviceException(const std::string& body) {
  return parseObject(body)->getObject("requestError")->getObject("serviceException");
}

}  // namespace ferry::sandbox::people::testing
