#include "date_format.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <utility>

namespace ferry::host::datefmt {

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kDateTimePresets{{
    {"salesforce", "yyyy-MM-dd'T'HH:mm:ss.SSSZ"},  // 2024-03-05T14:07:09.000+0000
    {"people", "yyyy-MM-dd'T'HH:mm:ss"},           // 2024-03-05T14:07:09 (UTC, no zone)
    {"iso", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"},       // 2024-03-05T14:07:09.000Z
}};
constexpr std::array<std::string_view, 3> kDatePresetNames{"salesforce", "people", "iso"};

constexpr std::int64_t kMsPerDay = 86'400'000;

}  // namespace

std::optional<Pattern> Pattern::compile(std::string_view text, bool dateOnly, std::string* error) {
  std::string expanded(text);
  if (dateOnly) {
    for (auto name : kDatePresetNames) {
      if (text == name) expanded = "yyyy-MM-dd";
    }
  } else {
    for (const auto& [name, pattern] : kDateTimePresets) {
      if (text == name) expanded = pattern;
    }
  }
  Pattern p;
  p.text_ = expanded;
  const std::string_view s = expanded;
  auto fail = [&](std::string why) -> std::optional<Pattern> {
    if (error != nullptr) *error = std::move(why);
    return std::nullopt;
  };
  auto addLiteral = [&](std::string lit) {
    if (!p.tokens_.empty() && p.tokens_.back().kind == Token::Kind::kLiteral) {
      p.tokens_.back().literal += lit;
    } else {
      p.tokens_.push_back({Token::Kind::kLiteral, std::move(lit)});
    }
  };
  bool seen[10] = {};
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\'') {
      const std::size_t end = s.find('\'', i + 1);
      if (end == std::string_view::npos) return fail("unterminated quote in \"" + expanded + "\"");
      if (end == i + 1) return fail("empty quotes in \"" + expanded + "\"");
      addLiteral(std::string(s.substr(i + 1, end - i - 1)));
      i = end + 1;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) == 0 || c == 'T') {
      addLiteral(std::string(1, c));
      ++i;
      continue;
    }
    std::size_t run = 1;
    while (i + run < s.size() && s[i + run] == c) ++run;
    const std::string_view word = s.substr(i, run);
    Token::Kind kind;
    if (word == "yyyy")
      kind = Token::Kind::kYear;
    else if (word == "MM")
      kind = Token::Kind::kMonth;
    else if (word == "dd")
      kind = Token::Kind::kDay;
    else if (word == "HH")
      kind = Token::Kind::kHour;
    else if (word == "mm")
      kind = Token::Kind::kMinute;
    else if (word == "ss")
      kind = Token::Kind::kSecond;
    else if (word == "SSS")
      kind = Token::Kind::kMillis;
    else if (word == "Z")
      kind = Token::Kind::kZone;
    else if (word == "XXX")
      kind = Token::Kind::kZoneIso;
    else {
      return fail("\"" + std::string(word) + "\" in \"" + expanded +
                  "\" is not a date pattern letter (use yyyy MM dd HH mm ss SSS Z XXX, quote "
                  "literal text)");
    }
    const int slot = static_cast<int>(kind);
    if (seen[slot])
      return fail("\"" + std::string(word) + "\" appears twice in \"" + expanded + "\"");
    seen[slot] = true;
    const bool timePart =
        kind != Token::Kind::kYear && kind != Token::Kind::kMonth && kind != Token::Kind::kDay;
    if (dateOnly && timePart) {
      return fail("a date pattern cannot contain time fields (\"" + std::string(word) + "\")");
    }
    p.hasTime_ = p.hasTime_ || timePart;
    p.tokens_.push_back({kind, {}});
    i += run;
  }
  const bool y = seen[static_cast<int>(Token::Kind::kYear)];
  const bool m = seen[static_cast<int>(Token::Kind::kMonth)];
  const bool d = seen[static_cast<int>(Token::Kind::kDay)];
  if (!y || !m || !d) return fail("\"" + expanded + "\" needs yyyy, MM and dd");
  return p;
}

