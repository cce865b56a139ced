#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <sstream>

#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/json_writer.hpp"
#include "service_impl.hpp"

namespace ferry::sandbox::salesforce {
namespace {

constexpr size_t kCollectionLimit = 200;
constexpr size_t kMaxCursors = 200;
constexpr int64_t kReplicationIdLimit = 600000;
// describe answers 304 to If-Modified-Since at or after this (the schema never changes).
constexpr int64_t kSchemaModifiedMs = 1704067200000;  // 2024-01-01T00:00:00Z

std::optional<int> parseVersion(const std::string& text) {
  // "v60.0"
  if (text.size() < 4 || text[0] != 'v' || !text.ends_with(".0")) return std::nullopt;
  int version = 0;
  auto [end, ec] = std::from_chars(text.data() + 1, text.data() + text.size() - 2, version);
  if (ec != std::errc() || end != text.data() + text.size() - 2) return std::nullopt;
  if (version < kMinApiVersion || version > kMaxApiVersion) return std::nullopt;
  return version;
}

std::string releaseName(int version) {
  // Three releases a year; v60 = Spring '24, v61 = Summer '24, v62 = Winter '25.
  static const char* kSeasons[] = {"Spring", "Summer", "Winter"};
  int season = version % 3;
  int year = version / 3 + 4 + (season == 2 ? 1 : 0);
  return std::string(kSeasons[season]) + " '" + (year < 10 ? "0" : "") + std::to_string(year);
}

Response notFound() { return restError(404, "NOT_FOUND", "The requested resource does not exist"); }

Response methodNotAllowed(const std::string& method, const std::string& allowed) {
  Response response = restError(405, "METHOD_NOT_ALLOWED",
                                "HTTP Method '" + method + "' not allowed. Allowed are " + allowed);
  response.headers.emplace_back("Allow", allowed);
  return response;
}

bool isJsonContent(const Request& request) {
  const std::string* type = request.header("Content-Type");
  return !type || type->empty() || toLower(*type).find("json") != std::string::npos;
}

Response unsupportedMedia(const Request& request) {
  const std::string* type = request.header("Content-Type");
  return restError(415, "UNSUPPORTED_MEDIA_TYPE",
                   "Content type '" + (type ? *type : std::string()) +
                       "' not supported; the sandbox speaks JSON only");
}

std::string joined(const std::vector<std::string>& rows) {
  size_t size = 2;
  for (const auto& row : rows) size += row.size() + 1;
  std::string out;
  out.reserve(size);
  out += '[';
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) out += ',';
    out += rows[i];
  }
  out += ']';
  return out;
}

void writeResult(JsonWriter& json, const SaveResult& result, const std::string& failedId,
                 bool withCreated) {
  json.beginObject().key("id");
  if (result.success)
    json.value(result.id);
  else if (!failedId.empty())
    json.value(failedId);
  else
    json.null();
  json.key("success").value(result.success).key("errors").raw(saveErrorsJson(result.errors, false));
  if (withCreated) json.key("created").value(result.success && result.created);
  json.endObject();
}

SaveError rolledBack() {
  return SaveError{"ALL_OR_NONE_OPERATION_ROLLED_BACK",
                   "Record rolled back because not all records were valid and the request was "
                   "using AllOrNone header",
                   {},
                   {}};
}

std::optional<bool> boolParam(const Request& request, const std::string& name) {
  const std::string* value = request.param(name);
  if (!value) return std::nullopt;
  return iequals(*value, "true");
}

}  // namespace

int64_t systemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Response restError(int status, const std::string& code, const std::string& message,
                   const std::vector<std::string>* fields) {
  JsonWriter json;
  json.beginArray().beginObject().key("message").value(message).key("errorCode").value(code);
  if (fields) {
    json.key("fields").beginArray();
    for (const auto& field : *fields) json.value(field);
    json.endArray();
  }
  json.endObject().endArray();
  return jsonResponse(status, json.take());
}

std::string saveErrorsJson(const std::vector<SaveError>& errors, bool restStyle) {
  JsonWriter json;
  json.beginArray();
  for (const auto& error : errors) {
    json.beginObject();
    if (!error.duplicateResultJson.empty())
      json.key("duplicateResult").raw(error.duplicateResultJson);
    if (restStyle)
      json.key("message").value(error.message).key("errorCode").value(error.statusCode);
    else
      json.key("statusCode").value(error.statusCode).key("message").value(error.message);
    json.key("fields").beginArray();
    for (const auto& field : error.fields) json.value(field);
    json.endArray().endObject();
  }
  json.endArray();
  return json.take();
}

Poco::Dynamic::Var parseJsonBody(const std::string& body, Response& error, bool& ok) {
  ok = false;
  if (body.empty()) {
    error =
        restError(400, "JSON_PARSER_ERROR", "The request body is empty; expected a JSON document");
    return {};
  }
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));  // keep key order
    Poco::Dynamic::Var value = parser.parse(body);
    ok = true;
    return value;
  } catch (const Poco::Exception& e) {
    error = restError(400, "JSON_PARSER_ERROR", "Malformed JSON: " + e.message());
  } catch (const std::exception& e) {
    error = restError(400, "JSON_PARSER_ERROR", std::string("Malformed JSON: ") + e.what());
  }
  return {};
}

