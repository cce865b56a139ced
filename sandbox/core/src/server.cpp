#include "ferry/sandbox/server.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/ThreadPool.h>

#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/json_writer.hpp"
#include "ferry/sdk/json_text.hpp"

namespace ferry::sandbox {
namespace {

constexpr std::string_view kAdminPrefix = "/__sandbox";

struct Mounted {
  std::unique_ptr<Service> service;
  std::mutex mutex;  // serialises every call into the service (see service.hpp)
};

Response adminOk(std::string body = R"({"ok":true})") { return jsonResponse(200, std::move(body)); }

std::string knobsJson(const FaultKnobs& knobs) {
  JsonWriter json;
  json.beginObject()
      .key("latencyMs")
      .value(knobs.latencyMs)
      .key("errorShare")
      .value(knobs.errorShare)
      .key("errorStatus")
      .value(knobs.errorStatus)
      .key("dropShare")
      .value(knobs.dropShare)
      .key("storm429")
      .value(knobs.storm429)
      .key("storm429Requests")
      .value(knobs.storm429Remaining)
      .key("seed")
      .value(knobs.seed)
      .endObject();
  return json.take();
}

// Reads the whole body; Poco de-chunks Transfer-Encoding: chunked transparently.
bool readBody(std::istream& in, size_t limit, std::string& body) {
  char buffer[65536];
  while (in) {
    in.read(buffer, sizeof buffer);
    std::streamsize got = in.gcount();
    if (got <= 0) break;
    if (body.size() + static_cast<size_t>(got) > limit) return false;
    body.append(buffer, static_cast<size_t>(got));
  }
  return true;
}

// Splits "a=1&b=%20" of the raw request target into decoded pairs ('+' stays '+': RFC 3986 query
// strings, which is how Salesforce reads q=...; clients encode spaces as %20 or '+', and SOQL
// needs a literal '+' in datetime offsets encoded as %2B anyway).
std::vector<std::pair<std::string, std::string>> parseQueryString(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('&', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string_view key = eq == std::string_view::npos ? part : part.substr(0, eq);
      std::string_view value =
          eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
      out.emplace_back(percentDecode(key, true), percentDecode(value, true));
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

struct SandboxServer::Impl {
  ServerOptions options;
  std::vector<std::unique_ptr<Mounted>> services;
  FaultInjector faults;
  CallCounters counters;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> http;
  uint16_t port = 0;
  mutable std::mutex lifecycle;

  Mounted* byName(const std::string& name) {
    for (auto& mounted : services)
      if (mounted->service->name() == name) return mounted.get();
    return nullptr;
  }

  // Longest matching prefix wins, so "/services/data/" could be split from "/services/oauth2/".
  Mounted* byPath(const std::string& path) {
    Mounted* best = nullptr;
    size_t bestLength = 0;
    for (auto& mounted : services) {
      for (const auto& prefix : mounted->service->prefixes()) {
        if (startsWith(path, prefix) && prefix.size() > bestLength) {
          best = mounted.get();
          bestLength = prefix.size();
        }
      }
    }
    return best;
  }

  std::string snapshot() {
    std::string out = R"({"format":"ferry-sandbox-snapshot/1","services":{)";
    bool first = true;
    for (auto& mounted : services) {
      std::lock_guard lock(mounted->mutex);
      if (!first) out += ',';
      first = false;
      sdk::appendJsonString(out, mounted->service->name());
      out += ':';
      out += mounted->service->snapshot();
    }
    out += "}}";
    return out;
  }

  void restore(const std::string& document) {
    Poco::JSON::Object::Ptr root;
    try {
      root = Poco::JSON::Parser().parse(document).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception& error) {
      throw std::runtime_error(std::string("snapshot is not a JSON object: ") + error.what());
    }
    if (!root || root->optValue<std::string>("format", "") != "ferry-sandbox-snapshot/1")
      throw std::runtime_error("snapshot lacks \"format\":\"ferry-sandbox-snapshot/1\"");
    auto parts = root->getObject("services");
    if (!parts) throw std::runtime_error("snapshot lacks a \"services\" object");
    for (const auto& name : parts->getNames()) {
      if (!byName(name)) throw std::runtime_error("snapshot names unknown service '" + name + "'");
    }
    for (const auto& name : parts->getNames()) {
      Mounted* mounted = byName(name);
      std::ostringstream part;
      parts->get(name).extract<Poco::JSON::Object::Ptr>()->stringify(part);
      std::lock_guard lock(mounted->mutex);
      mounted->service->restore(part.str());
    }
  }

  void resetAll() {
    for (auto& mounted : services) {
      std::lock_guard lock(mounted->mutex);
      mounted->service->reset();
    }
    counters.reset();
    faults.clear();
  }

  void expireTokens() {
    for (auto& mounted : services) {
      std::lock_guard lock(mounted->mutex);
      mounted->service->expireTokens();
    }
  }

  Response admin(const Request& request);
  Response setFaults(const Request& request);
};

Response SandboxServer::Impl::setFaults(const Request& request) {
  Poco::JSON::Object::Ptr body;
  try {
    body = Poco::JSON::Parser().parse(request.body).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    return adminError(400, "body must be a JSON object of fault knobs");
  }
  if (!body) return adminError(400, "body must be a JSON object of fault knobs");
  FaultKnobs knobs = faults.knobs();
  try {
    for (const auto& name : body->getNames()) {
      auto value = body->get(name);
      if (name == "latencyMs")
        knobs.latencyMs = value.convert<int>();
      else if (name == "errorShare")
        knobs.errorShare = value.convert<double>();
      else if (name == "errorStatus")
        knobs.errorStatus = value.convert<int>();
      else if (name == "dropShare")
        knobs.dropShare = value.convert<double>();
      else if (name == "storm429")
        knobs.storm429 = value.convert<bool>();
      else if (name == "storm429Requests")
        knobs.storm429Remaining = value.convert<int>();
      else if (name == "seed")
        knobs.seed = value.convert<uint64_t>();
      else if (name == "expireTokens") {
        if (value.convert<bool>()) expireTokens();
      } else {
        return adminError(400, "unknown fault knob '" + name + "'");
      }
    }
  } catch (const std::exception&) {
    return adminError(400, "fault knob has a value of the wrong type");
  }
  std::string problem = faults.set(knobs);
  if (!problem.empty()) return adminError(400, problem);
  return adminOk(knobsJson(faults.knobs()));
}

Response SandboxServer::Impl::admin(const Request& request) {
  std::string rest = request.path.substr(kAdminPrefix.size());
  auto parts = splitPath(rest);
  const std::string& method = request.method;
  if (parts.empty()) {
    if (method != "GET") return adminError(405, "use GET");
    JsonWriter json;
    json.beginObject().key("services").beginArray();
    for (auto& mounted : services) {
      json.beginObject().key("name").value(mounted->service->name()).key("prefixes").beginArray();
      for (const auto& prefix : mounted->service->prefixes()) json.value(prefix);
      json.endArray().endObject();
    }
    json.endArray().key("faults").raw(knobsJson(faults.knobs())).endObject();
    return adminOk(json.take());
  }
  const std::string& head = parts[0];
  if (head == "faults" && parts.size() == 1) {
    if (method == "GET") return adminOk(knobsJson(faults.knobs()));
    if (method == "PUT" || method == "POST" || method == "PATCH") return setFaults(request);
    if (method == "DELETE") {
      faults.clear();
      return adminOk(knobsJson(faults.knobs()));
    }
    return adminError(405, "use GET, PUT or DELETE");
  }
  if (head == "expire-tokens" && parts.size() == 1) {
    if (method != "POST") return adminError(405, "use POST");
    expireTokens();
    return adminOk();
  }
  if (head == "counters") {
    if (parts.size() == 1 && method == "GET") return adminOk(counters.toJson());
    if ((parts.size() == 1 && method == "DELETE") ||
        (parts.size() == 2 && parts[1] == "reset" && method == "POST")) {
      counters.reset();
      return adminOk();
    }
    return adminError(405, "use GET /counters, DELETE /counters or POST /counters/reset");
  }
  if (head == "reset" && parts.size() == 1) {
    if (method != "POST") return adminError(405, "use POST");
    resetAll();
    return adminOk();
  }
  if (head == "snapshot") {
    try {
      if (parts.size() == 1 && method == "GET") return adminOk(snapshot());
      if (parts.size() == 1 && (method == "PUT" || method == "POST")) {
        restore(request.body);
        return adminOk();
      }
      if (parts.size() == 2 && method == "POST" && (parts[1] == "save" || parts[1] == "load")) {
        if (options.snapshotPath.empty())
          return adminError(409, "no snapshot file configured (start with --snapshot FILE)");
        if (parts[1] == "save") {
          std::ofstream out(options.snapshotPath, std::ios::binary | std::ios::trunc);
          out << snapshot();
          if (!out) return adminError(500, "cannot write the snapshot file");
        } else {
          std::ifstream in(options.snapshotPath, std::ios::binary);
          if (!in) return adminError(404, "snapshot file does not exist yet");
          std::stringstream text;
          text << in.rdbuf();
          restore(text.str());
        }
        return adminOk();
      }
    } catch (const std::runtime_error& error) {
      return adminError(400, error.what());
    }
    return adminError(405, "use GET|PUT /snapshot or POST /snapshot/save|load");
  }
  if (Mounted* mounted = byName(head)) {
    std::string subPath = "/";
    for (size_t i = 1; i < parts.size(); ++i)
      subPath += parts[i] + (i + 1 < parts.size() ? "/" : "");
    std::lock_guard lock(mounted->mutex);
    return mounted->service->admin(request, subPath);
  }
  return adminError(404, "no admin call at " + request.path);
}

namespace {

class Dispatcher : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Dispatcher(SandboxServer::Impl& impl) : impl_(impl) {}

  void handleRequest(Poco::Net::HTTPServerRequest& httpRequest,
                     Poco::Net::HTTPServerResponse& httpResponse) override {
    Response response;
    try {
      Request request;
      if (!buildRequest(httpRequest, request, response)) {
        send(httpResponse, response);
        return;
      }
      if (startsWith(request.path, kAdminPrefix) && (request.path.size() == kAdminPrefix.size() ||
                                                     request.path[kAdminPrefix.size()] == '/')) {
        send(httpResponse, impl_.admin(request));
        return;
      }
      Mounted* mounted = impl_.byPath(request.path);
      if (!mounted) {
        send(httpResponse, adminError(404, "no emulated API serves " + request.path));
        return;
      }
      std::string key;
      {
        std::lock_guard lock(mounted->mutex);
        key = mounted->service->name() + " " + mounted->service->endpointName(request);
      }
      FaultDecision fault = impl_.faults.decide();
      if (fault.latencyMs > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(fault.latencyMs));
      if (fault.action == FaultAction::kDrop) {
        impl_.counters.recordDrop(key);
        drop(httpRequest, httpResponse);
        return;
      }
      {
        std::lock_guard lock(mounted->mutex);
        if (fault.action == FaultAction::kNone) {
          response = mounted->service->handle(request);
        } else {
          response = mounted->service->faultResponse(fault.status, request);
        }
      }
      impl_.counters.record(key, response.status);
    } catch (const std::exception& error) {
      // A service bug must not take the server down; the message names no request data.
      response = adminError(500, std::string("sandbox internal error: ") + error.what());
    }
    send(httpResponse, response);
  }

 private:
  bool buildRequest(Poco::Net::HTTPServerRequest& in, Request& out, Response& error) {
    out.method = in.getMethod();
    const std::string& target = in.getURI();
    size_t question = target.find('?');
    std::string rawPath = target.substr(0, question);
    if (rawPath.empty() || rawPath[0] != '/') {
      // Absolute-form targets ("http://host/path") are legal HTTP; keep only the path.
      size_t scheme = rawPath.find("://");
      size_t slash =
          scheme == std::string::npos ? std::string::npos : rawPath.find('/', scheme + 3);
      if (slash == std::string::npos) {
        error = adminError(400, "request target must be a path");
        return false;
      }
      rawPath = rawPath.substr(slash);
    }
    out.path = percentDecode(rawPath, false);
    if (question != std::string::npos)
      out.query = parseQueryString(std::string_view(target).substr(question + 1));
    for (const auto& [name, value] : in) out.headers.emplace_back(name, value);
    out.remoteAddress = in.clientAddress().host().toString();
    if (!readBody(in.stream(), impl_.options.maxBodyBytes, out.body)) {
      error = adminError(413, "request body exceeds the sandbox limit");
      return false;
    }
    return true;
  }

  static void send(Poco::Net::HTTPServerResponse& out, const Response& response) {
    out.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status));
    for (const auto& [name, value] : response.headers) out.add(name, value);
    bool noBody = response.status == 204 || response.status == 304;
    if (!noBody && !response.contentType.empty()) out.setContentType(response.contentType);
    if (noBody) {
      out.setContentLength(0);
      out.send();
      return;
    }
    out.setContentLength(static_cast<std::streamsize>(response.body.size()));
    out.send().write(response.body.data(), static_cast<std::streamsize>(response.body.size()));
  }

  // The drop knob: close the TCP connection without any response bytes, like a proxy reset.
  static void drop(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    response.setKeepAlive(false);
    auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
    if (impl) {
      try {
        impl->socket().shutdown();
      } catch (const Poco::Exception&) {
        // Already closed by the peer: nothing left to drop.
      }
    }
  }

  SandboxServer::Impl& impl_;
};

class DispatcherFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit DispatcherFactory(SandboxServer::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Dispatcher(impl_);
  }

