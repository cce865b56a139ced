// REST wire formats: errors, limits, query pages, collection results, bulk jobs, encoding.
#include "ferry/plugins/salesforce/api.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>

#include "ferry/plugins/salesforce/describe.hpp"

namespace ferry::plugins::salesforce {

namespace {

using sdk::ErrorCode;

sdk::Error malformed(std::string message) {
  return sdk::Error::make(ErrorCode::kMalformedResponse, std::move(message));
}

std::string textOf(const sdk::Object& o, std::string_view key) {
  const auto* v = o.find(key);
  return v != nullptr && v->isString() ? v->asString() : std::string();
}

// A short, single-line excerpt of a body for error messages.
std::string excerpt(std::string_view body) {
  std::string out(body.substr(0, 160));
  for (auto& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (body.size() > 160) out += "...";
  return out;
}

bool isIdChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

ApiError errorFromObject(const sdk::Object& o) {
  ApiError e;
  e.code = textOf(o, "errorCode");
  if (e.code.empty()) e.code = textOf(o, "statusCode");
  e.message = textOf(o, "message");
  if (const auto* f = o.find("fields"); f != nullptr && f->isList()) {
    for (const auto& v : f->asList()) {
      if (v.isString()) e.fields.push_back(v.asString());
    }
  }
  // Duplicate rules may attach the matching records:
  // duplicateResult.matchResults[].matchRecords[].record.Id (shape varies by version).
  if (const auto* dup = o.find("duplicateResult"); dup != nullptr && dup->isObject()) {
    if (const auto* results = dup->asObject().find("matchResults");
        results != nullptr && results->isList()) {
      for (const auto& r : results->asList()) {
        if (!r.isObject()) continue;
        const auto* records = r.asObject().find("matchRecords");
        if (records == nullptr || !records->isList()) continue;
        for (const auto& m : records->asList()) {
          if (!m.isObject()) continue;
          const auto* rec = m.asObject().find("record");
          if (rec == nullptr || !rec->isObject()) continue;
          const auto id = textOf(rec->asObject(), "Id");
          if (!id.empty()) e.duplicateIds.push_back(id);
        }
      }
    }
  }
  if (e.duplicateIds.empty() && (e.code == "DUPLICATE_VALUE" || e.code == "DUPLICATES_DETECTED")) {
    e.duplicateIds = idsInMessage(e.message);
  }
  return e;
}

}  // namespace

std::vector<ApiError> parseErrors(std::string_view body) {
  std::vector<ApiError> out;
  const auto json = sdk::Value::fromJson(body);
  if (json && json->isList()) {
    for (const auto& item : json->asList()) {
      if (item.isObject()) out.push_back(errorFromObject(item.asObject()));
    }
  } else if (json && json->isObject()) {
    const auto& o = json->asObject();
    if (o.contains("error")) {
      out.push_back(ApiError{textOf(o, "error"), textOf(o, "error_description"), {}, {}});
    } else {
      out.push_back(errorFromObject(o));
    }
  }
  if (out.empty() || (out.size() == 1 && out[0].code.empty() && out[0].message.empty())) {
    out.assign(1, ApiError{"", body.empty() ? "empty body" : "body: " + excerpt(body), {}, {}});
  }
  return out;
}

std::vector<std::string> idsInMessage(std::string_view message) {
  std::vector<std::string> ids;
  const std::string_view marker = "id: ";
  std::size_t pos = 0;
  while ((pos = message.find(marker, pos)) != std::string_view::npos) {
    pos += marker.size();
    std::size_t end = pos;
    while (end < message.size() && isIdChar(message[end])) ++end;
    if (end - pos == 15 || end - pos == 18) ids.emplace_back(message.substr(pos, end - pos));
    pos = end;
  }
  return ids;
}

sdk::Error errorFromResponse(int status, std::string_view body, std::string_view what) {
  const auto errors = parseErrors(body);
  const auto& first = errors.front();
  std::string message = std::string(what) + ": HTTP " + std::to_string(status);
  if (!first.code.empty()) message += " " + first.code;
  if (!first.message.empty()) message += ": " + first.message;
  if (errors.size() > 1) message += " (+" + std::to_string(errors.size() - 1) + " more)";

  ErrorCode code = ErrorCode::kInternal;
  bool retriable = false;
  const std::string& rc = first.code;
  if (rc == "INVALID_SESSION_ID" || status == 401) {
    code = ErrorCode::kUnauthenticated;
  } else if (rc == "REQUEST_LIMIT_EXCEEDED" || status == 429) {
    code = ErrorCode::kRateLimited;
    retriable = true;
  } else if (rc == "UNABLE_TO_LOCK_ROW") {
    code = ErrorCode::kConflict;
    retriable = true;
  } else if (rc == "QUERY_TIMEOUT" || rc == "SERVER_UNAVAILABLE" || status >= 500) {
    code = ErrorCode::kUnavailable;
    retriable = true;
  } else if (rc == "INVALID_QUERY_LOCATOR") {
    code = ErrorCode::kNotFound;  // the server-side query cursor expired
  } else if (status == 403 || rc.rfind("INSUFFICIENT_ACCESS", 0) == 0) {
    code = ErrorCode::kPermissionDenied;
  } else if (status == 404 || rc == "NOT_FOUND" || rc == "ENTITY_IS_DELETED") {
    code = ErrorCode::kNotFound;
  } else if (status == 300 || status == 409 || rc == "DUPLICATE_VALUE" ||
             rc == "DUPLICATES_DETECTED") {
    code = ErrorCode::kConflict;
  } else if (status >= 400) {
    code = ErrorCode::kInvalidArgument;
  }
  return sdk::Error::make(code, std::move(message), retriable, rc);
}

sdk::Error errorFromRecordError(const ApiError& e) {
  const std::string& rc = e.code;
  ErrorCode code = ErrorCode::kInvalidArgument;
  bool retriable = false;
  if (rc == "UNABLE_TO_LOCK_ROW") {
    code = ErrorCode::kConflict;
    retriable = true;
  } else if (rc == "DUPLICATE_VALUE" || rc == "DUPLICATES_DETECTED") {
    code = ErrorCode::kConflict;
  } else if (rc == "ENTITY_IS_DELETED" || rc == "NOT_FOUND" || rc == "INVALID_ID_FIELD") {
    code = ErrorCode::kNotFound;
  } else if (rc.rfind("INSUFFICIENT_ACCESS", 0) == 0) {
    code = ErrorCode::kPermissionDenied;
  } else if (rc == "SERVER_UNAVAILABLE" || rc == "REQUEST_RUNNING_TOO_LONG" ||
             rc == "ALL_OR_NONE_OPERATION_ROLLED_BACK") {
    code = ErrorCode::kUnavailable;
    retriable = true;
  } else if (rc == "REQUEST_LIMIT_EXCEEDED") {
    code = ErrorCode::kRateLimited;
    retriable = true;
  }
  std::string message = rc.empty() ? e.message : rc + ": " + e.message;
  if (!e.fields.empty()) {
    std::string fields;
    for (const auto& f : e.fields) fields += (fields.empty() ? "" : ", ") + f;
    message += " [" + fields + "]";
  }
  return sdk::Error::make(code, std::move(message), retriable, rc);
}

std::optional<ApiUsage> parseLimitInfo(std::string_view header) noexcept {
  std::size_t start = 0;
  while (start < header.size()) {
    auto end = header.find(';', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    constexpr std::string_view kKey = "api-usage=";
    if (item.substr(0, kKey.size()) == kKey) {
      item.remove_prefix(kKey.size());
      const auto slash = item.find('/');
      if (slash == std::string_view::npos) return std::nullopt;
      ApiUsage u;
      const auto a = std::from_chars(item.data(), item.data() + slash, u.used);
      const auto b = std::from_chars(item.data() + slash + 1, item.data() + item.size(), u.max);
      if (a.ec != std::errc() || a.ptr != item.data() + slash || b.ec != std::errc() ||
          b.ptr != item.data() + item.size() || u.used < 0 || u.max <= 0) {
        return std::nullopt;
      }
      return u;
    }
    start = end + 1;
  }
  return std::nullopt;
}

sdk::Result<QueryPage> parseQueryPage(std::string_view body, const FieldTypes& types) {
  std::string error;
  auto json = sdk::Value::fromJson(body, &error);
  if (!json) {
    return malformed("query response is not valid JSON (" + error + "; " +
                     std::to_string(body.size()) + " bytes, possibly truncated)");
  }
  if (!json->isObject()) return malformed("query response is not a JSON object");
  auto& o = json->asObject();
  const auto* records = o.find("records");
  const auto* done = o.find("done");
  if (records == nullptr || !records->isList() || done == nullptr || !done->isBool()) {
    return malformed("query response lacks \"records\" or \"done\": " + excerpt(body));
  }
  QueryPage page;
  page.done = done->asBool();
  if (const auto* t = o.find("totalSize"); t != nullptr && t->isNumber()) {
    page.totalSize = static_cast<std::int64_t>(t->asNumber());
  }
  page.nextRecordsUrl = textOf(o, "nextRecordsUrl");
  if (!page.done && page.nextRecordsUrl.rfind("/services/data/", 0) != 0) {
    return malformed("query response is not done but has no usable nextRecordsUrl");
  }
  if (page.done) page.nextRecordsUrl.clear();
  page.records.reserve(records->asList().size());
  for (auto& item : o.find("records")->asList()) {
    if (!item.isObject()) return malformed("query response: a record is not an object");
    sdk::Object record;
    record.reserve(item.asObject().size());
    for (auto& [key, value] : item.asObject()) {
      if (key == "attributes") continue;
      const auto it = types.find(key);
      record.set(key, fromApiValue(value, it == types.end() ? std::string_view() : it->second));
    }
    page.records.push_back(std::move(record));
  }
  return page;
}

sdk::Result<std::vector<RecordResult>> parseCollectionResults(std::string_view body,
                                                              std::size_t expected) {
  std::string error;
  const auto json = sdk::Value::fromJson(body, &error);
  if (!json) return malformed("collection response is not valid JSON (" + error + ")");
  if (!json->isList()) return malformed("collection response is not an array: " + excerpt(body));
  const auto& list = json->asList();
  if (list.size() != expected) {
    return malformed("collection response has " + std::to_string(list.size()) + " results for " +
                     std::to_string(expected) + " records");
  }
  std::vector<RecordResult> out;
  out.reserve(list.size());
  for (const auto& item : list) {
    if (!item.isObject()) return malformed("collection response: a result is not an object");
    const auto& o = item.asObject();
    RecordResult r;
    r.id = textOf(o, "id");
    const auto* success = o.find("success");
    if (success == nullptr || !success->isBool()) {
      return malformed("collection response: a result has no \"success\" flag");
    }
    r.success = success->asBool();
    if (const auto* c = o.find("created"); c != nullptr && c->isBool()) r.created = c->asBool();
    if (const auto* errs = o.find("errors"); errs != nullptr && errs->isList()) {
      for (const auto& e : errs->asList()) {
        if (e.isObject()) r.errors.push_back(errorFromObject(e.asObject()));
      }
    }
    if (!r.success && r.errors.empty()) {
      r.errors.push_back(
          ApiError{"UNKNOWN_ERROR", "Salesforce reported failure without errors", {}, {}});
    }
    out.push_back(std::move(r));
  }
  return out;
}

sdk::Result<BulkJob> parseBulkJob(std::string_view body) {
  std::string error;
  const auto json = sdk::Value::fromJson(body, &error);
  if (!json || !json->isObject()) {
    return malformed("bulk job response is not a JSON object: " + excerpt(body));
  }
  const auto& o = json->asObject();
  BulkJob job;
  job.id = textOf(o, "id");
  job.state = textOf(o, "state");
  if (job.id.empty() || job.state.empty()) {
    return malformed("bulk job response lacks \"id\" or \"state\": " + excerpt(body));
  }
  job.errorMessage = textOf(o, "errorMessage");
  job.createdDate = textOf(o, "createdDate");
  if (const auto* n = o.find("numberRecordsProcessed"); n != nullptr && n->isNumber()) {
    job.numberRecordsProcessed = static_cast<std::int64_t>(n->asNumber());
  }
  return job;
}

std::string nextLocator(const sdk::Headers& headers) {
  const auto* locator = sdk::findHeader(headers, "Sforce-Locator");
  if (locator == nullptr || locator->empty() || *locator == "null") return {};
  return *locator;
}

std::size_t percentEncodedLength(std::string_view text) noexcept {
  std::size_t n = 0;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    n += (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') ? 1 : 3;
  }
  return n;
}

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(percentEncodedLength(text));
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out.push_back('&');
    out += percentEncode(name);
    out.push_back('=');
    out += percentEncode(value);
  }
  return out;
}

std::optional<std::int64_t> parseHttpDate(std::string_view value) noexcept {
  // Poco's parser is lenient; insist on the IMF-fixdate shape "Sun, 06 Nov 1994 08:49:37 GMT".
  if (value.size() != 29 || value.substr(25) != " GMT" || value[3] != ',' || value[19] != ':') {
    return std::nullopt;
  }
  try {
    int tz = 0;
    const auto dt =
        Poco::DateTimeParser::parse(Poco::DateTimeFormat::HTTP_FORMAT, std::string(value), tz);
    return dt.timestamp().epochMicroseconds() / 1000 - static_cast<std::int64_t>(tz) * 1000;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

}  // namespace ferry::plugins::salesforce
