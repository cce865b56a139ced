#include "errors.hpp"

#include <map>

#include "ferry/sandbox/json_writer.hpp"

namespace ferry::sandbox::people {

namespace {

struct StatusText {
  const char* messageId;
  const char* text;
};

StatusText statusText(int status) {
  switch (status) {
    case 400:
      return {"BAD_REQUEST", "Bad request"};
    case 401:
      return {"UNAUTHORIZED", "Unauthorized"};
    case 403:
      return {"FORBIDDEN", "Forbidden"};
    case 404:
      return {"NOT_FOUND", "Not found"};
    // The reference lists no messageId for these; named after the status like the others.
    case 405:
      return {"METHOD_NOT_ALLOWED", "Method not allowed"};
    case 409:
      return {"CONFLICT", "Conflict"};
    case 413:
      return {"PAYLOAD_TOO_LARGE", "Request payload too large"};
    case 429:
      return {"TOO_MANY_REQUESTS", "Too many requests"};
    default:
      return {"GENERAL_ERROR", "General error"};
  }
}

Response json(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace

Response legacyError(int status, const std::string& text,
                     const std::vector<Violation>& violations) {
  const auto defaults = statusText(status);
  JsonWriter w;
  w.beginObject().key("requestError").beginObject().key("serviceException").beginObject();
  w.key("messageId")
      .value(defaults.messageId)
      .key("text")
      .value(text.empty() ? defaults.text : text);
  if (!violations.empty()) {
    std::map<std::string, std::vector<std::string>> grouped;
    for (const auto& v : violations) grouped[v.property].push_back(v.message);
    w.key("validationErrors").beginObject();
    for (const auto& [property, messages] : grouped) {
      w.key(property).beginArray();
      for (const auto& message : messages) w.value(message);
      w.endArray();
    }
    w.endObject();
  }
  w.endObject().endObject().endObject();
  return json(status, w.take());
}

Response v3Error(int status, const std::string& code, const std::string& message,
                 const std::vector<Violation>& details) {
  JsonWriter w;
  w.beginObject().key("code").value(code).key("message").value(message).key("details").beginArray();
  for (const auto& d : details) {
    w.beginObject().key("property").value(d.property).key("message").value(d.message).endObject();
  }
  w.endArray().endObject();
  return json(status, w.take());
}

Response platformError(int status, const std::string& description, const std::string& action,
                       const std::vector<Violation>& violations) {
  std::string errorCode = "E";
  errorCode += std::to_string(status);  // (operator+ on a literal trips GCC 12's -Wrestrict)
  JsonWriter w;
  w.beginObject().key("errorCode").value(errorCode);
  w.key("description").value(description).key("action").value(action);
  w.key("violations").beginArray();
  for (const auto& v : violations) {
    w.beginObject().key("property").value(v.property).key("violation").value(v.message).endObject();
  }
  w.endArray().key("resources").beginArray();
  if (status == 429) {
    w.beginObject().key("name").value("Throttling handling errors");
    w.key("url")
        .value("/docs/developer-resources/api-fundamentals/rate-limits-and-throttling")
        .endObject();
  }
  w.endArray().endObject();
  return json(status, w.take());
}

Response tooManyRequests(bool platformEnvelope) {
  if (platformEnvelope) {
    return platformError(
        429, "Too many requests sent.",
        "Check request rate limit specified in the API endpoint documentation resource.");
  }
  return legacyError(429);
}

}  // namespace ferry::sandbox::people
