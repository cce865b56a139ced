#include "csv.hpp"

namespace ferry::sandbox::salesforce {

std::optional<char> csvDelimiter(std::string_view name) {
  if (name == "COMMA") return ',';
  if (name == "TAB") return '\t';
  if (name == "PIPE") return '|';
  if (name == "SEMICOLON") return ';';
  if (name == "CARET") return '^';
  if (name == "BACKQUOTE") return '`';
  return std::nullopt;
}

std::optional<CsvTable> parseCsv(std::string_view text, char delimiter, std::string& error) {
  CsvTable table;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, wasQuoted = false, any = false;
  size_t line = 1;
  auto endCell = [&] {
    row.push_back(std::move(cell));
    cell.clear();
    wasQuoted = false;
  };
  auto endRow = [&] {
    endCell();
    if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));  // skip blank lines
    row.clear();
    any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        cell += c;
      }
      continue;
    }
    if (c == '"') {
      if (!cell.empty() || wasQuoted) {
        error = "ClientInputError: stray quote on line " + std::to_string(line);
        return std::nullopt;
      }
      quoted = wasQuoted = any = true;
    } else if (c == delimiter) {
      endCell();
      any = true;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      // CRLF: the '\n' ends the row.
    } else if (c == '\n') {
      endRow();
      ++line;
    } else {
      if (wasQuoted) {
        error = "ClientInputError: text after a closing quote on line " + std::to_string(line);
        return std::nullopt;
      }
      cell += c;
      any = true;
    }
  }
  if (quoted) {
    error = "ClientInputError: unterminated quoted field";
    return std::nullopt;
  }
  if (any || !cell.empty() || !row.empty()) endRow();
  if (rows.empty()) {
    error = "ClientInputError: the CSV has no header row";
    return std::nullopt;
  }
  table.header = std::move(rows[0]);
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != table.header.size()) {
      error = "ClientInputError: row " + std::to_string(r + 1) + " has " +
              std::to_string(rows[r].size()) + " fields, the header has " +
              std::to_string(table.header.size());
      return std::nullopt;
    }
    table.rows.push_back(std::move(rows[r]));
  }
  return table;
}

void appendCsvRow(std::string& out, const std::vector<std::string>& cells, char delimiter,
                  std::string_view lineEnding) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i) out += delimiter;
    // Salesforce quotes every result value.
    out += '"';
    for (char c : cells[i]) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  out += lineEnding;
}

}  // namespace ferry::sandbox::salesforce
