// Plain functions over Salesforce REST wire formats: error envelopes, Sforce-Limit-Info, query
// pages, sObject Collections results, Bulk API 2.0 job answers and URL encoding. No I/O here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ferry/sdk/http.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::plugins::salesforce {

// ---- Errors --------------------------------------------------------------------------------

// One entry of a REST error array (`errorCode`) or of a per-record result (`statusCode`).
struct ApiError {
  std::string code;  // "INVALID_SESSION_ID", "DUPLICATES_DETECTED", ...
  std::string message;
  std::vector<std::string> fields;
  std::vector<std::string> duplicateIds;  // matching records named by a duplicate rule / value
};

// Parses a REST error body: the usual array, a single object, or an OAuth error
// ({"error","error_description"}). Unknown shapes give one entry whose message quotes the body.
std::vector<ApiError> parseErrors(std::string_view body);

// Maps a non-2xx REST response to an sdk::Error: code, retriable flag and Salesforce's own code.
// `what` names the operation ("query Contact") for the message.
sdk::Error errorFromResponse(int status, std::string_view body, std::string_view what);

// Maps one per-record failure (Collections result) to an sdk::Error.
sdk::Error errorFromRecordError(const ApiError& error);

// Record ids (15 or 18 chars, alphanumeric) mentioned in a message such as "duplicate value
// found: Ext_Id__c duplicates value on record with id: 0035g00000XyZ12AAB".
std::vector<std::string> idsInMessage(std::string_view message);

// ---- Limits ----------------------------------------------------------------------------------

struct ApiUsage {
  std::int64_t used = 0;
  std::int64_t max = 0;
  double ratio() const noexcept { return max > 0 ? static_cast<double>(used) / max : 0.0; }
};

// "api-usage=10018/100000" (extra ";"-separated items such as "api-bursts=1/750" are ignored).
std::optional<ApiUsage> parseLimitInfo(std::string_view header) noexcept;

// ---- Query -----------------------------------------------------------------------------------

struct QueryPage {
  std::int64_t totalSize = 0;
  bool done = true;
  std::string nextRecordsUrl;        // path relative to instance_url; empty when done
  std::vector<sdk::Object> records;  // "attributes" removed; values converted by field type
};

// Field name (as selected, e.g. "SystemModstamp", "Account.Name") -> Salesforce type.
using FieldTypes = std::unordered_map<std::string, std::string>;

// Parses a query/queryAll page. Values of fields in `types` are converted (datetimes, dates,
// ...); relationship values become nested objects. A truncated or foreign body is an error.
sdk::Result<QueryPage> parseQueryPage(std::string_view body, const FieldTypes& types);

// ---- sObject Collections ---------------------------------------------------------------------

struct RecordResult {
  std::string id;
  bool success = false;
  std::optional<bool> created;  // upsert results only
  std::vector<ApiError> errors;
};

// Parses a Collections response; it must hold exactly `expected` results (one per record, in
// order) or the whole answer is rejected as malformed.
sdk::Result<std::vector<RecordResult>> parseCollectionResults(std::string_view body,
                                                              std::size_t expected);

// ---- Bulk API 2.0 ----------------------------------------------------------------------------

struct BulkJob {
  std::string id;
  std::string state;  // UploadComplete, InProgress, JobComplete, Failed, Aborted
  std::string errorMessage;
  std::int64_t numberRecordsProcessed = 0;
  std::string createdDate;
};
sdk::Result<BulkJob> parseBulkJob(std::string_view body);

// The next-chunk locator of a results response; empty when this was the last chunk (the header
// is the literal string "null" then).
std::string nextLocator(const sdk::Headers& headers);

// ---- Encoding --------------------------------------------------------------------------------

// RFC 3986 percent-encoding of everything but unreserved characters (space -> %20).
std::string percentEncode(std::string_view text);
// Length percentEncode(text) would have, without building it.
std::size_t percentEncodedLength(std::string_view text) noexcept;
// application/x-www-form-urlencoded body from name/value pairs.
std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields);

// Epoch milliseconds from an HTTP Date header ("Sun, 06 Nov 1994 08:49:37 GMT").
std::optional<std::int64_t> parseHttpDate(std::string_view value) noexcept;

}  // namespace ferry::plugins::salesforce
