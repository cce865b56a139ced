#include "store_url.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>
#include <vector>

namespace ferry::host::state {
namespace {

using sdk::Error;
using sdk::ErrorCode;

Error invalid(const std::string& display, const std::string& why) {
  return Error::make(ErrorCode::kInvalidArgument, "state store URL " + display + ": " + why);
}

std::optional<std::string> percentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      return std::nullopt;
    }
    out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// libpq conninfo value: backslash and single quote are escaped. Poco's PostgreSQL connector
// splits its connection string on spaces before libpq sees it, so whitespace cannot be passed.
std::optional<std::string> conninfoValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (std::isspace(static_cast<unsigned char>(c))) return std::nullopt;
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out;
}

sdk::Result<StoreLocation> parsePostgres(const std::string& url, std::size_t schemeEnd) {
  StoreLocation loc;
  loc.backend = StoreLocation::Backend::kPostgres;
  std::string_view rest = std::string_view(url).substr(schemeEnd);

  // The user info ends at the LAST '@', so a password with an unencoded '@', '/' or '?' is
  // still recognised (and masked) rather than taken for the host or the path; a literal '@'
  // elsewhere must be percent-encoded. Masking comes before anything can fail, so that no
  // error shows the password.
  const auto at = rest.rfind('@');
  std::string_view userInfo =
      at == std::string_view::npos ? std::string_view{} : rest.substr(0, at);
  std::string_view afterUser = at == std::string_view::npos ? rest : rest.substr(at + 1);
  std::string_view hostPort = afterUser.substr(0, afterUser.find_first_of("/?"));
  std::string_view pathAndQuery = afterUser.substr(hostPort.size());
  const auto colon = userInfo.find(':');
  std::string_view rawUser = userInfo.substr(0, colon);
  std::string_view rawPassword =
      colon == std::string_view::npos ? std::string_view{} : userInfo.substr(colon + 1);
  loc.display = url.substr(0, schemeEnd);
  if (at != std::string_view::npos) {
    loc.display += std::string(rawUser) + (colon == std::string_view::npos ? "" : ":***") + "@";
  }
  loc.display += std::string(hostPort);
  const auto q = pathAndQuery.find('?');
  loc.display += std::string(pathAndQuery.substr(0, q));
  if (q != std::string_view::npos) loc.display += "?...";

  std::vector<std::pair<std::string, std::string>> params;
  auto add = [&](const char* key, std::string_view raw) -> sdk::Status {
    if (raw.empty()) return {};
    auto decoded = percentDecode(raw);
    if (!decoded) return invalid(loc.display, std::string("bad percent-encoding in ") + key);
    params.emplace_back(key, std::move(*decoded));
    return {};
  };

  if (auto s = add("user", rawUser); !s) return s.takeError();
  if (auto s = add("password", rawPassword); !s) return s.takeError();
  if (!rawPassword.empty()) loc.password = params.back().second;

  std::string_view host = hostPort;
  std::string_view port;
  if (startsWith(hostPort, "[")) {  // [ipv6]:port
    const auto close = hostPort.find(']');
    if (close == std::string_view::npos) return invalid(loc.display, "unterminated '[' in host");
    host = hostPort.substr(1, close - 1);
    if (close + 1 < hostPort.size()) {
      if (hostPort[close + 1] != ':') return invalid(loc.display, "unexpected text after ']'");
      port = hostPort.substr(close + 2);
    }
  } else if (const auto c = hostPort.rfind(':'); c != std::string_view::npos) {
    host = hostPort.substr(0, c);
    port = hostPort.substr(c + 1);
  }
  if (host.empty()) return invalid(loc.display, "missing host");
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return invalid(loc.display, "port is not a number");
  }
  if (auto s = add("host", host); !s) return s.takeError();
  if (auto s = add("port", port); !s) return s.takeError();

  std::string_view path = pathAndQuery.substr(0, q);
  if (startsWith(path, "/")) path.remove_prefix(1);
  if (path.empty())
    return invalid(loc.display, "missing database name (postgresql://user:pass@host:port/db)");
  if (path.find('/') != std::string_view::npos)
    return invalid(loc.display, "database name contains '/'");
  if (auto s = add("dbname", path); !s) return s.takeError();

  if (q != std::string_view::npos) {
    std::string_view query = pathAndQuery.substr(q + 1);
    while (!query.empty()) {
      std::string_view item = query.substr(0, query.find('&'));
      query.remove_prefix(std::min(query.size(), item.size() + 1));
      if (item.empty()) continue;
      const auto eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return invalid(loc.display, "query parameter without a value: " + std::string(item));
      }
      std::string key(item.substr(0, eq));
      for (char c : key) {
        if (!std::islower(static_cast<unsigned char>(c)) && c != '_') {
          return invalid(loc.display, "bad connection parameter name '" + key + "'");
        }
      }
      if (key == "password")
        return invalid(loc.display, "pass the password in the user info, not the query");
      auto value = percentDecode(item.substr(eq + 1));
      if (!value) return invalid(loc.display, "bad percent-encoding in " + key);
      params.emplace_back(std::move(key), std::move(*value));
    }
  }

  // libpq waits indefinitely for an unresponsive host by default; a store call should fail
  // (retriably) instead.
  const bool hasTimeout = std::any_of(params.begin(), params.end(),
                                      [](const auto& p) { return p.first == "connect_timeout"; });
  if (!hasTimeout) params.emplace_back("connect_timeout", "10");

  for (const auto& [key, value] : params) {
    auto escaped = conninfoValue(value);
    if (!escaped) {
      return invalid(loc.display,
                     key + " contains whitespace, which the PostgreSQL driver cannot pass");
    }
    if (!loc.connInfo.empty()) loc.connInfo += ' ';
    loc.connInfo += key + "=" + *escaped;
  }
  return loc;
}

}  // namespace

sdk::Result<StoreLocation> parseStoreUrl(const std::string& url) {
  if (url.empty()) return invalid("\"\"", "empty");
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (startsWith(url, scheme)) return parsePostgres(url, scheme.size());
  }
  StoreLocation loc;
  loc.backend = StoreLocation::Backend::kSqlite;
  loc.display = url;
  if (startsWith(url, "sqlite://")) {
    loc.sqlitePath = url.substr(std::string_view("sqlite://").size());
  } else if (startsWith(url, "sqlite:")) {
    loc.sqlitePath = url.substr(std::string_view("sqlite:").size());
  } else if (url.find("://") != std::string::npos) {
    return invalid(url, "unknown scheme (use sqlite:///path or postgresql://...)");
  } else {
    loc.sqlitePath = url;
  }
  if (loc.sqlitePath.empty()) return invalid(url, "missing file path");
  // Each pooled session would get its own private in-memory database.
  if (loc.sqlitePath == ":memory:" || startsWith(loc.sqlitePath, "file:")) {
    return invalid(url, "in-memory and URI-style SQLite names are not supported; use a file path");
  }
  return loc;
}

}  // namespace ferry::host::state
