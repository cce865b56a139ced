#include "yaml_reader.hpp"

#include <cctype>
#include <charconv>
#include <cstdlib>

#include "ferry/host/flow/spec.hpp"

namespace ferry::host::yamlread {

SourcePos posOf(const YAML::Node& node, const std::string& file) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

YAML::Node load(std::string_view text, const std::string& file, Diagnostics& diags) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    const SourcePos pos = e.mark.is_null() ? SourcePos{file, 0, 0}
                                           : SourcePos{file, e.mark.line + 1, e.mark.column + 1};
    diags.error(pos, "yaml-syntax", "malformed YAML: " + e.msg);
    return YAML::Node(YAML::NodeType::Undefined);
  }
}

std::string describeKind(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "empty";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "\"" + node.Scalar() + "\"";
}

namespace {

bool isPlain(const YAML::Node& node) { return node.Tag() != "!"; }

bool looksInteger(std::string_view s) {
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

bool looksDecimal(std::string_view s) {
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && digits) {
      std::size_t j = i + 1;
      if (j < s.size() && (s[j] == '-' || s[j] == '+')) ++j;
      if (j >= s.size()) return false;
      for (; j < s.size(); ++j) {
        if (!std::isdigit(static_cast<unsigned char>(s[j]))) return false;
      }
      return true;
    } else {
      return false;
    }
  }
  return digits && dot;
}

}  // namespace

sdk::Value toValue(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return {};
  if (node.IsSequence()) {
    sdk::List list;
    for (const auto& item : node) list.push_back(toValue(item));
    return list;
  }
  if (node.IsMap()) {
    sdk::Object object;
    for (auto it = node.begin(); it != node.end(); ++it) {
      object.set(it->first.IsScalar() ? it->first.Scalar() : std::string(), toValue(it->second));
    }
    return object;
  }
  const std::string& s = node.Scalar();
  if (!isPlain(node)) return s;
  if (s == "~" || s == "null" || s == "Null" || s == "NULL") return {};
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (looksInteger(s)) {
    std::int64_t v = 0;
    const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
    const auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
    if (ec == std::errc() && ptr == s.data() + s.size()) return v;
  }
  if (looksDecimal(s)) return std::strtod(s.c_str(), nullptr);
  return s;
}

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  std::size_t i = 0;
  std::int64_t amount = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (amount > 1'000'000'000) return std::nullopt;
    amount = amount * 10 + (text[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  const std::string_view unit = text.substr(i);
  std::int64_t factor = 0;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else if (unit == "d")
    factor = 86'400'000;
  else
    return std::nullopt;
  return std::chrono::milliseconds(amount * factor);
}

MapReader::MapReader(const YAML::Node& node, const std::string& file, Diagnostics& diags,
                     std::string_view what, const std::vector<std::string>& allowed)
    : file_(file), diags_(diags), what_(what), pos_(posOf(node, file)) {
  if (!node.IsDefined()) return;
  if (!node.IsMap()) {
    diags_.error(pos_, "bad-value", what_ + " must be a mapping, not " + describeKind(node));
    return;
  }
  ok_ = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node k = it->first;  // a copy: iterator proxies are temporaries
    const SourcePos kp = posOf(k, file_);
    if (!k.IsScalar()) {
      diags_.error(kp, "bad-key", "keys in " + what_ + " must be plain words");
      continue;
    }
    const std::string& key = k.Scalar();
    bool duplicate = false;
    for (const auto& e : entries_) duplicate = duplicate || e.key == key;
    if (duplicate) {
      diags_.error(kp, "duplicate-key", "duplicate key \"" + key + "\" in " + what_);
      continue;
    }
    bool known = false;
    for (const auto& a : allowed) known = known || a == key;
    if (!known) {
      diags_.error(kp, "unknown-key",
                   "unknown key \"" + key + "\" in " + what_ + didYouMean(key, allowed));
      continue;
    }
    entries_.push_back({key, k, it->second});
  }
}

YAML::Node MapReader::get(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return e.value;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

SourcePos MapReader::keyPos(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return posOf(e.keyNode, file_);
  }
  return pos_;
}

void MapReader::require(std::string_view key) {
  if (ok_ && !has(key)) {
    diags_.error(pos_, "missing-key", what_ + " needs the key \"" + std::string(key) + "\"");
  }
}

std::optional<Located<std::string>> MapReader::string(std::string_view key) {
  const YAML::Node n = get(key);
  if (!n.IsDefined()) return std::nullopt;
  return scalarString(n, file_, diags_, "\"" + std::string(key) + "\" in " + what_);
}

std::optional<Located<std::string>> MapReader::requiredString(std::string_view key) {
  require(key);
  return string(key);
}

std::optional<Located<std::string>> scalarString(const YAML::Node& node, const std::string& file,
                                                 Diagnostics& diags, std::string_view what) {
  const SourcePos pos = posOf(node, file);
  if (!node.IsScalar() || node.Scalar().empty()) {
    diags.error(pos, "bad-value",
                std::string(what) + " must be a word or text, not " + describeKind(node));
    return std::nullopt;
  }
  return Located<std::string>{node.Scalar(), pos};
}

}  // namespace ferry::host::yamlread
