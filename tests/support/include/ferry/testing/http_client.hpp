// A small HTTP client for tests talking to `ferry serve` or a sandbox over loopback.
#pragma once

#include <map>
#include <string>

namespace ferry::testing {

struct HttpAnswer {
  int status = 0;  // -1 when no answer came; body then says why
  std::string body;
  std::map<std::string, std::string> headers;  // last value per name
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// One request to base + path (base like "http://127.0.0.1:8080"); never follows redirects.
// Empty token: no Authorization header.
HttpAnswer httpCall(const std::string& base, const std::string& method, const std::string& path,
                    const std::string& token = {}, const std::string& body = {},
                    const std::string& contentType = "application/json");

}  // namespace ferry::testing
