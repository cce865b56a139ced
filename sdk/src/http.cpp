// Header helpers shared by every HttpClient implementation.
#include "ferry/sdk/http.hpp"

#include <cctype>

namespace ferry::sdk {

const std::string* findHeader(const Headers& headers, std::string_view name) noexcept {
  for (const auto& [key, value] : headers) {
    if (key.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < key.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(key[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return &value;
  }
  return nullptr;
}

}  // namespace ferry::sdk