bool toFieldInputs(const Poco::JSON::Object& object, FieldInputs& out, std::string& problem,
                   const std::vector<std::string>& skip) {
  for (const auto& name : object.getNames()) {
    if (name == "attributes") continue;
    if (std::any_of(skip.begin(), skip.end(),
                    [&](const std::string& s) { return iequals(s, name); }))
      continue;
    Poco::Dynamic::Var value = object.get(name);
    if (value.isEmpty())
      out.emplace_back(name, std::monostate{});
    else if (value.isBoolean())
      out.emplace_back(name, value.convert<bool>());
    else if (value.isInteger())
      out.emplace_back(name, value.convert<int64_t>());
    else if (value.isNumeric())
      out.emplace_back(name, value.convert<double>());
    else if (value.isString())
      out.emplace_back(name, value.convert<std::string>());
    else {
      problem = "Cannot deserialize instance of " + name + " from START_" +
                (value.type() == typeid(Poco::JSON::Array::Ptr) ? std::string("ARRAY")
                                                                : std::string("OBJECT"));
      return false;
    }
  }
  return true;
}

SalesforceService::SalesforceService(SalesforceOptions options)
    : options_(std::move(options)), defaults_(options_), random_(options_.seed) {
  org_ = std::make_unique<Org>(
      schema_, [this] { return now(); }, options_.seed);
  org_->knobs().lateCommitMs = options_.lateCommitMs;
  org_->knobs().duplicateRule = options_.duplicateRule;
  installDefaultOutbound();
  sender_ = std::make_unique<OutboundSender>(OutboundDeliveryKnobs{});
  if (std::string problem = sender_->setKnobs(options_.outboundDelivery); !problem.empty())
    throw std::invalid_argument("outbound delivery: " + problem);
}

int64_t SalesforceService::now() const {
  return (options_.clock ? options_.clock() : systemNowMs()) + clockOffsetMs_;
}

int64_t SalesforceService::apiUsage() const {
  int64_t hour = now() / 3600000;
  int64_t total = 0;
  for (auto it = usageByHour_.begin(); it != usageByHour_.end();) {
    if (it->first <= hour - 24) {
      it = usageByHour_.erase(it);
    } else {
      total += it->second;
      ++it;
    }
  }
  return std::max<int64_t>(0, total + usageAdjustment_);
}

void SalesforceService::countCall() { ++usageByHour_[now() / 3600000]; }

std::string SalesforceService::limitInfo() const {
  return "api-usage=" + std::to_string(apiUsage()) + "/" + std::to_string(options_.dailyApiLimit);
}

std::string SalesforceService::endpointName(const Request& request) const {
  auto parts = splitPath(request.path);
  std::string out = request.method + " ";
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string part = parts[i];
    if (i == 2 && parts[1] == "data" && parseVersion(part))
      part = "vXX.X";
    else if (i > 0 && parts[i - 1] == "query" && part.find('-') != std::string::npos)
      part = "{locator}";
    else if (i > 0 && parts[i - 1] == "queryAll" && part.find('-') != std::string::npos)
      part = "{locator}";
    else if (normalizeId(part) && i >= 3 &&
             std::any_of(part.begin(), part.end(),
                         [](unsigned char c) { return std::isdigit(c) != 0; }))
      part = "{id}";
    else if (i == 6 && parts.size() == 7 && parts[3] == "sobjects")
      part = "{value}";
    else if (parts[0] == "id" && i > 0)
      part = "{id}";
    out += "/" + part;
  }
  if (parts.empty()) out += "/";
  return out;
}

