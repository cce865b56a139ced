// Strict base64 (RFC 4648, with padding) on OpenSSL, for keys and envelopes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ferry::host::detail {

std::string base64Encode(std::string_view bytes);
// nullopt for anything that is not canonical padded base64 (no whitespace inside).
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace ferry::host::detail
