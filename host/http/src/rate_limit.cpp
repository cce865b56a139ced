#include "ferry/host/http/rate_limit.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include <cstdio>
#include <cstring>
#include <ctime>

namespace ferry::host {
namespace {

int monthIndex(const char* name) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (std::strcmp(name, kMonths[i]) == 0) return i;
  }
  return -1;
}

// The three HTTP-date forms of RFC 9110 section 5.6.7, strictly; seconds since the epoch.
std::optional<std::int64_t> parseHttpDate(const std::string& v) {
  char wkday[10] = {};
  char mon[4] = {};
  char zone[4] = {};
  int day = 0;
  int year = 0;
  int hh = 0;
  int mm = 0;
  int ss = 0;
  int used = 0;
  const auto whole = [&](int fields, int expected) {
    return fields == expected && static_cast<std::size_t>(used) == v.size();
  };
  bool ok = false;
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  ok = whole(std::sscanf(v.c_str(), "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n", wkday,
                         &day, mon, &year, &hh, &mm, &ss, zone, &used),
             8);
  if (!ok) {
    // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (two-digit years: 70-99 -> 19xx)
    used = 0;
    ok = whole(std::sscanf(v.c_str(), "%9[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d %3[A-Z]%n", wkday,
                           &day, mon, &year, &hh, &mm, &ss, zone, &used),
               8);
    if (ok) year += year < 70 ? 2000 : 1900;
  }
  if (!ok) {
    // asctime: Sun Nov  6 08:49:37 1994
    used = 0;
    ok = whole(std::sscanf(v.c_str(), "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", wkday, mon,
                           &day, &hh, &mm, &ss, &year, &used),
               7);
    if (ok) std::strcpy(zone, "GMT");
  }
  const int month = monthIndex(mon);
  if (!ok || std::strcmp(zone, "GMT") != 0 || month < 0 || day < 1 || day > 31 || hh > 23 ||
      mm > 59 || ss > 60 || year < 1970) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

TokenBucket::TokenBucket(double ratePerSecond, double burst, std::int64_t nowMs)
    : rate_(ratePerSecond), burst_(std::max(1.0, burst)), tokens_(burst_), lastMs_(nowMs) {}

void TokenBucket::refill(std::int64_t nowMs) {
  if (nowMs <= lastMs_) return;
  tokens_ = std::min(burst_, tokens_ + static_cast<double>(nowMs - lastMs_) * rate_ / 1000.0);
  lastMs_ = nowMs;
}

std::chrono::milliseconds TokenBucket::reserve(std::int64_t nowMs) {
  refill(nowMs);
  tokens_ -= 1.0;
  // Wait for the refill clock (a pause may have pushed it ahead) plus the time the deficit
  // takes to refill.
  double waitMs = static_cast<double>(std::max<std::int64_t>(0, lastMs_ - nowMs));
  if (tokens_ < 0) waitMs += -tokens_ * 1000.0 / rate_;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(waitMs)));
}

void TokenBucket::pauseUntil(std::int64_t untilMs) {
  if (untilMs <= lastMs_) return;
  // Tokens already reserved (a negative balance) stay owed after the pause.
  tokens_ = std::min(tokens_, 0.0);
  lastMs_ = untilMs;
}

void TokenBucket::reconfigure(double ratePerSecond, double burst, std::int64_t nowMs) {
  refill(nowMs);
  rate_ = ratePerSecond;
  burst_ = std::max(1.0, burst);
  tokens_ = std::min(tokens_, burst_);
}

std::chrono::milliseconds backoffDelay(const sdk::RetryPolicy& policy, int failedAttempts,
                                       double unit01) {
  const double base = static_cast<double>(std::max<std::int64_t>(0, policy.baseDelay.count()));
  const double cap = static_cast<double>(std::max<std::int64_t>(0, policy.maxDelay.count()));
  const int exponent = std::clamp(failedAttempts - 1, 0, 62);
  const double ceiling = std::min(cap, base * std::ldexp(1.0, exponent));
  const double u = std::clamp(unit01, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(ceiling * u));
}

std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value,
                                                         std::int64_t nowMs) {
  std::string v(value);
  v.erase(0, v.find_first_not_of(" \t"));
  v.erase(v.find_last_not_of(" \t") + 1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (v.size() > 9) return std::nullopt;  // over 31 years: not a real instruction
    return std::chrono::milliseconds(std::stoll(v) * 1000);
  }
  const auto at = parseHttpDate(v);
  if (!at) return std::nullopt;
  return std::chrono::milliseconds(std::max<std::int64_t>(0, *at * 1000 - nowMs));
}

}  // namespace ferry::host
