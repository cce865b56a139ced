#include "ferry/host/plugins/settings.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace ferry::host {

namespace {

using sdk::SettingType;
using sdk::Value;

char lower(char c) noexcept {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// Optimal string alignment distance: like Levenshtein, plus adjacent transpositions ("directroy").
std::size_t editDistance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string best = closestMatch(word, candidates);
  return best.empty() ? std::string() : " (did you mean '" + best + "'?)";
}

bool isHttpUrl(std::string_view url) noexcept {
  std::string_view rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return false;
  }
  if (rest.empty() || rest[0] == '/' || rest[0] == ':' || rest[0] == '?' || rest[0] == '#') {
    return false;
  }
  return std::none_of(url.begin(), url.end(),
                      [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

bool isSecretName(std::string_view name) noexcept {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
  });
}

// Checks one present, non-null value; returns the normalised value or sets `problem`.
Value checkValue(const sdk::SettingSchema& s, const Value& v, std::string& problem) {
  const std::string quoted = "setting '" + s.name + "'";
  switch (s.type) {
    case SettingType::kString:
      if (!v.isString()) problem = quoted + " must be a string, got " + v.preview();
      return v;
    case SettingType::kBoolean:
      if (!v.isBool()) problem = quoted + " must be true or false, got " + v.preview();
      return v;
    case SettingType::kInteger:
      if (v.isInteger()) return v;
      if (v.isDecimal() && std::isfinite(v.asDecimal()) &&
          std::trunc(v.asDecimal()) == v.asDecimal() && std::abs(v.asDecimal()) < 9.0e15) {
        return Value(static_cast<std::int64_t>(v.asDecimal()));
      }
      problem = quoted + " must be an integer, got " + v.preview();
      return v;
    case SettingType::kDuration:
      // A bare number is milliseconds: the form connectors receive, so validating settings that
      // were already validated (a stored connection, then the factory) changes nothing.
      if (v.isInteger() && v.asInteger() >= 0) return v;
      if (v.isString()) {
        if (auto d = parseDuration(v.asString()))
          return Value(static_cast<std::int64_t>(d->count()));
      }
      problem = quoted + " must be a duration like 250ms, 30s, 5m or 1h30m, got " + v.preview();
      return v;
    case SettingType::kUrl:
      if (!v.isString() || !isHttpUrl(v.asString())) {
        problem = quoted + " must be an http:// or https:// URL, got " + v.preview();
      }
      return v;
    case SettingType::kEnum:
      if (!v.isString() ||
          std::find(s.enumValues.begin(), s.enumValues.end(), v.asString()) == s.enumValues.end()) {
        std::string allowed;
        for (const auto& e : s.enumValues) allowed += (allowed.empty() ? "" : ", ") + e;
        problem = quoted + " must be one of " + allowed + ", got " + v.preview() +
                  (v.isString() ? didYouMean(v.asString(), s.enumValues) : std::string());
      }
      return v;
    case SettingType::kObject:
      if (!v.isObject()) problem = quoted + " must be a map of keys to values, got " + v.preview();
      return v;
    case SettingType::kSecretRef:
      // Never echo the value: someone may have pasted the secret itself here.
      if (!v.isString() || !isSecretName(v.asString())) {
        problem = quoted + " must name a secret (letters, digits, '_', '-', '.'), not hold one";
      }
      return v;
  }
  problem = quoted + " has an unknown type";
  return v;
}

}  // namespace

std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t bestDistance = std::numeric_limits<std::size_t>::max();
  for (const auto& c : candidates) {
    const std::size_t d = editDistance(word, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  // A third of the word may be wrong (at least one character), but never all of it.
  const std::size_t allowed = std::max<std::size_t>(1, word.size() / 3);
  if (best.empty() || bestDistance > allowed || bestDistance >= best.size()) return {};
  return best;
}

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  std::int64_t totalMs = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::int64_t number = 0;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (number > std::numeric_limits<std::int64_t>::max() / 10 - 10) return std::nullopt;
      number = number * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == start) return std::nullopt;
    std::int64_t unitMs = 0;
    if (text.substr(pos, 2) == "ms") {
      unitMs = 1;
      pos += 2;
    } else if (pos < text.size()) {
      switch (text[pos]) {
        case 's':
          unitMs = 1000;
          break;
        case 'm':
          unitMs = 60'000;
          break;
        case 'h':
          unitMs = 3'600'000;
          break;
        case 'd':
          unitMs = 86'400'000;
          break;
        default:
          return std::nullopt;
      }
      ++pos;
    } else {
      return std::nullopt;  // "30" alone is ambiguous in text; say the unit
    }
    if (number > (std::numeric_limits<std::int64_t>::max() - totalMs) / unitMs) return std::nullopt;
    totalMs += number * unitMs;
  }
  return std::chrono::milliseconds(totalMs);
}

ValidatedSettings validateSettings(const std::vector<sdk::SettingSchema>& schema,
                                   const sdk::Object& settings) {
  ValidatedSettings out;
  std::vector<std::string> known;
  known.reserve(schema.size());
  for (const auto& s : schema) known.push_back(s.name);

  for (const auto& [key, value] : settings) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      out.issues.push_back({key, "unknown setting '" + key + "'" + didYouMean(key, known)});
    }
  }
  for (const auto& s : schema) {
    const Value* given = settings.find(s.name);
    if (given == nullptr || given->isNull()) {
      if (s.required) {
        out.issues.push_back(
            {s.name, "missing required setting '" + s.name + "' (" + sdk::toString(s.type) + ")"});
      } else if (!s.defaultValue.isNull()) {
        std::string problem;
        Value normalised = checkValue(s, s.defaultValue, problem);
        if (!problem.empty()) {
          out.issues.push_back({s.name, "plugin default for " + problem});
        } else {
          out.settings.set(s.name, std::move(normalised));
        }
      }
      continue;
    }
    std::string problem;
    Value normalised = checkValue(s, *given, problem);
    if (!problem.empty()) {
      out.issues.push_back({s.name, std::move(problem)});
    } else {
      out.settings.set(s.name, std::move(normalised));
    }
  }
  return out;
}

ValidatedSettings validateSettings(const sdk::PluginDescriptor& descriptor,
                                   const sdk::Object& settings) {
  std::vector<sdk::SettingSchema> schema;
  try {
    schema = descriptor.settings();
  } catch (const std::exception& e) {
    return ValidatedSettings{{}, {{"", std::string("settings() threw: ") + e.what()}}};
  } catch (...) {
    return ValidatedSettings{{}, {{"", "settings() threw a non-standard exception"}}};
  }
  return validateSettings(schema, settings);
}

}  // namespace ferry::host
