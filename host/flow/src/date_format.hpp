// Internal: date/datetime text patterns for the date and datetime transforms, compiled once.
//   yyyy MM dd HH mm ss SSS   year, month, day, hour, minute, second, milliseconds (fixed width)
//   Z                          zone as +hhmm (Salesforce: "+0000"); parsing also takes "Z"
//   XXX                        zone as "Z" or +hh:mm
//   'text'                     literal text; - : . / , space and T are literal as they are
// Presets: salesforce, people, iso (see kDateTimePresets / kDatePresets).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/sdk/value.hpp"

namespace ferry::host::datefmt {

struct Token {
  enum class Kind {
    kLiteral,
    kYear,
    kMonth,
    kDay,
    kHour,
    kMinute,
    kSecond,
    kMillis,
    kZone,
    kZoneIso
  };
  Kind kind = Kind::kLiteral;
  std::string literal;
};

class Pattern {
 public:
  // Compiles a pattern or a preset name; nullopt with *error set when malformed.
  static std::optional<Pattern> compile(std::string_view text, bool dateOnly, std::string* error);

  std::string format(sdk::DateTime value) const;
  std::string format(sdk::Date value) const;
  std::optional<sdk::DateTime> parseDateTime(std::string_view text) const;
  std::optional<sdk::Date> parseDate(std::string_view text) const;
  const std::string& text() const noexcept { return text_; }
  bool hasTime() const noexcept { return hasTime_; }

 private:
  struct Parts {
    int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
    int offsetMinutes = 0;
  };
  std::optional<Parts> parse(std::string_view text) const;
  std::string render(const Parts& parts) const;

  std::vector<Token> tokens_;
  std::string text_;  // the expanded pattern, for messages
  bool hasTime_ = false;
};

}  // namespace ferry::host::datefmt