Response SalesforceService::faultResponse(int status, const Request&) const {
  if (status == 429) {
    // Salesforce answers overload with REQUEST_LIMIT_EXCEEDED; the storm knob keeps the 429
    // status so clients' generic back-off paths are exercised too.
    Response response = restError(429, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
    response.headers.emplace_back("Sforce-Limit-Info", limitInfo());
    return response;
  }
  return restError(status, "SERVER_UNAVAILABLE",
                   "Server temporarily unavailable (sandbox fault knob)");
}

Response SalesforceService::route(const Request& request) {
  auto parts = splitPath(request.path);
  if (parts.empty()) return notFound();
  if (parts[0] == "id") return identity(request, parts);
  if (parts[0] != "services" || parts.size() < 2) return notFound();
  if (parts[1] == "oauth2") return oauth(request, parts);
  if (parts[1] != "data")
    return notFound();  // SOAP, Bulk 1.0 (/services/async), Apex REST: not emulated
  if (parts.size() == 2) {
    if (request.method != "GET") return methodNotAllowed(request.method, "GET,HEAD");
    return versions(request);
  }
  auto version = parseVersion(parts[2]);
  if (!version) return notFound();
  if (auto unauthorized = authenticate(request)) return *unauthorized;
  if (apiUsage() >= options_.dailyApiLimit) {
    Response response = restError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
    response.headers.emplace_back("Sforce-Limit-Info", limitInfo());
    return response;
  }
  countCall();
  Response response =
      data(request, parts[2], std::vector<std::string>(parts.begin() + 3, parts.end()));
  response.headers.emplace_back("Sforce-Limit-Info", limitInfo());
  return response;
}

Response SalesforceService::versions(const Request&) const {
  JsonWriter json;
  json.beginArray();
  for (int v = kMinApiVersion; v <= kMaxApiVersion; ++v) {
    std::string version = std::to_string(v) + ".0";
    json.beginObject()
        .key("label")
        .value(releaseName(v))
        .key("url")
        .value("/services/data/v" + version);
    json.key("version").value(version).endObject();
  }
  json.endArray();
  return jsonResponse(200, json.take());
}

Response SalesforceService::resources(const std::string& version) const {
  std::string base = "/services/data/" + version + "/";
  JsonWriter json;
  json.beginObject();
  for (const char* name : {"sobjects", "query", "queryAll", "limits", "composite", "jobs"})
    json.key(name).value(base + name);
  json.endObject();
  return jsonResponse(200, json.take());
}

Response SalesforceService::data(const Request& request, const std::string& version,
                                 const std::vector<std::string>& rest) {
  const std::string& method = request.method;
  if (rest.empty())
    return method == "GET" ? resources(version) : methodNotAllowed(method, "GET,HEAD");
  const std::string& head = rest[0];
  if (head == "limits" && rest.size() == 1)
    return method == "GET" ? limits() : methodNotAllowed(method, "GET,HEAD");
  if (head == "query" || head == "queryAll") {
    if (method != "GET") return methodNotAllowed(method, "GET,HEAD");
    if (rest.size() == 1) return query(request, version, head == "queryAll");
    if (rest.size() == 2) return queryMore(version, rest[1]);
    return notFound();
  }
  if (head == "sobjects") return sobjects(request, version, rest);
  if (head == "composite") return composite(request, version, rest);
  if (head == "jobs") return bulk(request, version, rest);
  return notFound();
}

Response SalesforceService::limits() const {
  int64_t queryJobs = 0, batches = 0;
  int64_t dayAgo = now() - 24 * 3600 * 1000LL;
  for (const auto& [id, job] : queryJobs_) queryJobs += job.createdMs > dayAgo;
  for (const auto& [id, job] : ingestJobs_) batches += job.uploaded && job.createdMs > dayAgo;
  auto entry = [](JsonWriter& json, const char* name, int64_t max, int64_t remaining) {
    json.key(name)
        .beginObject()
        .key("Max")
        .value(max)
        .key("Remaining")
        .value(std::max<int64_t>(0, remaining))
        .endObject();
  };
  JsonWriter json;
  json.beginObject();
  entry(json, "DailyApiRequests", options_.dailyApiLimit, options_.dailyApiLimit - apiUsage());
  entry(json, "DailyBulkApiBatches", 15000, 15000 - batches);
  entry(json, "DailyBulkV2QueryFileStorageMB", 976562, 976562);
  entry(json, "DailyBulkV2QueryJobs", 10000, 10000 - queryJobs);
  entry(json, "DailyStreamingApiEvents", 1000000, 1000000);
  entry(json, "DataStorageMB", 1024, 1024);
  json.endObject();
  return jsonResponse(200, json.take());
}

Response SalesforceService::query(const Request& request, const std::string& version, bool all) {
  const std::string* q = request.param("q");
  if (!q || q->empty())
    return restError(400, "MALFORMED_QUERY", "A query string has to be specified");
  Query parsed;
  try {
    parsed = parseSoql(*q, schema_);
  } catch (const SoqlError& error) {
    return restError(400, error.code(), error.what());
  }
  size_t batch = 2000;
  if (const std::string* options = request.header("Sforce-Query-Options")) {
    // "batchSize=1000": 200..2000, values outside are clamped (the size is a hint, not a promise).
    size_t at = options->find("batchSize=");
    if (at != std::string::npos) {
      size_t value = 0;
      const char* begin = options->data() + at + 10;
      std::from_chars(begin, options->data() + options->size(), value);
      batch = std::clamp<size_t>(value, 200, 2000);
    }
  }
  QueryRows rows = org_->runQuery(parsed, all, version, false);
  if (rows.json.size() <= batch) {
    std::string body = "{\"totalSize\":" + std::to_string(rows.totalSize) +
                       ",\"done\":true,\"records\":" + joined(rows.json) + "}";
    return jsonResponse(200, std::move(body));
  }
  std::string cursorId = makeId("01g", ++cursorSerial_);
  Cursor& cursor = cursors_[cursorId];
  cursor.batchSize = batch;
  cursor.lastUsedMs = now();
  cursor.rows = std::move(rows.json);
  cursorOrder_.push_back(cursorId);
  while (cursorOrder_.size() > kMaxCursors) {
    cursors_.erase(cursorOrder_.front());
    cursorOrder_.pop_front();
  }
  return queryMore(version, cursorId + "-0");
}

Response SalesforceService::queryMore(const std::string& version, const std::string& locator) {
  size_t dash = locator.rfind('-');
  auto invalid = [] { return restError(400, "INVALID_QUERY_LOCATOR", "invalid query locator"); };
  if (dash == std::string::npos) return invalid();
  auto it = cursors_.find(locator.substr(0, dash));
  size_t offset = 0;
  auto [end, ec] =
      std::from_chars(locator.data() + dash + 1, locator.data() + locator.size(), offset);
  if (it == cursors_.end() || ec != std::errc() || end != locator.data() + locator.size())
    return invalid();
  Cursor& cursor = it->second;
  if (offset >= cursor.rows.size() && !(offset == 0 && cursor.rows.empty())) return invalid();
  cursor.lastUsedMs = now();
  size_t stop = std::min(cursor.rows.size(), offset + cursor.batchSize);
  bool done = stop >= cursor.rows.size();
  size_t size = 128;
  for (size_t i = offset; i < stop; ++i) size += cursor.rows[i].size() + 1;
  std::string body;
  body.reserve(size);
  body += "{\"totalSize\":" + std::to_string(cursor.rows.size()) +
          ",\"done\":" + (done ? "true" : "false");
  if (!done)
    body += ",\"nextRecordsUrl\":\"/services/data/" + version + "/query/" + it->first + "-" +
            std::to_string(stop) + "\"";
  body += ",\"records\":[";
  for (size_t i = offset; i < stop; ++i) {
    if (i > offset) body += ',';
    body += cursor.rows[i];
  }
  body += "]}";
  return jsonResponse(200, std::move(body));
}

// The members describeGlobal lists for each object, which an object's describe starts with.
static void writeObjectSummary(JsonWriter& json, const ObjectDef& object,
                               const std::string& version) {
  const std::string base = "/services/data/" + version + "/sobjects/" + object.name;
  json.key("name").value(object.name).key("label").value(object.label);
  json.key("labelPlural").value(object.labelPlural).key("keyPrefix").value(object.keyPrefix);
  json.key("custom").value(false);
  for (const char* flag : {"createable", "updateable", "deletable", "queryable", "replicateable",
                           "retrieveable", "searchable", "undeletable"}) {
    json.key(flag).value(true);
  }
  json.key("urls")
      .beginObject()
      .key("sobject")
      .value(base)
      .key("describe")
      .value(base + "/describe")
      .key("rowTemplate")
      .value(base + "/{ID}")
      .endObject();
}

Response SalesforceService::describeGlobal(const std::string& version) const {
  JsonWriter json;
  json.beginObject()
      .key("encoding")
      .value("UTF-8")
      .key("maxBatchSize")
      .value(200)
      .key("sobjects")
      .beginArray();
  for (const auto& object : schema_.objects()) {
    json.beginObject();
    writeObjectSummary(json, object, version);
    json.endObject();
  }
  json.endArray().endObject();
  return jsonResponse(200, json.take());
}

Response SalesforceService::describe(const ObjectDef& object, const std::string& version) const {
  JsonWriter json;
  json.beginObject();
  writeObjectSummary(json, object, version);
  json.key("mergeable")
      .value(true)
      .key("layoutable")
      .value(true)
      .key("childRelationships")
      .beginArray()
      .endArray()
      .key("recordTypeInfos")
      .beginArray()
      .endArray()
      .key("fields")
      .beginArray();
  for (const auto& field : object.fields) {
    json.beginObject()
        .key("name")
        .value(field.name)
        .key("label")
        .value(field.label)
        .key("type")
        .value(fieldTypeName(field.type))
        .key("soapType")
        .value(soapTypeName(field.type))
        .key("length")
        .value(field.length)
        .key("byteLength")
        .value(field.length * 3)
        .key("precision")
        .value(field.precision)
        .key("scale")
        .value(field.scale)
        .key("digits")
        .value(field.digits)
        .key("nillable")
        .value(field.nillable)
        .key("createable")
        .value(field.createable)
        .key("updateable")
        .value(field.updateable)
        .key("defaultedOnCreate")
        .value(field.defaultedOnCreate)
        .key("externalId")
        .value(field.externalId)
        .key("unique")
        .value(field.unique)
        .key("caseSensitive")
        .value(false)
        .key("idLookup")
        .value(field.idLookup)
        .key("custom")
        .value(field.custom)
        .key("calculated")
        .value(field.calculated)
        .key("filterable")
        .value(field.filterable)
        .key("sortable")
        .value(field.sortable)
        .key("groupable")
        .value(field.sortable && field.type != FieldType::kDateTime)
        .key("autoNumber")
        .value(false)
        .key("restrictedPicklist")
        .value(field.restrictedPicklist)
        .key("dependentPicklist")
        .value(false)
        .key("nameField")
        .value(field.name == "Name")
        .key("defaultValue")
        .null()
        .key("inlineHelpText")
        .null()
        .key("picklistValues")
        .beginArray();
    for (const auto& value : field.picklist) {
      json.beginObject()
          .key("active")
          .value(true)
          .key("defaultValue")
          .value(value.defaultValue)
          .key("label")
          .value(value.value)
          .key("value")
          .value(value.value)
          .key("validFor")
          .null()
          .endObject();
    }
    json.endArray().key("referenceTo").beginArray();
    for (const auto& target : field.referenceTo) json.value(target);
    json.endArray().key("relationshipName");
    if (field.relationshipName.empty())
      json.null();
    else
      json.value(field.relationshipName);
    json.endObject();
  }
  json.endArray().endObject();
  return jsonResponse(200, json.take());
}

std::vector<size_t> SalesforceService::fieldList(const ObjectDef& object, const std::string& list,
                                                 std::string& unknown) const {
  std::vector<size_t> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    std::string name = list.substr(start, end - start);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (!name.empty()) {
      auto index = object.index(name);
      if (!index) {
        unknown = name;
        return {};
      }
      out.push_back(*index);
    }
    start = end + 1;
  }
  return out;
}

