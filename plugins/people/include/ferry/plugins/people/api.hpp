// Wire formats of the People API: error envelopes, URL building, timestamps, the person and
// company shapes and their conversion to ferry records, upsert and batch results, webhook events.
// Pure functions on sdk::Value: no I/O, unit-tested on the reference's recorded shapes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/sdk/connector.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::plugins::people {

// ---- Errors -----------------------------------------------------------------------------------

// Turns a non-2xx answer into a precise Error. Understands the three envelopes (legacy
// requestError/serviceException with validationErrors, v3 {code,message,details}, platform
// {errorCode,description,violations}); anything else is reported with its status and a short
// excerpt. `what` names the call ("upsert persons").
sdk::Error errorFromResponse(std::string_view what, int status, std::string_view body);

// ---- URLs and times ---------------------------------------------------------------------------

std::string percentEncode(std::string_view text);
// "yyyy-MM-ddTHH:mm:ss" (UTC, no zone) as People writes it; nullopt when malformed.
std::optional<std::int64_t> parsePeopleTime(std::string_view text);

// ---- Entities ---------------------------------------------------------------------------------

enum class EntityKind { kCustomer, kLead, kCompany };
std::optional<EntityKind> entityKind(std::string_view entity);
const char* personType(EntityKind kind);  // "CUSTOMER" / "LEAD"

// Custom attribute definitions of the account: name -> dataType (STRING, DECIMAL, ...).
using AttributeTypes = std::map<std::string, std::string>;

// A v2 person (GET answer, list entry) as a ferry record: standard attributes, emails and
// phones as lists (phones with a leading '+'), tags, customAttributes typed by their
// definitions, createdAt/modifiedAt as datetimes, id as text.
sdk::Object personToRecord(const sdk::Object& person, const AttributeTypes& attributes);
sdk::Object companyToRecord(const sdk::Object& company);

// Records may carry nested paths flat ("contactInformation.email" as one key, as the mapping
// engine writes them) or nested; this returns the nested form, flat keys merged in.
sdk::Object nestDotted(const sdk::Object& record);

// The id of a v2 person or company (JSON integer or digit string), nullopt when absent.
std::optional<std::string> idOf(const sdk::Object& object);

// What a v3 upsert entry was built from, kept to map errors back to fields.
struct UpsertEntry {
  sdk::Object person;                     // the v3 person sent
  std::vector<std::string> contactPaths;  // field of each contactInformation item, in order
};

// Builds one v3 person for PATCH /people/3/persons/upsert from the record's values. Only
// fields present in `fields` are sent (partial upsert: absent ones stay untouched); null
// clears a scalar. `type` (LEAD/CUSTOMER) is sent when not null. Rejects values of the wrong
// shape with a message naming the field.
sdk::Result<UpsertEntry> buildUpsertPerson(const sdk::Object& fields, const char* type);

// Company body for POST/PATCH /people/2/companies/batch entries.
sdk::Result<sdk::Object> buildCompany(const sdk::Object& fields);

// A per-record outcome of an upsert answer.
struct UpsertOutcome {
  std::optional<std::string> id;
  std::string status;                // CREATED, UPDATED, NOT_MODIFIED; empty on error
  std::string code;                  // v3 error code, e.g. "400100"
  std::string message;               // error message with the details
  std::string property;              // first detail's property path, without "persons[i]."
  std::string conflictingId;         // the person holding a clashing identifier
  std::vector<std::string> holders;  // every person the details name
};
// Parses a 200/207 upsert answer into one outcome per index (0..count-1); entries the answer
// does not mention are an error (malformed answer).
sdk::Result<std::vector<UpsertOutcome>> parseUpsertAnswer(std::string_view body, std::size_t count);

// Maps an upsert property path ("contactInformation[1].identifier", "customAttributes.Tier")
// back to the record field it came from.
std::string fieldOfProperty(const std::string& property, const UpsertEntry& entry);

// The first person id named in a conflict text ("... belongs to person 1000001").
std::string conflictingIdIn(std::string_view text);

// v3 outcome -> SDK result (rejections carry code, field and conflicting id).
sdk::WriteResult toWriteResult(const UpsertOutcome& outcome);

// ---- Webhook ----------------------------------------------------------------------------------

struct PeopleEvent {
  std::string type;  // PERSON_CREATED, PERSON_DELETED, ...
  std::string personId;
  std::string personType;  // LEAD / CUSTOMER when the event says
};
// One event object or an array of them; the error names the first malformed part.
sdk::Result<std::vector<PeopleEvent>> parseWebhook(std::string_view body);

}  // namespace ferry::plugins::people