 private:
  SandboxServer::Impl& impl_;
};

}  // namespace

SandboxServer::SandboxServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

SandboxServer::~SandboxServer() { stop(); }

void SandboxServer::addService(std::unique_ptr<Service> service) {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->http) throw std::logic_error("addService after start()");
  if (impl_->byName(service->name()))
    throw std::logic_error("service '" + service->name() + "' registered twice");
  auto mounted = std::make_unique<Mounted>();
  mounted->service = std::move(service);
  impl_->services.push_back(std::move(mounted));
}

Service* SandboxServer::service(const std::string& name) {
  Mounted* mounted = impl_->byName(name);
  return mounted ? mounted->service.get() : nullptr;
}

void SandboxServer::start() {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->http) return;
  Poco::Net::ServerSocket socket(
      Poco::Net::SocketAddress(impl_->options.bindAddress, impl_->options.port));
  impl_->port = socket.address().port();
  auto params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(impl_->options.maxThreads);
  params->setMaxQueued(256);
  params->setKeepAlive(true);
  params->setTimeout(Poco::Timespan(30, 0));
  // Poco's dispatcher threads can miss the stop notification and linger for their idle time
  // (10 s by default), which would make every stop() slow; keep that window short.
  params->setThreadIdleTime(Poco::Timespan(0, 500000));
  impl_->pool = std::make_unique<Poco::ThreadPool>(2, std::max(2, impl_->options.maxThreads));
  impl_->http = std::make_unique<Poco::Net::HTTPServer>(new DispatcherFactory(*impl_), *impl_->pool,
                                                        socket, params);
  impl_->http->start();
}

