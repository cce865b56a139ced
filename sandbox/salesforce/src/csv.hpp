// CSV as Bulk API 2.0 reads and writes it (RFC 4180 quoting, configurable delimiter and line
// ending).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::sandbox::salesforce {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// Returns an error message in `error` (and nullopt) on malformed input: unterminated quote,
// stray quote, or a row whose cell count differs from the header's.
std::optional<CsvTable> parseCsv(std::string_view text, char delimiter, std::string& error);

void appendCsvRow(std::string& out, const std::vector<std::string>& cells, char delimiter,
                  std::string_view lineEnding);

// "COMMA" -> ',' ... ; nullopt for unknown names.
std::optional<char> csvDelimiter(std::string_view name);

}  // namespace ferry::sandbox::salesforce
