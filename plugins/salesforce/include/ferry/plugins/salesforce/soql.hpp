// SOQL text built from validated names and safely quoted literals. Nothing from data or config
// reaches a statement without passing through isIdentifier/fieldPath checks or quoteString.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/plugins/salesforce/describe.hpp"
#include "ferry/sdk/connector.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::plugins::salesforce {

// Largest SOQL statement Salesforce accepts.
inline constexpr std::size_t kMaxSoqlChars = 100'000;

// An API name: a letter, then letters, digits and underscores (custom names end in "__c"), no
// trailing or doubled underscore except the custom suffix. Max 255 characters.
bool isIdentifier(std::string_view name) noexcept;

// A selectable field path checked against the object's describe: "Email" or a parent
// relationship path "Account.Name" whose first part is a relationship of the object.
// Returns the canonical spelling (as described) or kInvalidArgument naming the path.
sdk::Result<std::string> checkFieldPath(const ObjectDescription& object, std::string_view path);

// 'O\'Brien' style string literal: escapes \ ' " and control characters (\n \r \t \b \f);
// other control characters are refused (kInvalidArgument) since SOQL has no escape for them.
sdk::Result<std::string> quoteString(std::string_view text);

// "2024-03-05T14:07:09Z": SOQL datetime literal at whole-second precision (floored).
std::string datetimeLiteral(std::int64_t epochMs);

// A literal for comparing a field of `salesforceType` with `value`: strings quoted, numbers
// checked, booleans, dates and datetimes validated. kInvalidArgument when the value does not fit.
sdk::Result<std::string> literalFor(const sdk::Value& value, std::string_view salesforceType);

// The flow's conditions as a SOQL boolean expression (conditions joined by AND), or "" when none
// can be pushed down. Fields are checked against the describe; conditions on fields SOQL cannot
// filter (long text areas) or needing sub-second datetime precision are left to the host, which
// re-applies every condition anyway.
sdk::Result<std::string> whereFromConditions(const ObjectDescription& object,
                                             const std::vector<sdk::Condition>& conditions);

struct ChangesQuery {
  std::string object;
  std::vector<std::string> fields;  // validated paths
  std::string timestampField = "SystemModstamp";
  std::int64_t lowerBoundMs = 0;  // rows with timestamp >= floor-to-second(lowerBoundMs)
  std::string filter;             // from whereFromConditions; may be empty
  bool ordered = true;            // ORDER BY timestamp, Id (Bulk queries leave it out)
};
// SELECT ... FROM ... WHERE ts >= X [AND (filter)] [ORDER BY ts ASC, Id ASC]. Literals have
// whole-second precision, so a restart at an exact (timestamp, Id) position re-reads the rest
// of that second and the caller skips rows at or before the position.
sdk::Result<std::string> buildChangesQuery(const ChangesQuery& query);

// Batched lookup: SELECT fields FROM object WHERE k1 IN (...) OR k2 IN (...), split into as many
// statements as needed so that each one's URL-encoded text stays within maxEncodedChars (and
// the SOQL limit). `keys` holds per field the literals already produced by literalFor.
sdk::Result<std::vector<std::string>> buildLookupQueries(
    std::string_view object, const std::vector<std::string>& fields,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& keys,
    std::size_t maxEncodedChars);

}  // namespace ferry::plugins::salesforce