void SandboxServer::stop() {
  std::lock_guard lock(impl_->lifecycle);
  if (!impl_->http) return;
  impl_->http->stopAll(true);
  impl_->http.reset();
  impl_->pool->joinAll();
  impl_->pool.reset();
}

bool SandboxServer::running() const {
  std::lock_guard lock(impl_->lifecycle);
  return impl_->http != nullptr;
}

uint16_t SandboxServer::port() const { return impl_->port; }

std::string SandboxServer::baseUrl() const {
  std::string host = impl_->options.bindAddress;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(impl_->port);
}

FaultInjector& SandboxServer::faults() { return impl_->faults; }
CallCounters& SandboxServer::counters() { return impl_->counters; }
std::string SandboxServer::snapshot() { return impl_->snapshot(); }
void SandboxServer::restore(const std::string& document) { impl_->restore(document); }
void SandboxServer::resetAll() { impl_->resetAll(); }
void SandboxServer::expireTokens() { impl_->expireTokens(); }

void SandboxServer::saveSnapshot(const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << snapshot();
  if (!out) throw std::runtime_error("cannot write snapshot file " + path);
}

void SandboxServer::loadSnapshot(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read snapshot file " + path);
  std::stringstream text;
  text << in.rdbuf();
  restore(text.str());
}

}  // namespace ferry::sandbox
