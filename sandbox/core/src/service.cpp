#include "ferry/sandbox/service.hpp"

#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/json_writer.hpp"

namespace ferry::sandbox {

const std::string* Request::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return &value;
  }
  return nullptr;
}

const std::string* Request::param(const std::string& name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::string Service::endpointName(const Request& request) const {
  return request.method + " " + request.path;
}

Response Service::faultResponse(int status, const Request&) const {
  JsonWriter json;
  json.beginObject()
      .key("error")
      .value(status == 429 ? "too many requests (sandbox fault knob)"
                           : "server error (sandbox fault knob)")
      .endObject();
  return jsonResponse(status, json.take());
}

}  // namespace ferry::sandbox