Response SalesforceService::sobjects(const Request& request, const std::string& version,
                                     const std::vector<std::string>& rest) {
  const std::string& method = request.method;
  if (rest.size() == 1)
    return method == "GET" ? describeGlobal(version) : methodNotAllowed(method, "GET,HEAD");
  const ObjectDef* object = schema_.object(rest[1]);
  if (!object) return restError(404, "NOT_FOUND", "The requested resource does not exist");
  if (rest.size() == 2) return sobjectRoot(request, *object, version);
  const std::string& third = rest[2];
  if (rest.size() == 3) {
    if (third == "describe") {
      if (method != "GET") return methodNotAllowed(method, "GET,HEAD");
      if (const std::string* since = request.header("If-Modified-Since")) {
        Poco::DateTime parsed;
        int tz = 0;
        if (Poco::DateTimeParser::tryParse(*since, parsed, tz) &&
            parsed.timestamp().epochMicroseconds() / 1000 - tz * 1000LL >= kSchemaModifiedMs) {
          Response response;
          response.status = 304;
          return response;
        }
      }
      return describe(*object, version);
    }
    if (third == "updated" || third == "deleted") {
      if (method != "GET") return methodNotAllowed(method, "GET,HEAD");
      return replication(request, *object, third == "deleted");
    }
    if (iequals(third, "Id")) {
      // POST /sobjects/Contact/Id: upsert with a null id inserts (v37+).
      if (method != "POST") return methodNotAllowed(method, "POST");
      return byExternalId(request, *object, "Id", "", version);
    }
    return record(request, *object, third, version);
  }
  if (rest.size() == 4) return byExternalId(request, *object, third, rest[3], version);
  return notFound();
}

