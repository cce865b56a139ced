// RFC 4180 CSV as Bulk API 2.0 returns it (comma, LF or CRLF, quoted fields with "" escapes and
// embedded newlines).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/sdk/result.hpp"

namespace ferry::plugins::salesforce {

using CsvRow = std::vector<std::string>;

// All rows, header included. An unterminated quote or a stray quote inside an unquoted field is
// kMalformedResponse with the line number; rows with a different column count than the first
// row are refused the same way.
sdk::Result<std::vector<CsvRow>> parseCsv(std::string_view text);

}  // namespace ferry::plugins::salesforce
