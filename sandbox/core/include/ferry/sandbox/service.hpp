// The seam between the sandbox's HTTP server (sandbox/core) and each emulated API
// (sandbox/salesforce, sandbox/people). The server parses the request, applies the fault knobs,
// counts the call and hands it to the service whose prefixes match; the service answers exactly
// as the real API would (status, headers, body).
//
// Threading: the server serialises every call into one service (handle, admin, reset, snapshot,
// restore, expireTokens, faultResponse), so a service needs no locking of its own for state
// touched only through these calls.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ferry::sandbox {

struct Request {
  std::string method;
  std::string path;                                        // decoded path, no query string
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // de-chunked
  std::string remoteAddress;

  const std::string* header(const std::string& name) const;  // case-insensitive
  const std::string* param(const std::string& name) const;   // first query value
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string contentType = "application/json;charset=UTF-8";
};

class Service {
 public:
  virtual ~Service() = default;
  virtual std::string name() const = 0;  // "salesforce" | "people": also the admin path segment
  // Path prefixes this service answers ("/services/", "/people/", ...).
  virtual std::vector<std::string> prefixes() const = 0;
  virtual Response handle(const Request& request) = 0;
  // Admin calls under /__sandbox/<name>/...: seed, mutate "as a user in the UI", dump, reset.
  virtual Response admin(const Request& request, const std::string& subPath) = 0;
  virtual void reset() = 0;
  // Whole state as JSON for the optional snapshot file; load restores it.
  virtual std::string snapshot() const = 0;
  virtual void restore(const std::string& json) = 0;

  // Optional hooks (added after the first seam; defaults keep older services compiling).
  // Name under which a call is counted, e.g. "GET /services/data/vXX.X/query": services group
  // paths with ids into one template so counters stay readable.
  virtual std::string endpointName(const Request& request) const;
  // Body the server sends when a fault knob fires (429 storm, injected 5xx), in the API's own
  // error envelope.
  virtual Response faultResponse(int status, const Request& request) const;
  // The "forced token expiry" knob: every access token issued so far becomes invalid.
  virtual void expireTokens() {}
};

}  // namespace ferry::sandbox
