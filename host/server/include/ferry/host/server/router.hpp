// Requests, responses and the route table of the admin API, independent of the HTTP library so
// handlers can be unit tested and the OpenAPI test can walk the routes.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/sdk/value.hpp"

namespace ferry::host::server {

struct ApiRequest {
  std::string method;
  std::string path;                                        // decoded, without the query string
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::map<std::string, std::string> params;  // {name} segments of the matched route

  // Case-insensitive header lookup.
  std::optional<std::string> header(std::string_view name) const;
  std::optional<std::string> queryValue(std::string_view name) const;
  const std::string& param(const std::string& name) const;
};

struct ApiResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static ApiResponse json(int status, const sdk::Value& value);
  // {"error": {"status": 404, "code": "not-found", "message": "..."}} (plus `details` if given).
  static ApiResponse error(int status, std::string code, std::string message,
                           std::optional<sdk::Value> details = std::nullopt);
  static ApiResponse text(int status, std::string body, std::string contentType);
};

// Who may call a route.
enum class Access {
  kPublic,   // health checks
  kAdmin,    // a bearer admin token
  kOwnCheck  // the handler authenticates (OAuth callback by `state`, inbound by shared secret)
};

using Handler = std::function<ApiResponse(const ApiRequest&)>;

struct Route {
  std::string method;
  std::string pattern;  // "/api/v1/flows/{flow}", as in the OpenAPI document
  Access access = Access::kAdmin;
  Handler handler;
};

class Router {
 public:
  void add(std::string method, std::string pattern, Access access, Handler handler);

  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    bool pathKnown = false;  // some route has this path (for 405 instead of 404)
  };
  Match match(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const noexcept { return routes_; }

 private:
  std::vector<Route> routes_;
};

// Percent-decoding of a path segment or query component ('+' is a space in queries only).
std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace);
std::string percentEncode(std::string_view text);
std::vector<std::pair<std::string, std::string>> parseQuery(std::string_view query);

// Comparison whose time depends only on the lengths, never on where the strings differ.
bool constantTimeEquals(std::string_view a, std::string_view b) noexcept;

}  // namespace ferry::host::server