std::string Pattern::render(const Parts& v) const {
  std::string out;
  out.reserve(32);
  char buf[16];
  for (const Token& t : tokens_) {
    switch (t.kind) {
      case Token::Kind::kLiteral:
        out += t.literal;
        continue;
      case Token::Kind::kYear:
        std::snprintf(buf, sizeof buf, "%04d", v.year);
        break;
      case Token::Kind::kMonth:
        std::snprintf(buf, sizeof buf, "%02d", v.month);
        break;
      case Token::Kind::kDay:
        std::snprintf(buf, sizeof buf, "%02d", v.day);
        break;
      case Token::Kind::kHour:
        std::snprintf(buf, sizeof buf, "%02d", v.hour);
        break;
      case Token::Kind::kMinute:
        std::snprintf(buf, sizeof buf, "%02d", v.minute);
        break;
      case Token::Kind::kSecond:
        std::snprintf(buf, sizeof buf, "%02d", v.second);
        break;
      case Token::Kind::kMillis:
        std::snprintf(buf, sizeof buf, "%03d", v.millis);
        break;
      case Token::Kind::kZone:
        std::snprintf(buf, sizeof buf, "+0000");
        break;
      case Token::Kind::kZoneIso:
        std::snprintf(buf, sizeof buf, "Z");
        break;
    }
    out += buf;
  }
  return out;
}

std::string Pattern::format(sdk::DateTime value) const {
  const std::int64_t ms = value.epochMs;
  std::int64_t days = ms / kMsPerDay;
  std::int64_t rest = ms % kMsPerDay;
  if (rest < 0) {
    rest += kMsPerDay;
    --days;
  }
  const sdk::Date date = sdk::Date::fromDays(days);
  Parts p;
  p.year = date.year;
  p.month = date.month;
  p.day = date.day;
  p.hour = static_cast<int>(rest / 3'600'000);
  p.minute = static_cast<int>(rest / 60'000 % 60);
  p.second = static_cast<int>(rest / 1000 % 60);
  p.millis = static_cast<int>(rest % 1000);
  return render(p);
}

std::string Pattern::format(sdk::Date value) const {
  Parts p;
  p.year = value.year;
  p.month = value.month;
  p.day = value.day;
  return render(p);
}

namespace {

bool digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  pos += n;
  return true;
}

}  // namespace

std::optional<Pattern::Parts> Pattern::parse(std::string_view s) const {
  Parts p;
  std::size_t pos = 0;
  for (const Token& t : tokens_) {
    bool ok = true;
    switch (t.kind) {
      case Token::Kind::kLiteral:
        ok = s.substr(pos, t.literal.size()) == t.literal;
        pos += t.literal.size();
        break;
      case Token::Kind::kYear:
        ok = digits(s, pos, 4, p.year);
        break;
      case Token::Kind::kMonth:
        ok = digits(s, pos, 2, p.month);
        break;
      case Token::Kind::kDay:
        ok = digits(s, pos, 2, p.day);
        break;
      case Token::Kind::kHour:
        ok = digits(s, pos, 2, p.hour) && p.hour < 24;
        break;
      case Token::Kind::kMinute:
        ok = digits(s, pos, 2, p.minute) && p.minute < 60;
        break;
      case Token::Kind::kSecond:
        ok = digits(s, pos, 2, p.second) && p.second < 60;
        break;
      case Token::Kind::kMillis:
        ok = digits(s, pos, 3, p.millis);
        break;
      case Token::Kind::kZone:
      case Token::Kind::kZoneIso: {
        if (pos < s.size() && s[pos] == 'Z') {
          ++pos;
          break;
        }
        if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return std::nullopt;
        const int sign = s[pos] == '-' ? -1 : 1;
        ++pos;
        int hh = 0, mm = 0;
        ok = digits(s, pos, 2, hh);
        if (ok && t.kind == Token::Kind::kZoneIso) ok = pos < s.size() && s[pos++] == ':';
        ok = ok && digits(s, pos, 2, mm) && hh < 24 && mm < 60;
        p.offsetMinutes = sign * (hh * 60 + mm);
        break;
      }
    }
    if (!ok) return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  if (!sdk::Date{p.year, p.month, p.day}.valid()) return std::nullopt;
  return p;
}

std::optional<sdk::DateTime> Pattern::parseDateTime(std::string_view text) const {
  const auto p = parse(text);
  if (!p) return std::nullopt;
  const std::int64_t days = sdk::Date{p->year, p->month, p->day}.toDays();
  const std::int64_t ms = days * kMsPerDay + p->hour * 3'600'000LL + p->minute * 60'000LL +
                          p->second * 1000LL + p->millis - p->offsetMinutes * 60'000LL;
  return sdk::DateTime{ms};
}

std::optional<sdk::Date> Pattern::parseDate(std::string_view text) const {
  const auto p = parse(text);
  if (!p) return std::nullopt;
  return sdk::Date{p->year, p->month, p->day};
}

}  // namespace ferry::host::datefmt