Response SalesforceService::sobjectRoot(const Request& request, const ObjectDef& object,
                                        const std::string& version) {
  if (request.method == "GET") {
    JsonWriter json;
    std::string base = "/services/data/" + version + "/sobjects/" + object.name;
    json.beginObject()
        .key("objectDescribe")
        .beginObject()
        .key("name")
        .value(object.name)
        .key("label")
        .value(object.label)
        .key("keyPrefix")
        .value(object.keyPrefix)
        .key("createable")
        .value(true)
        .key("updateable")
        .value(true)
        .key("deletable")
        .value(true)
        .key("queryable")
        .value(true)
        .key("urls")
        .beginObject()
        .key("sobject")
        .value(base)
        .key("describe")
        .value(base + "/describe")
        .key("rowTemplate")
        .value(base + "/{ID}")
        .endObject()
        .endObject()
        .key("recentItems")
        .beginArray()
        .endArray()
        .endObject();
    return jsonResponse(200, json.take());
  }
  if (request.method != "POST") return methodNotAllowed(request.method, "GET,HEAD,POST");
  if (!isJsonContent(request)) return unsupportedMedia(request);
  Response error;
  bool ok;
  auto body = parseJsonBody(request.body, error, ok);
  if (!ok) return error;
  auto fields = body.type() == typeid(Poco::JSON::Object::Ptr)
                    ? body.extract<Poco::JSON::Object::Ptr>()
                    : nullptr;
  if (!fields)
    return restError(400, "JSON_PARSER_ERROR",
                     "Cannot deserialize instance of " + object.name + " from a non-object");
  FieldInputs inputs;
  std::string problem;
  if (!toFieldInputs(*fields, inputs, problem)) return restError(400, "JSON_PARSER_ERROR", problem);
  SaveResult result = org_->create(object, inputs);
  if (!result.success) return jsonResponse(400, saveErrorsJson(result.errors, true));
  JsonWriter json;
  json.beginObject()
      .key("id")
      .value(result.id)
      .key("success")
      .value(true)
      .key("errors")
      .beginArray()
      .endArray()
      .endObject();
  Response response = jsonResponse(201, json.take());
  response.headers.emplace_back(
      "Location", "/services/data/" + version + "/sobjects/" + object.name + "/" + result.id);
  return response;
}

Response SalesforceService::record(const Request& request, const ObjectDef& object,
                                   const std::string& idText, const std::string& version) {
  auto id = normalizeId(idText);
  Record* found = id ? org_->find(*id) : nullptr;
  const std::string& method = request.method;
  if (!found || found->type != &object) {
    if (method != "GET" && method != "PATCH" && method != "DELETE")
      return methodNotAllowed(method, "GET,PATCH,DELETE,HEAD");
    return restError(404, "NOT_FOUND",
                     "Provided external ID field does not exist or is not accessible: " + idText);
  }
  if (method == "GET") {
    if (found->deleted()) return notFound();
    std::vector<size_t> fields;
    if (const std::string* list = request.param("fields")) {
      std::string unknown;
      fields = fieldList(object, *list, unknown);
      if (!unknown.empty())
        return restError(
            400, "INVALID_FIELD",
            "No such column '" + unknown + "' on entity '" + object.name +
                "'. If you are attempting to use a custom field, be sure to append the "
                "'__c' after the custom field name. Please reference your WSDL or the "
                "describe call for the appropriate names.");
    }
    return jsonResponse(200, org_->renderRecord(*found, fields, version));
  }
  if (method == "PATCH") {
    if (found->deleted()) return restError(404, "ENTITY_IS_DELETED", "entity is deleted");
    if (!isJsonContent(request)) return unsupportedMedia(request);
    Response error;
    bool ok;
    auto body = parseJsonBody(request.body, error, ok);
    if (!ok) return error;
    auto fields = body.type() == typeid(Poco::JSON::Object::Ptr)
                      ? body.extract<Poco::JSON::Object::Ptr>()
                      : nullptr;
    if (!fields)
      return restError(400, "JSON_PARSER_ERROR",
                       "Cannot deserialize instance of " + object.name + " from a non-object");
    FieldInputs inputs;
    std::string problem;
    if (!toFieldInputs(*fields, inputs, problem))
      return restError(400, "JSON_PARSER_ERROR", problem);
    SaveResult result = org_->update(object, found->id, inputs);
    if (!result.success) return jsonResponse(400, saveErrorsJson(result.errors, true));
    Response response;
    response.status = 204;
    return response;
  }
  if (method == "DELETE") {
    if (found->deleted()) return restError(404, "ENTITY_IS_DELETED", "entity is deleted");
    SaveResult result = org_->remove(found->id);
    if (!result.success) return jsonResponse(400, saveErrorsJson(result.errors, true));
    Response response;
    response.status = 204;
    return response;
  }
  return methodNotAllowed(method, "GET,PATCH,DELETE,HEAD");
}

