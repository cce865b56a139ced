// Bulk API 2.0 (reference §7): ingest jobs (CSV upload, UploadComplete, results) and query jobs
// (CSV results paged with Sforce-Locator). Jobs run synchronously when closed; the first poll
// reports InProgress so clients exercise their polling loop.
#include <algorithm>
#include <charconv>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>

#include "csv.hpp"
#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/json_writer.hpp"
#include "service_impl.hpp"

namespace ferry::sandbox::salesforce {
namespace {

Response bulkError(int status, const std::string& code, const std::string& message) {
  return restError(status, code, message);
}

Response csvResponse(std::string body) {
  Response response = jsonResponse(200, std::move(body));
  response.contentType = "text/csv";
  return response;
}

std::string encodeLocator(size_t offset) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder << offset;
  encoder.close();
  return out.str();
}

std::optional<size_t> decodeLocator(const std::string& locator) {
  try {
    std::istringstream in(locator);
    Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    std::string text((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
    size_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

std::string lineEndingText(const std::string& name) { return name == "CRLF" ? "\r\n" : "\n"; }

bool terminal(const std::string& state) {
  return state == "JobComplete" || state == "Failed" || state == "Aborted";
}

}  // namespace

std::string SalesforceService::ingestJson(const IngestJob& job, bool full) const {
  JsonWriter json;
  json.beginObject()
      .key("id")
      .value(job.id)
      .key("operation")
      .value(job.operation)
      .key("object")
      .value(job.object)
      .key("createdById")
      .value(org_->userId())
      .key("createdDate")
      .value(formatDateTime(job.createdMs))
      .key("systemModstamp")
      .value(formatDateTime(job.modifiedMs))
      .key("state")
      .value(job.state);
  if (!job.externalIdField.empty()) json.key("externalIdFieldName").value(job.externalIdField);
  json.key("concurrencyMode")
      .value("Parallel")
      .key("contentType")
      .value("CSV")
      .key("apiVersion")
      .value(std::stod(job.apiVersion.substr(1)))
      .key("contentUrl")
      .value("services/data/" + job.apiVersion + "/jobs/ingest/" + job.id + "/batches")
      .key("lineEnding")
      .value(job.lineEnding)
      .key("columnDelimiter")
      .value(job.columnDelimiter);
  if (full) {
    json.key("jobType")
        .value("V2Ingest")
        .key("numberRecordsProcessed")
        .value(job.processed)
        .key("numberRecordsFailed")
        .value(job.failed)
        .key("retries")
        .value(0)
        .key("totalProcessingTime")
        .value(job.processed)
        .key("apiActiveProcessingTime")
        .value(job.processed)
        .key("apexProcessingTime")
        .value(0);
    if (!job.errorMessage.empty()) json.key("errorMessage").value(job.errorMessage);
  }
  json.endObject();
  return json.take();
}

std::string SalesforceService::queryJobJson(const QueryJob& job) const {
  JsonWriter json;
  json.beginObject()
      .key("id")
      .value(job.id)
      .key("operation")
      .value(job.operation)
      .key("object")
      .value(job.object)
      .key("createdById")
      .value(org_->userId())
      .key("createdDate")
      .value(formatDateTime(job.createdMs))
      .key("systemModstamp")
      .value(formatDateTime(job.modifiedMs))
      .key("state")
      .value(job.state)
      .key("concurrencyMode")
      .value("Parallel")
      .key("contentType")
      .value("CSV")
      .key("apiVersion")
      .value(std::stod(job.apiVersion.substr(1)))
      .key("jobType")
      .value("V2Query")
      .key("lineEnding")
      .value(job.lineEnding)
      .key("columnDelimiter")
      .value(job.columnDelimiter)
      .key("numberRecordsProcessed")
      .value(static_cast<int64_t>(job.state == "JobComplete" ? job.rows.size() : 0))
      .key("retries")
      .value(0)
      .key("totalProcessingTime")
      .value(0);
  if (!job.errorMessage.empty()) json.key("errorMessage").value(job.errorMessage);
  json.endObject();
  return json.take();
}

Response SalesforceService::bulk(const Request& request, const std::string& version,
                                 const std::vector<std::string>& rest) {
  if (rest.size() < 2) return restError(404, "NOT_FOUND", "The requested resource does not exist");
  if (rest[1] == "ingest") return ingest(request, version, rest);
  if (rest[1] == "query") return queryJobs(request, version, rest);
  return restError(404, "NOT_FOUND", "The requested resource does not exist");
}

Response SalesforceService::ingest(const Request& request, const std::string& version,
                                   const std::vector<std::string>& rest) {
  const std::string& method = request.method;
  if (rest.size() == 2) {
    if (method == "GET") {
      JsonWriter json;
      json.beginObject().key("done").value(true).key("records").beginArray();
      for (const auto& [id, job] : ingestJobs_) json.raw(ingestJson(job, false));
      json.endArray().key("nextRecordsUrl").null().endObject();
      return jsonResponse(200, json.take());
    }
    if (method != "POST") return restError(405, "METHOD_NOT_ALLOWED", "use GET or POST");
    Response error;
    bool ok;
    auto body = parseJsonBody(request.body, error, ok);
    if (!ok) return error;
    auto spec = body.type() == typeid(Poco::JSON::Object::Ptr)
                    ? body.extract<Poco::JSON::Object::Ptr>()
                    : nullptr;
    if (!spec)
      return bulkError(400, "INVALIDJOB", "InvalidJob : the job definition must be a JSON object");
    IngestJob job;
    job.object = spec->optValue<std::string>("object", "");
    job.operation = spec->optValue<std::string>("operation", "");
    job.externalIdField = spec->optValue<std::string>("externalIdFieldName", "");
    job.lineEnding = spec->optValue<std::string>("lineEnding", "LF");
    job.columnDelimiter = spec->optValue<std::string>("columnDelimiter", "COMMA");
    std::string contentType = spec->optValue<std::string>("contentType", "CSV");
    const ObjectDef* object = schema_.object(job.object);
    if (!object)
      return bulkError(400, "INVALIDJOB",
                       "InvalidJob : Object '" + job.object + "' is not supported by Bulk API 2.0");
    job.object = object->name;
    static const char* kOperations[] = {"insert", "update", "upsert", "delete", "hardDelete"};
    if (std::none_of(std::begin(kOperations), std::end(kOperations),
                     [&](const char* op) { return job.operation == op; }))
      return bulkError(
          400, "INVALIDJOB",
          "InvalidJob : operation must be insert, update, upsert, delete or hardDelete");
    if (contentType != "CSV")
      return bulkError(400, "INVALIDJOB", "InvalidJob : contentType must be CSV");
    if (job.lineEnding != "LF" && job.lineEnding != "CRLF")
      return bulkError(400, "INVALIDJOB", "InvalidJob : lineEnding must be LF or CRLF");
    if (!csvDelimiter(job.columnDelimiter))
      return bulkError(400, "INVALIDJOB",
                       "InvalidJob : unknown columnDelimiter " + job.columnDelimiter);
    if (job.operation == "upsert") {
      const FieldDef* key = object->field(job.externalIdField);
      if (!key || !(key->externalId || key->type == FieldType::kId))
        return bulkError(400, "INVALIDJOB",
                         "InvalidJob : externalIdFieldName '" + job.externalIdField +
                             "' is not an external id field of " + object->name);
      job.externalIdField = key->name;
    } else if (!job.externalIdField.empty()) {
      return bulkError(400, "INVALIDJOB",
                       "InvalidJob : externalIdFieldName is only valid for upsert");
    }
    job.id = makeId("750", ++jobSerial_);
    job.apiVersion = version;
    job.createdMs = job.modifiedMs = now();
    std::string json = ingestJson(job, false);
    ingestJobs_[job.id] = std::move(job);
    return jsonResponse(200, json);
  }
  auto it = ingestJobs_.find(normalizeId(rest[2]).value_or(rest[2]));
  if (it == ingestJobs_.end())
    return bulkError(404, "NOT_FOUND", "The requested resource does not exist");
  IngestJob& job = it->second;
  if (rest.size() == 3) {
    if (method == "GET") {
      std::string json = ingestJson(job, true);
      if (job.state == "UploadComplete")
        job.state = "InProgress";
      else if (job.state == "InProgress")
        job.state = job.errorMessage.empty() ? "JobComplete" : "Failed";
      return jsonResponse(200, json);
    }
    if (method == "DELETE") {
      if (job.state == "UploadComplete" || job.state == "InProgress")
        return bulkError(400, "INVALIDJOBSTATE",
                         "Job can't be deleted while it is being processed");
      ingestJobs_.erase(it);
      Response response;
      response.status = 204;
      return response;
    }
    if (method != "PATCH") return restError(405, "METHOD_NOT_ALLOWED", "use GET, PATCH or DELETE");
    Response error;
    bool ok;
    auto body = parseJsonBody(request.body, error, ok);
    if (!ok) return error;
    auto change = body.type() == typeid(Poco::JSON::Object::Ptr)
                      ? body.extract<Poco::JSON::Object::Ptr>()
                      : nullptr;
    std::string state = change ? change->optValue<std::string>("state", "") : "";
    if (state == "UploadComplete") {
      if (job.state != "Open")
        return bulkError(400, "INVALIDJOBSTATE", "Job is not in Open state: " + job.state);
      job.state = "UploadComplete";
      job.modifiedMs = now();
      processIngest(job);
    } else if (state == "Aborted") {
      if (terminal(job.state))
        return bulkError(400, "INVALIDJOBSTATE", "Job is already " + job.state);
      job.state = "Aborted";
      job.modifiedMs = now();
    } else {
      return bulkError(400, "INVALIDJOBSTATE", "state must be UploadComplete or Aborted");
    }
    return jsonResponse(200, ingestJson(job, false));
  }
  if (rest.size() == 4 && rest[3] == "batches") {
    if (method != "PUT") return restError(405, "METHOD_NOT_ALLOWED", "use PUT");
    const std::string* type = request.header("Content-Type");
    if (!type || toLower(*type).find("text/csv") == std::string::npos)
      return bulkError(400, "INVALIDJOB", "InvalidJob : Content-Type must be text/csv");
    if (job.state != "Open")
      return bulkError(409, "INVALIDJOBSTATE", "Job is not in Open state: " + job.state);
    if (job.uploaded)
      return bulkError(409, "INVALIDJOBSTATE",
                       "Job data was already uploaded; a job takes one upload");
    job.data = request.body;
    job.uploaded = true;
    job.modifiedMs = now();
    Response response;
    response.status = 201;
    return response;
  }
  if (rest.size() == 4 && (rest[3] == "successfulResults" || rest[3] == "failedResults" ||
                           rest[3] == "unprocessedrecords")) {
    if (method != "GET") return restError(405, "METHOD_NOT_ALLOWED", "use GET");
    if (rest[3] != "unprocessedrecords" && job.state != "JobComplete" && job.state != "Failed")
      return bulkError(409, "INVALIDJOBSTATE",
                       "results are available once the job is processed; state " + job.state);
    if (rest[3] == "successfulResults") return csvResponse(job.successCsv);
    if (rest[3] == "failedResults") return csvResponse(job.failedCsv);
    return csvResponse(job.unprocessedCsv);
  }
  return bulkError(404, "NOT_FOUND", "The requested resource does not exist");
}

void SalesforceService::processIngest(IngestJob& job) {
  char delimiter = *csvDelimiter(job.columnDelimiter);
  std::string lineEnding = lineEndingText(job.lineEnding);
  if (!job.uploaded) {
    job.errorMessage = "InvalidBatch : no data was uploaded before UploadComplete";
    return;
  }
  std::string problem;
  auto table = parseCsv(job.data, delimiter, problem);
  if (!table) {
    job.errorMessage = "InvalidBatch : " + problem;
    return;
  }
  const ObjectDef& object = *schema_.object(job.object);
  // Columns: plain fields, or "Relationship.ExternalIdField" resolved to the reference field.
  struct Column {
    std::string field;
    const ObjectDef* parent = nullptr;
    size_t parentKey = 0;
  };
  std::vector<Column> columns;
  std::optional<size_t> idColumn, keyColumn;
  for (size_t c = 0; c < table->header.size(); ++c) {
    const std::string& name = table->header[c];
    size_t dot = name.find('.');
    if (dot != std::string::npos) {
      auto via = object.relationshipIndex(name.substr(0, dot));
      const ObjectDef* parent = via ? schema_.object(object.fields[*via].referenceTo[0]) : nullptr;
      const FieldDef* key = parent ? parent->field(name.substr(dot + 1)) : nullptr;
      if (!key || !(key->externalId || key->type == FieldType::kId)) {
        job.errorMessage = "InvalidBatch : Field name not found : " + name;
        return;
      }
      columns.push_back({object.fields[*via].name, parent, parent->require(key->name)});
      continue;
    }
    const FieldDef* def = object.field(name);
    if (!def) {
      job.errorMessage = "InvalidBatch : Field name not found : " + name;
      return;
    }
    if (def->type == FieldType::kId) idColumn = c;
    if (!job.externalIdField.empty() && iequals(def->name, job.externalIdField)) keyColumn = c;
    columns.push_back({def->name});
  }
  bool needsId =
      job.operation == "update" || job.operation == "delete" || job.operation == "hardDelete";
  if (needsId && !idColumn) {
    job.errorMessage = "InvalidBatch : Field name not found : Id";
    return;
  }
  if (job.operation == "upsert" && !keyColumn) {
    job.errorMessage = "InvalidBatch : Field name not found : " + job.externalIdField;
    return;
  }
  std::vector<std::string> successHeader = {"sf__Id", "sf__Created"};
  std::vector<std::string> failedHeader = {"sf__Id", "sf__Error"};
  successHeader.insert(successHeader.end(), table->header.begin(), table->header.end());
  failedHeader.insert(failedHeader.end(), table->header.begin(), table->header.end());
  appendCsvRow(job.successCsv, successHeader, delimiter, lineEnding);
  appendCsvRow(job.failedCsv, failedHeader, delimiter, lineEnding);
  appendCsvRow(job.unprocessedCsv, table->header, delimiter, lineEnding);
  for (const auto& row : table->rows) {
    FieldInputs inputs;
    std::vector<SaveError> errors;
    for (size_t c = 0; c < row.size(); ++c) {
      if ((idColumn && c == *idColumn) || row[c].empty()) continue;  // empty cell: leave unchanged
      if (columns[c].parent) {
        auto ids = org_->findByExternalId(*columns[c].parent, columns[c].parentKey, row[c]);
        if (ids.size() != 1) {
          errors.push_back({"INVALID_FIELD",
                            "Foreign key external ID: " + row[c] + " not found for field " +
                                columns[c].parent->fields[columns[c].parentKey].name +
                                " in entity " + columns[c].parent->name,
                            {columns[c].field},
                            {}});
          break;
        }
        inputs.emplace_back(columns[c].field, ids[0]);
        continue;
      }
      if (row[c] == "#N/A")
        inputs.emplace_back(columns[c].field, std::monostate{});
      else
        inputs.emplace_back(columns[c].field, row[c]);
    }
    SaveResult result;
    std::string rowId = idColumn ? row[*idColumn] : "";
    if (!errors.empty()) {
      result.errors = errors;
    } else if (job.operation == "insert") {
      result = org_->create(object, inputs);
    } else if (job.operation == "update") {
      result = org_->update(object, rowId, inputs);
    } else if (job.operation == "upsert") {
      result = org_->upsert(object, *object.field(job.externalIdField), row[*keyColumn], inputs,
                            nullptr);
    } else {
      Record* target = org_->find(rowId);
      if (!target || target->type != &object) {
        result.errors.push_back(
            {"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {}, {}});
      } else {
        result = org_->remove(rowId);
        if (result.success && job.operation == "hardDelete") org_->purge(rowId);
      }
    }
    ++job.processed;
    std::vector<std::string> cells;
    if (result.success) {
      cells = {result.id, result.created ? "true" : "false"};
      cells.insert(cells.end(), row.begin(), row.end());
      appendCsvRow(job.successCsv, cells, delimiter, lineEnding);
    } else {
      ++job.failed;
      const SaveError& first = result.errors.front();
      std::string fields;
      for (const auto& field : first.fields) fields += (fields.empty() ? "" : ",") + field;
      cells = {result.id.empty() ? rowId : result.id,
               first.statusCode + ":" + first.message + ":" + fields + " --"};
      cells.insert(cells.end(), row.begin(), row.end());
      appendCsvRow(job.failedCsv, cells, delimiter, lineEnding);
    }
  }
  job.data.clear();
}

Response SalesforceService::queryJobs(const Request& request, const std::string& version,
                                      const std::vector<std::string>& rest) {
  const std::string& method = request.method;
  if (rest.size() == 2) {
    if (method == "GET") {
      JsonWriter json;
      json.beginObject().key("done").value(true).key("records").beginArray();
      for (const auto& [id, job] : queryJobs_) json.raw(queryJobJson(job));
      json.endArray().key("nextRecordsUrl").null().endObject();
      return jsonResponse(200, json.take());
    }
    if (method != "POST") return restError(405, "METHOD_NOT_ALLOWED", "use GET or POST");
    Response error;
    bool ok;
    auto body = parseJsonBody(request.body, error, ok);
    if (!ok) return error;
    auto spec = body.type() == typeid(Poco::JSON::Object::Ptr)
                    ? body.extract<Poco::JSON::Object::Ptr>()
                    : nullptr;
    if (!spec)
      return bulkError(400, "INVALIDJOB", "InvalidJob : the job definition must be a JSON object");
    QueryJob job;
    job.operation = spec->optValue<std::string>("operation", "");
    job.query = spec->optValue<std::string>("query", "");
    job.lineEnding = spec->optValue<std::string>("lineEnding", "LF");
    job.columnDelimiter = spec->optValue<std::string>("columnDelimiter", "COMMA");
    if (job.operation != "query" && job.operation != "queryAll")
      return bulkError(400, "INVALIDJOB", "InvalidJob : operation must be query or queryAll");
    if (spec->optValue<std::string>("contentType", "CSV") != "CSV")
      return bulkError(400, "INVALIDJOB", "InvalidJob : contentType must be CSV");
    if (job.lineEnding != "LF" && job.lineEnding != "CRLF")
      return bulkError(400, "INVALIDJOB", "InvalidJob : lineEnding must be LF or CRLF");
    if (!csvDelimiter(job.columnDelimiter))
      return bulkError(400, "INVALIDJOB",
                       "InvalidJob : unknown columnDelimiter " + job.columnDelimiter);
    Query parsed;
    try {
      parsed = parseSoql(job.query, schema_);
    } catch (const SoqlError& e) {
      return restError(400, e.code(), e.what());
    }
    if (parsed.count)
      return bulkError(400, "INVALIDJOB",
                       "InvalidJob : Aggregate queries are not supported by Bulk API 2.0");
    if (parsed.offset)
      return bulkError(400, "INVALIDJOB", "InvalidJob : OFFSET is not supported by Bulk API 2.0");
    QueryRows rows = org_->runQuery(parsed, job.operation == "queryAll", version, true);
    job.object = parsed.object->name;
    job.header = std::move(rows.csvHeader);
    job.rows = std::move(rows.csvCells);
    job.id = makeId("750", ++jobSerial_);
    job.apiVersion = version;
    job.createdMs = job.modifiedMs = now();
    job.state = "UploadComplete";
    std::string json = queryJobJson(job);
    queryJobs_[job.id] = std::move(job);
    return jsonResponse(200, json);
  }
  auto it = queryJobs_.find(normalizeId(rest[2]).value_or(rest[2]));
  if (it == queryJobs_.end())
    return bulkError(404, "NOT_FOUND", "The requested resource does not exist");
  QueryJob& job = it->second;
  if (rest.size() == 3) {
    if (method == "GET") {
      std::string json = queryJobJson(job);
      if (job.state == "UploadComplete")
        job.state = "InProgress";
      else if (job.state == "InProgress")
        job.state = "JobComplete";
      return jsonResponse(200, json);
    }
    if (method == "DELETE") {
      queryJobs_.erase(it);
      Response response;
      response.status = 204;
      return response;
    }
    if (method != "PATCH") return restError(405, "METHOD_NOT_ALLOWED", "use GET, PATCH or DELETE");
    Response error;
    bool ok;
    auto body = parseJsonBody(request.body, error, ok);
    if (!ok) return error;
    auto change = body.type() == typeid(Poco::JSON::Object::Ptr)
                      ? body.extract<Poco::JSON::Object::Ptr>()
                      : nullptr;
    if (!change || change->optValue<std::string>("state", "") != "Aborted")
      return bulkError(400, "INVALIDJOBSTATE", "state must be Aborted");
    if (terminal(job.state))
      return bulkError(400, "INVALIDJOBSTATE", "Job is already " + job.state);
    job.state = "Aborted";
    return jsonResponse(200, queryJobJson(job));
  }
  if (rest.size() == 4 && rest[3] == "results") {
    if (method != "GET") return restError(405, "METHOD_NOT_ALLOWED", "use GET");
    if (version != job.apiVersion)
      return bulkError(409, "INVALIDVERSION",
                       "Results must be read with the API version that created the job (" +
                           job.apiVersion + ")");
    if (job.state != "JobComplete")
      return bulkError(409, "INVALIDJOBSTATE", "Job is not complete: " + job.state);
    size_t offset = 0;
    if (const std::string* locator = request.param("locator"); locator && !locator->empty()) {
      auto decoded = decodeLocator(*locator);
      if (!decoded || *decoded > job.rows.size())
        return bulkError(400, "INVALIDLOCATOR", "Invalid locator: " + *locator);
      offset = *decoded;
    }
    size_t maxRecords = 50000;
    if (const std::string* text = request.param("maxRecords")) {
      auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), maxRecords);
      if (ec != std::errc() || end != text->data() + text->size() || maxRecords == 0)
        return bulkError(400, "INVALIDPARAMETER", "maxRecords must be a positive integer");
    }
    char delimiter = *csvDelimiter(job.columnDelimiter);
    std::string lineEnding = lineEndingText(job.lineEnding);
    size_t stop = std::min(job.rows.size(), offset + maxRecords);
    std::string body;
    appendCsvRow(body, job.header, delimiter, lineEnding);
    for (size_t i = offset; i < stop; ++i) appendCsvRow(body, job.rows[i], delimiter, lineEnding);
    Response response = csvResponse(std::move(body));
    response.headers.emplace_back("Sforce-NumberOfRecords", std::to_string(stop - offset));
    response.headers.emplace_back("Sforce-Locator",
                                  stop < job.rows.size() ? encodeLocator(stop) : "null");
    return response;
  }
  return bulkError(404, "NOT_FOUND", "The requested resource does not exist");
}

}  // namespace ferry::sandbox::salesforce
