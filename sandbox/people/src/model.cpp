#include "model.hpp"

#include <algorithm>
#include <cctype>

#include "ferry/sandbox/json_writer.hpp"

namespace ferry::sandbox::people {

std::string Person::field(const std::string& name) const {
  const auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

std::string Person::type() const {
  const auto it = fields.find("type");
  return it == fields.end() ? std::string("CUSTOMER") : it->second;
}

namespace {

bool sameContacts(const std::vector<Contact>& a, const std::vector<Contact>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Contact& x, const Contact& y) {
    return x.value == y.value && x.primary == y.primary;
  });
}

}  // namespace

bool Person::sameContent(const Person& other) const {
  if (fields != other.fields || tags != other.tags || !sameContacts(emails, other.emails) ||
      !sameContacts(phones, other.phones) || companyId != other.companyId ||
      customAttributes.size() != other.customAttributes.size()) {
    return false;
  }
  for (const auto& [name, value] : customAttributes) {
    const auto it = other.customAttributes.find(name);
    if (it == other.customAttributes.end() || canonicalJson(value) != canonicalJson(it->second))
      return false;
  }
  return true;
}

const std::vector<FieldSpec>& personFieldSpecs() {
  // Lengths from the reference §5 / §5.1; 0 marks enum or format-checked values.
  static const std::vector<FieldSpec> kSpecs = {
      {"externalId", 256},      {"type", 0},      {"firstName", 255}, {"middleName", 50},
      {"lastName", 255},        {"nickName", 50}, {"gender", 0},      {"birthDate", 0},
      {"address", 256},         {"city", 50},     {"country", 50},    {"preferredLanguage", 0},
      {"profilePicture", 2083},
  };
  return kSpecs;
}

const FieldSpec* findPersonField(std::string_view name) {
  for (const auto& spec : personFieldSpecs()) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

std::optional<AttributeType> parseAttributeType(std::string_view text) {
  static const std::pair<const char*, AttributeType> kTypes[] = {
      {"STRING", AttributeType::kString},
      {"DECIMAL", AttributeType::kDecimal},
      {"INTEGER", AttributeType::kInteger},
      {"BOOLEAN", AttributeType::kBoolean},
      {"DATE", AttributeType::kDate},
      {"DATE_TIME", AttributeType::kDateTime},
      {"LIST_OF_OBJECTS", AttributeType::kListOfObjects},
  };
  for (const auto& [name, type] : kTypes) {
    if (text == name) return type;
  }
  return std::nullopt;
}

const char* attributeTypeName(AttributeType type) {
  switch (type) {
    case AttributeType::kString:
      return "STRING";
    case AttributeType::kDecimal:
      return "DECIMAL";
    case AttributeType::kInteger:
      return "INTEGER";
    case AttributeType::kBoolean:
      return "BOOLEAN";
    case AttributeType::kDate:
      return "DATE";
    case AttributeType::kDateTime:
      return "DATE_TIME";
    case AttributeType::kListOfObjects:
      return "LIST_OF_OBJECTS";
  }
  return "STRING";
}

namespace {

bool allDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

int number(std::string_view text) {
  int value = 0;
  for (char c : text) value = value * 10 + (c - '0');
  return value;
}

bool isAlpha(std::string_view text, bool upper) {
  return std::all_of(text.begin(), text.end(), [upper](unsigned char c) {
    return upper ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z');
  });
}

}  // namespace

bool isValidEmail(std::string_view email) {
  // A pragmatic RFC 2822 addr-spec: one '@', non-empty dot-atom local part, a domain with at
  // least one dot and labels of letters, digits and hyphens.
  if (email.size() > 255) return false;
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 ||
      email.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const auto local = email.substr(0, at);
  const auto domain = email.substr(at + 1);
  static constexpr std::string_view kLocalSpecials = "!#$%&'*+-/=?^_`{|}~.";
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return false;
  }
  for (unsigned char c : local) {
    if (!std::isalnum(c) && kLocalSpecials.find(static_cast<char>(c)) == std::string_view::npos &&
        c < 0x80) {
      return false;
    }
  }
  if (domain.empty() || domain.find('.') == std::string_view::npos) return false;
  size_t start = 0;
  while (start <= domain.size()) {
    auto end = domain.find('.', start);
    if (end == std::string_view::npos) end = domain.size();
    const auto label = domain.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (unsigned char c : label) {
      if (!std::isalnum(c) && c != '-' && c < 0x80) return false;
    }
    start = end + 1;
  }
  const auto tld = domain.substr(domain.rfind('.') + 1);
  return tld.size() >= 2 && !allDigits(tld);
}

bool isValidPhone(std::string_view phone) {
  // E.164 without the '+': country code never starts with 0, at most 15 digits.
  return allDigits(phone) && phone.size() >= 7 && phone.size() <= 15 && phone.front() != '0';
}

bool isValidDate(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  const auto y = date.substr(0, 4), m = date.substr(5, 2), d = date.substr(8, 2);
  if (!allDigits(y) || !allDigits(m) || !allDigits(d)) return false;
  const int year = number(y), month = number(m), day = number(d);
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

bool isValidDateTime(std::string_view text) {
  if (text.size() < 19 || text[10] != 'T' || !isValidDate(text.substr(0, 10))) return false;
  const auto time = text.substr(11, 8);
  if (time[2] != ':' || time[5] != ':' || !allDigits(time.substr(0, 2)) ||
      !allDigits(time.substr(3, 2)) || !allDigits(time.substr(6, 2))) {
    return false;
  }
  if (number(time.substr(0, 2)) > 23 || number(time.substr(3, 2)) > 59 ||
      number(time.substr(6, 2)) > 59) {
    return false;
  }
  auto rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    size_t digits = 1;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
    if (digits == 1 || digits > 10) return false;
    rest = rest.substr(digits);
  }
  if (rest.empty() || rest == "Z") return true;
  // +hh:mm or +hhmm
  if (rest.front() != '+' && rest.front() != '-') return false;
  rest = rest.substr(1);
  if (rest.size() == 5 && rest[2] == ':') {
    return allDigits(rest.substr(0, 2)) && allDigits(rest.substr(3, 2));
  }
  return rest.size() == 4 && allDigits(rest);
}

bool isValidLanguage(std::string_view language) {
  if (language.size() == 2) return isAlpha(language, false);
  return language.size() == 5 && language[2] == '-' && isAlpha(language.substr(0, 2), false) &&
         isAlpha(language.substr(3, 2), true);
}

std::string lowerAscii(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

size_t utf8Length(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // skip continuation bytes
  }));
}

}  // namespace ferry::sandbox::people
