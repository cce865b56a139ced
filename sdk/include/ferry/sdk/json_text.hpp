// JSON string escaping, shared by every JSON writer in the tree (Value::toJson, the host's secret
// redactor, the sandboxes' response writers), so they all quote text the same way.
#pragma once

#include <string>
#include <string_view>

namespace ferry::sdk {

// Appends `text` as it stands between the quotes of a JSON string: '"', '\\' and control
// characters escaped (\n \r \t \b \f, others as \u00XX); well-formed UTF-8 passes through
// unchanged and bytes that are not become U+FFFD, so the result is always valid JSON (RFC 8259
// requires UTF-8).
void appendJsonEscaped(std::string& out, std::string_view text);

// The same, between double quotes.
void appendJsonString(std::string& out, std::string_view text);
std::string jsonQuote(std::string_view text);

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF).
bool isValidUtf8(std::string_view text) noexcept;

}  // namespace ferry::sdk