Response SalesforceService::byExternalId(const Request& request, const ObjectDef& object,
                                         const std::string& fieldName, const std::string& value,
                                         const std::string& version) {
  const FieldDef* field = object.field(fieldName);
  const std::string& method = request.method;
  if (!field || !(field->externalId || field->type == FieldType::kId))
    return restError(
        404, "NOT_FOUND",
        "Provided external ID field does not exist or is not accessible: " + fieldName);
  if (method == "GET" || method == "DELETE") {
    auto ids = org_->findByExternalId(object, object.require(field->name), value);
    if (ids.empty()) return notFound();
    if (ids.size() > 1) {
      JsonWriter json;
      json.beginArray();
      for (const auto& id : ids)
        json.value("/services/data/" + version + "/sobjects/" + object.name + "/" + id);
      json.endArray();
      return jsonResponse(300, json.take());
    }
    return record(request, object, ids[0], version);
  }
  if (method != "PATCH" && method != "POST")
    return methodNotAllowed(method, "GET,PATCH,DELETE,HEAD");
  if (!isJsonContent(request)) return unsupportedMedia(request);
  Response error;
  bool ok;
  auto body = parseJsonBody(request.body, error, ok);
  if (!ok) return error;
  auto fields = body.type() == typeid(Poco::JSON::Object::Ptr)
                    ? body.extract<Poco::JSON::Object::Ptr>()
                    : nullptr;
  if (!fields)
    return restError(400, "JSON_PARSER_ERROR",
                     "Cannot deserialize instance of " + object.name + " from a non-object");
  FieldInputs inputs;
  std::string problem;
  if (!toFieldInputs(*fields, inputs, problem)) return restError(400, "JSON_PARSER_ERROR", problem);
  if (boolParam(request, "updateOnly").value_or(false) &&
      org_->findByExternalId(object, object.require(field->name), value).empty())
    return notFound();
  std::vector<std::string> matches;
  SaveResult result = org_->upsert(object, *field, value, inputs, &matches);
  if (!matches.empty()) {
    JsonWriter json;
    json.beginArray();
    for (const auto& id : matches)
      json.value("/services/data/" + version + "/sobjects/" + object.name + "/" + id);
    json.endArray();
    return jsonResponse(300, json.take());
  }
  if (!result.success) {
    bool missing = !result.errors.empty() && result.errors[0].statusCode == "NOT_FOUND";
    return missing ? notFound() : jsonResponse(400, saveErrorsJson(result.errors, true));
  }
  int versionNumber = parseVersion(version).value_or(kMaxApiVersion);
  if (!result.created && versionNumber < 46) {
    Response response;
    response.status = 204;
    return response;
  }
  JsonWriter json;
  json.beginObject()
      .key("id")
      .value(result.id)
      .key("success")
      .value(true)
      .key("errors")
      .beginArray()
      .endArray();
  json.key("created").value(result.created).endObject();
  return jsonResponse(result.created ? 201 : 200, json.take());
}

Response SalesforceService::replication(const Request& request, const ObjectDef& object,
                                        bool deleted) {
  const std::string* startText = request.param("start");
  const std::string* endText = request.param("end");
  if (!startText || !endText)
    return restError(400, "MISSING_ARGUMENT",
                     "Both start and end are required (ISO-8601 dateTime)");
  auto start = parseDateTime(*startText);
  auto end = parseDateTime(*endText);
  if (!start || !end)
    return restError(
        400, "INVALID_REPLICATION_DATE",
        "start and end must be ISO-8601 dateTimes with an offset, e.g. 2024-03-05T00:00:00+00:00");
  // Seconds are ignored: both bounds are truncated to the minute.
  auto minute = [](int64_t ms) { return ms - ((ms % 60000) + 60000) % 60000; };
  int64_t current = now();
  int64_t from = minute(*start);
  int64_t latest = minute(std::min(*end, current));
  if (from > latest) return restError(400, "INVALID_REPLICATION_DATE", "start must be before end");
  int64_t window = (deleted ? 15 : 30) * 24 * 3600 * 1000LL;
  if (from < current - window)
    return restError(
        400, "INVALID_REPLICATION_DATE",
        std::string("start must be within the last ") + (deleted ? "15" : "30") + " days");
  JsonWriter json;
  json.beginObject();
  if (deleted) {
    auto ids = org_->deletedIds(object, from, latest);
    if (static_cast<int64_t>(ids.size()) > kReplicationIdLimit)
      return restError(400, "EXCEEDED_ID_LIMIT", "too many ids; narrow the window");
    json.key("deletedRecords").beginArray();
    for (const auto& [id, when] : ids)
      json.beginObject()
          .key("id")
          .value(id)
          .key("deletedDate")
          .value(formatDateTime(when))
          .endObject();
    json.endArray().key("earliestDateAvailable").value(formatDateTime(minute(current - window)));
  } else {
    auto ids = org_->updatedIds(object, from, latest);
    if (static_cast<int64_t>(ids.size()) > kReplicationIdLimit)
      return restError(400, "EXCEEDED_ID_LIMIT", "too many ids; narrow the window");
    json.key("ids").beginArray();
    for (const auto& id : ids) json.value(id);
    json.endArray();
  }
  json.key("latestDateCovered").value(formatDateTime(latest)).endObject();
  return jsonResponse(200, json.take());
}

Response SalesforceService::composite(const Request& request, const std::string& version,
                                      const std::vector<std::string>& rest) {
  if (rest.size() < 2 || rest[1] != "sobjects")
    return notFound();  // composite graph/batch/tree: not emulated
  const std::string& method = request.method;
  if (rest.size() == 2) {
    if (method == "POST" || method == "PATCH") return collectionWrite(request, method);
    if (method == "DELETE") return collectionDelete(request);
    return methodNotAllowed(method, "POST,PATCH,DELETE");
  }
  const ObjectDef* object = schema_.object(rest[2]);
  if (!object)
    return restError(400, "INVALID_TYPE", "sObject type '" + rest[2] + "' is not supported.");
  if (rest.size() == 3) {
    if (method == "GET" || method == "POST") return collectionRetrieve(request, *object, version);
    return methodNotAllowed(method, "GET,POST");
  }
  if (rest.size() == 4) {
    if (method != "PATCH") return methodNotAllowed(method, "PATCH");
    return collectionUpsert(request, *object, rest[3]);
  }
  return notFound();
}

