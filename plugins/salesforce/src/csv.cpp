// RFC 4180 CSV reader.
#include "ferry/plugins/salesforce/csv.hpp"

namespace ferry::plugins::salesforce {

sdk::Result<std::vector<CsvRow>> parseCsv(std::string_view text) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  bool quoted = false;     // inside a quoted field
  bool wasQuoted = false;  // current field started with a quote
  std::size_t line = 1;
  const auto fail = [&](const std::string& why) {
    return sdk::Error::make(sdk::ErrorCode::kMalformedResponse,
                            "CSV line " + std::to_string(line) + ": " + why);
  };
  const auto endRow = [&]() -> bool {
    row.push_back(std::move(field));
    field.clear();
    wasQuoted = false;
    if (!rows.empty() && row.size() != rows.front().size()) return false;
    rows.push_back(std::move(row));
    row.clear();
    return true;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    switch (c) {
      case '"':
        if (!field.empty() || wasQuoted) return fail("stray quote inside a field");
        quoted = true;
        wasQuoted = true;
        break;
      case ',':
        row.push_back(std::move(field));
        field.clear();
        wasQuoted = false;
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') break;  // CRLF: the LF ends the row
        field.push_back(c);
        break;
      case '\n':
        if (!endRow()) return fail("expected " + std::to_string(rows.front().size()) + " columns");
        ++line;
        break;
      default:
        if (wasQuoted) return fail("text after a closing quote");
        field.push_back(c);
    }
  }
  if (quoted) return fail("unterminated quoted field (truncated data?)");
  if (!field.empty() || wasQuoted || !row.empty()) {
    if (!endRow()) return fail("expected " + std::to_string(rows.front().size()) + " columns");
  }
  return rows;
}

}  // namespace ferry::plugins::salesforce
