#include "dialect.hpp"

namespace ferry::host::state {

std::string numberPlaceholders(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  int next = 1;
  char quote = 0;
  for (char c : text) {
    if (quote != 0) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(next++);
    } else {
      out += c;
    }
  }
  return out;
}

std::string substituteTypes(std::string_view text, std::string_view identity, std::string_view key,
                            std::string_view blob) {
  std::string out;
  out.reserve(text.size() + 32);
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '{') {
      const auto close = text.find('}', i);
      const std::string_view token = text.substr(i, close - i + 1);
      if (token == "{identity}")
        out += identity;
      else if (token == "{key}")
        out += key;
      else if (token == "{blob}")
        out += blob;
      else
        out += token;  // not a type token: keep as written
      i = close == std::string_view::npos ? text.size() : close + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

}  // namespace ferry::host::state