namespace {

// Common body checks for collections: {"allOrNone":bool,"records":[...]} with ≤200 records.
struct CollectionBody {
  bool allOrNone = false;
  Poco::JSON::Array::Ptr records;
};

std::optional<Response> readCollection(const Request& request, CollectionBody& out) {
  if (!isJsonContent(request)) return unsupportedMedia(request);
  Response error;
  bool ok;
  auto body = parseJsonBody(request.body, error, ok);
  if (!ok) return error;
  auto object = body.type() == typeid(Poco::JSON::Object::Ptr)
                    ? body.extract<Poco::JSON::Object::Ptr>()
                    : nullptr;
  if (!object)
    return restError(400, "JSON_PARSER_ERROR", "Expected a JSON object with \"records\"");
  if (object->has("allOrNone")) {
    auto flag = object->get("allOrNone");
    if (!flag.isBoolean())
      return restError(400, "JSON_PARSER_ERROR", "allOrNone must be a boolean");
    out.allOrNone = flag.convert<bool>();
  }
  if (!object->has("records") || object->get("records").type() != typeid(Poco::JSON::Array::Ptr))
    return restError(400, "JSON_PARSER_ERROR", "Expected \"records\" to be an array");
  out.records = object->getArray("records");
  if (out.records->size() > kCollectionLimit)
    return restError(400, "EXCEEDED_ID_LIMIT",
                     "record limit reached. cannot submit more than 200 records into this call");
  if (out.records->size() == 0) return restError(400, "MISSING_ARGUMENT", "records is empty");
  for (size_t i = 0; i < out.records->size(); ++i) {
    if (!out.records->getObject(static_cast<unsigned>(i)))
      return restError(400, "JSON_PARSER_ERROR",
                       "records[" + std::to_string(i) + "] is not an object");
  }
  return std::nullopt;
}

std::string recordType(const Poco::JSON::Object& record) {
  auto attributes = record.getObject("attributes");
  if (!attributes || !attributes->has("type")) return "";
  return attributes->optValue<std::string>("type", "");
}

std::string recordId(const Poco::JSON::Object& record) {
  for (const auto& name : record.getNames()) {
    if (iequals(name, "id")) {
      auto value = record.get(name);
      return value.isString() ? value.convert<std::string>() : "";
    }
  }
  return "";
}

}  // namespace

Response SalesforceService::collectionWrite(const Request& request, const std::string& method) {
  CollectionBody body;
  if (auto error = readCollection(request, body)) return *error;
  bool creating = method == "POST";
  Transaction tx;
  std::vector<SaveResult> results;
  std::vector<std::string> failedIds;
  bool anyFailed = false;
  for (size_t i = 0; i < body.records->size(); ++i) {
    auto item = body.records->getObject(static_cast<unsigned>(i));
    SaveResult result;
    std::string id = creating ? "" : recordId(*item);
    std::string typeName = recordType(*item);
    const ObjectDef* object = typeName.empty() ? nullptr : schema_.object(typeName);
    if (!object && !creating && typeName.empty())
      object = schema_.objectForId(id);  // type from the id prefix
    FieldInputs inputs;
    std::string problem;
    if (!object) {
      result.errors.push_back({"INVALID_TYPE",
                               typeName.empty()
                                   ? "Must send a concrete entity type."
                                   : "sObject type '" + typeName + "' is not supported.",
                               {},
                               {}});
    } else if (creating && !recordId(*item).empty()) {
      result.errors.push_back({"INVALID_FIELD", "cannot specify Id in an insert call", {"Id"}, {}});
    } else if (!creating && id.empty()) {
      result.errors.push_back(
          {"MISSING_ARGUMENT", "Id not specified in an update call", {"Id"}, {}});
    } else if (!toFieldInputs(*item, inputs, problem, {"id"})) {
      result.errors.push_back({"JSON_PARSER_ERROR", problem, {}, {}});
    } else {
      result =
          creating ? org_->create(*object, inputs, &tx) : org_->update(*object, id, inputs, &tx);
    }
    anyFailed = anyFailed || !result.success;
    failedIds.push_back(creating ? "" : id);
    results.push_back(std::move(result));
  }
  if (body.allOrNone && anyFailed) {
    org_->rollback(tx);
    for (auto& result : results) {
      if (result.success) {
        result.success = false;
        result.errors = {rolledBack()};
      }
    }
  }
  JsonWriter json;
  json.beginArray();
  for (size_t i = 0; i < results.size(); ++i) writeResult(json, results[i], failedIds[i], false);
  json.endArray();
  return jsonResponse(200, json.take());
}

Response SalesforceService::collectionDelete(const Request& request) {
  const std::string* idsText = request.param("ids");
  if (!idsText || idsText->empty()) return restError(400, "MISSING_ARGUMENT", "ids is required");
  std::vector<std::string> ids;
  size_t start = 0;
  while (start <= idsText->size()) {
    size_t end = idsText->find(',', start);
    if (end == std::string::npos) end = idsText->size();
    if (end > start) ids.push_back(idsText->substr(start, end - start));
    start = end + 1;
  }
  if (ids.size() > kCollectionLimit)
    return restError(400, "EXCEEDED_ID_LIMIT",
                     "record limit reached. cannot submit more than 200 records into this call");
  bool allOrNone = boolParam(request, "allOrNone").value_or(false);
  Transaction tx;
  std::vector<SaveResult> results;
  bool anyFailed = false;
  for (const auto& id : ids) {
    SaveResult result = org_->remove(id, &tx);
    anyFailed = anyFailed || !result.success;
    results.push_back(std::move(result));
  }
  if (allOrNone && anyFailed) {
    org_->rollback(tx);
    for (auto& result : results) {
      if (result.success) {
        result.success = false;
        result.errors = {rolledBack()};
      }
    }
  }
  JsonWriter json;
  json.beginArray();
  for (size_t i = 0; i < results.size(); ++i) writeResult(json, results[i], ids[i], false);
  json.endArray();
  return jsonResponse(200, json.take());
}

