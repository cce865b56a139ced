#include "ferry/host/common/redaction.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>

#include "ferry/sdk/json_text.hpp"

namespace ferry::host {
namespace {

// The value as it appears between the quotes of a JSON string.
std::string jsonEscaped(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  sdk::appendJsonEscaped(out, s);
  return out;
}

// The value as application/x-www-form-urlencoded writes it (OAuth token requests).
std::string formEncoded(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

void replaceAll(std::string& text, std::string_view needle, std::string_view with) {
  std::size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), with);
    pos += with.size();
  }
}

}  // namespace

bool Redactor::add(std::string_view secret) {
  if (secret.size() < kMinLength) return false;
  std::unique_lock lock(mutex_);
  insertLocked(std::string(secret));
  insertLocked(jsonEscaped(secret));
  insertLocked(formEncoded(secret));
  return true;
}

void Redactor::insertLocked(std::string value) {
  // Keep longest first so a secret that contains another is masked whole.
  auto pos = std::lower_bound(values_.begin(), values_.end(), value,
                              [](const std::string& a, const std::string& b) {
                                return a.size() != b.size() ? a.size() > b.size() : a < b;
                              });
  if (pos != values_.end() && *pos == value) return;
  values_.insert(pos, std::move(value));
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  std::shared_lock lock(mutex_);
  for (const auto& value : values_) {
    if (value.size() <= out.size()) replaceAll(out, value, kMask);
  }
  return out;
}

bool Redactor::contains(std::string_view secret) const {
  std::shared_lock lock(mutex_);
  return std::find(values_.begin(), values_.end(), secret) != values_.end();
}

std::size_t Redactor::size() const {
  std::shared_lock lock(mutex_);
  return values_.size();
}

std::shared_ptr<Redactor> processRedactor() {
  static const auto instance = std::make_shared<Redactor>();
  return instance;
}

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    wipe();
    value_ = other.value_;
  }
  return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}

Secret::~Secret() { wipe(); }

void Secret::wipe() noexcept {
  // Volatile writes are not optimised away, unlike a memset right before deallocation.
  volatile char* p = value_.data();
  for (std::size_t i = 0; i < value_.size(); ++i) p[i] = 0;
  value_.clear();
}

}  // namespace ferry::host
