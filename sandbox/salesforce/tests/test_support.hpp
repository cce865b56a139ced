// Shared fixture: an in-process sandbox with the Salesforce service on loopback port 0, a
// manual clock, and a small HTTP client (Poco) that returns status, headers and body.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/salesforce/service.hpp"
#include "ferry/sandbox/server.hpp"

namespace ferry::sandbox::salesforce::testing {

struct Reply {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  std::string header(const std::string& name) const {
    for (const auto& [key, value] : headers)
      if (iequals(key, name)) return value;
    return "";
  }
  Poco::JSON::Object::Ptr object() const {
    return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  }
  Poco::JSON::Array::Ptr array() const {
    return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Array::Ptr>();
  }
  // First error of a REST error array.
  std::string errorCode() const {
    Poco::JSON::Array::Ptr errors;
    try {
      errors = array();
    } catch (const Poco::Exception&) {
      return "<not an error array: " + body + ">";
    }
    if (!errors || errors->size() == 0 || !errors->getObject(0)) return "";
    return errors->getObject(0)->optValue<std::string>("errorCode", "");
  }
};

inline std::string enc(const std::string& text) { return percentEncode(text); }

class SalesforceTest : public ::testing::Test {
 protected:
  static constexpr int64_t kStart = 1767225600000;  // 2026-01-01T00:00:00Z

  void SetUp() override { start({}); }

  void start(SalesforceOptions options) {
    if (server_) server_->stop();
    server_ = std::make_unique<SandboxServer>();
    options.clock = [this] { return clock_.load(); };
    options_ = options;
    server_->addService(makeSalesforceService(options));
    server_->start();
    token_ = passwordToken();
  }

  void TearDown() override { server_->stop(); }

  void advance(int64_t ms) { clock_ += ms; }

  Reply call(const std::string& method, const std::string& path, const std::string& body = "",
             std::vector<std::pair<std::string, std::string>> headers = {}, bool chunked = false) {
    Poco::Net::HTTPClientSession session("127.0.0.1", server_->port());
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    bool hasType = false;
    for (const auto& [name, value] : headers) {
      request.set(name, value);
      hasType = hasType || iequals(name, "Content-Type");
    }
    if (!body.empty() && !hasType) request.setContentType("application/json");
    if (chunked)
      request.setChunkedTransferEncoding(true);
    else if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
      request.setContentLength(body.size());
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Reply reply;
    reply.status = response.getStatus();
    for (const auto& [name, value] : response) reply.headers.emplace_back(name, value);
    Poco::StreamCopier::copyToString(in, reply.body);
    return reply;
  }

  // Authenticated data API call (path relative to /services/data/v60.0).
  Reply api(const std::string& method, const std::string& path, const std::string& body = "",
            std::vector<std::pair<std::string, std::string>> headers = {}, bool chunked = false) {
    headers.emplace_back("Authorization", "Bearer " + token_);
    std::string full = path.rfind("/services/", 0) == 0 ? path : "/services/data/v60.0" + path;
    return call(method, full, body, std::move(headers), chunked);
  }

  Reply form(const std::string& path, const std::string& body) {
    return call("POST", path, body, {{"Content-Type", "application/x-www-form-urlencoded"}});
  }

  std::string passwordToken() {
    Reply reply =
        form("/services/oauth2/token", "grant_type=password&client_id=" + enc(options_.clientId) +
                                           "&client_secret=" + enc(options_.clientSecret) +
                                           "&username=" + enc(options_.username) +
                                           "&password=" + enc(options_.password));
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.object()->getValue<std::string>("access_token");
  }

  Reply adminCall(const std::string& method, const std::string& sub, const std::string& body = "") {
    return call(method, "/__sandbox/salesforce" + sub, body);
  }

  std::string create(const std::string& object, const std::string& json) {
    Reply reply = api("POST", "/sobjects/" + object, json);
    EXPECT_EQ(reply.status, 201) << reply.body;
    return reply.status == 201 ? reply.object()->getValue<std::string>("id") : "";
  }

  Reply query(const std::string& soql,
              std::vector<std::pair<std::string, std::string>> headers = {}, bool all = false) {
    return api("GET", std::string(all ? "/queryAll" : "/query") + "?q=" + enc(soql), "",
               std::move(headers));
  }

  std::vector<std::string> column(const Reply& reply, const std::string& field) {
    std::vector<std::string> out;
    auto records = reply.object()->getArray("records");
    for (size_t i = 0; i < records->size(); ++i) {
      auto value = records->getObject(static_cast<unsigned>(i))->get(field);
      out.push_back(value.isEmpty() ? "<null>" : value.convert<std::string>());
    }
    return out;
  }

  std::atomic<int64_t> clock_{kStart};
  SalesforceOptions options_;
  std::unique_ptr<SandboxServer> server_;
  std::string token_;
};

}  // namespace ferry::sandbox::salesforce::testing