Response SalesforceService::collectionUpsert(const Request& request, const ObjectDef& object,
                                             const std::string& fieldName) {
  const FieldDef* field = object.field(fieldName);
  if (!field || !field->externalId)
    return restError(
        404, "NOT_FOUND",
        "Provided external ID field does not exist or is not accessible: " + fieldName);
  CollectionBody body;
  if (auto error = readCollection(request, body)) return *error;
  // Keys used twice in one request fail both records, as in Salesforce.
  std::map<std::string, int> keyCount;
  std::vector<std::string> keys;
  for (size_t i = 0; i < body.records->size(); ++i) {
    auto item = body.records->getObject(static_cast<unsigned>(i));
    std::string key;
    for (const auto& name : item->getNames()) {
      if (iequals(name, field->name)) {
        auto value = item->get(name);
        if (!value.isEmpty() && !value.isArray() && value.type() != typeid(Poco::JSON::Object::Ptr))
          key = value.convert<std::string>();
      }
    }
    keys.push_back(key);
    if (!key.empty()) ++keyCount[toLower(key)];
  }
  Transaction tx;
  std::vector<SaveResult> results;
  bool anyFailed = false;
  for (size_t i = 0; i < body.records->size(); ++i) {
    auto item = body.records->getObject(static_cast<unsigned>(i));
    SaveResult result;
    std::string typeName = recordType(*item);
    FieldInputs inputs;
    std::string problem;
    if (!typeName.empty() && !iequals(typeName, object.name)) {
      result.errors.push_back(
          {"INVALID_TYPE", "records must all be of type " + object.name, {}, {}});
    } else if (!recordId(*item).empty()) {
      result.errors.push_back({"INVALID_FIELD",
                               "Id is not allowed in an upsert by external id; use " + field->name,
                               {"Id"},
                               {}});
    } else if (keys[i].empty()) {
      result.errors.push_back(
          {"MISSING_ARGUMENT", field->name + " not specified", {field->name}, {}});
    } else if (keyCount[toLower(keys[i])] > 1) {
      result.errors.push_back({"DUPLICATE_EXTERNAL_ID",
                               "Duplicate external id specified: " + keys[i],
                               {field->name},
                               {}});
    } else if (!toFieldInputs(*item, inputs, problem)) {
      result.errors.push_back({"JSON_PARSER_ERROR", problem, {}, {}});
    } else {
      result = org_->upsert(object, *field, keys[i], inputs, nullptr, &tx);
    }
    anyFailed = anyFailed || !result.success;
    results.push_back(std::move(result));
  }
  if (body.allOrNone && anyFailed) {
    org_->rollback(tx);
    for (auto& result : results) {
      if (result.success) {
        result.success = false;
        result.errors = {rolledBack()};
      }
    }
  }
  JsonWriter json;
  json.beginArray();
  for (const auto& result : results) writeResult(json, result, "", true);
  json.endArray();
  return jsonResponse(200, json.take());
}

Response SalesforceService::collectionRetrieve(const Request& request, const ObjectDef& object,
                                               const std::string& version) {
  std::vector<std::string> ids;
  std::string fieldsText;
  if (request.method == "GET") {
    const std::string* idsText = request.param("ids");
    const std::string* fields = request.param("fields");
    if (!idsText || !fields)
      return restError(400, "MISSING_ARGUMENT", "ids and fields are required");
    fieldsText = *fields;
    size_t start = 0;
    while (start <= idsText->size()) {
      size_t end = idsText->find(',', start);
      if (end == std::string::npos) end = idsText->size();
      if (end > start) ids.push_back(idsText->substr(start, end - start));
      start = end + 1;
    }
    if (ids.size() > 200)
      return restError(400, "EXCEEDED_ID_LIMIT",
                       "cannot retrieve more than 200 ids in a GET; use POST");
  } else {
    Response error;
    bool ok;
    auto body = parseJsonBody(request.body, error, ok);
    if (!ok) return error;
    auto object = body.type() == typeid(Poco::JSON::Object::Ptr)
                      ? body.extract<Poco::JSON::Object::Ptr>()
                      : nullptr;
    auto idArray = object ? object->getArray("ids") : nullptr;
    auto fieldArray = object ? object->getArray("fields") : nullptr;
    if (!idArray || !fieldArray)
      return restError(400, "JSON_PARSER_ERROR", "Expected {\"ids\":[...],\"fields\":[...]}");
    for (size_t i = 0; i < idArray->size(); ++i)
      ids.push_back(idArray->getElement<std::string>(static_cast<unsigned>(i)));
    for (size_t i = 0; i < fieldArray->size(); ++i)
      fieldsText += (i ? "," : "") + fieldArray->getElement<std::string>(static_cast<unsigned>(i));
    if (ids.size() > 2000)
      return restError(400, "EXCEEDED_ID_LIMIT", "cannot retrieve more than 2000 ids");
  }
  std::string unknown;
  auto fields = fieldList(object, fieldsText, unknown);
  if (!unknown.empty())
    return restError(400, "INVALID_FIELD",
                     "No such column '" + unknown + "' on entity '" + object.name + "'");
  if (fields.empty()) return restError(400, "MISSING_ARGUMENT", "fields is required");
  std::vector<std::string> rows;
  for (const auto& id : ids) {
    Record* found = org_->find(id);
    if (!found || found->type != &object || found->deleted())
      rows.push_back("null");
    else
      rows.push_back(org_->renderRecord(*found, fields, version));
  }
  return jsonResponse(200, joined(rows));
}

std::unique_ptr<Service> makeSalesforceService(const SalesforceOptions& options) {
  return std::make_unique<SalesforceService>(options);
}

}  // namespace ferry::sandbox::salesforce
