// Small helpers shared by the emulated services.
#pragma once

#include <Poco/JSON/Object.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/sandbox/service.hpp"

namespace ferry::sandbox {

// application/x-www-form-urlencoded -> ordered pairs ('+' is a space). Malformed escapes are
// kept literally rather than rejected, as servlet containers do.
std::vector<std::pair<std::string, std::string>> parseForm(std::string_view body);
std::string percentDecode(std::string_view text, bool plusIsSpace);
std::string percentEncode(std::string_view text);

Response jsonResponse(int status, std::string body);
bool startsWith(std::string_view text, std::string_view prefix);
bool iequals(std::string_view a, std::string_view b);
std::string toLower(std::string_view text);
std::vector<std::string> splitPath(std::string_view path);  // "/a/b/" -> {"a","b"}
// Admin API answers: {"error": message} with the status.
Response adminError(int status, const std::string& message);
// An admin request's body as a JSON object (an empty body is an empty object); otherwise null,
// with `error` set to a 400 answer.
Poco::JSON::Object::Ptr adminBodyObject(const Request& request, Response& error);

// A URL fit to show in an admin response: user info and every query value become "***" (the
// tokens receivers put there); an unparsable URL is shown as "***" whole.
std::string redactUrl(const std::string& url);

}  // namespace ferry::sandbox
