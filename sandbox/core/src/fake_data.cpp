#include "ferry/sandbox/fake_data.hpp"

#include <array>
#include <cctype>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

namespace ferry::sandbox {
namespace {

struct Country {
  const char* code;
  const char* name;
  std::array<const char*, 4> cities;
};

constexpr Country kCountries[] = {
    {"HR", "Croatia", {"Zagreb", "Split", "Rijeka", "Osijek"}},
    {"SI", "Slovenia", {"Ljubljana", "Maribor", "Celje", "Koper"}},
    {"RS", "Serbia", {"Belgrade", "Novi Sad", "Nis", "Kragujevac"}},
    {"DE", "Germany", {"Berlin", "Hamburg", "Munich", "Cologne"}},
    {"GB", "United Kingdom", {"London", "Manchester", "Leeds", "Bristol"}},
    {"US", "United States", {"New York", "Austin", "Chicago", "Seattle"}},
    {"FR", "France", {"Paris", "Lyon", "Marseille", "Lille"}},
    {"ES", "Spain", {"Madrid", "Barcelona", "Valencia", "Seville"}},
    {"IT", "Italy", {"Rome", "Milan", "Turin", "Naples"}},
    {"NL", "Netherlands", {"Amsterdam", "Rotterdam", "Utrecht", "Eindhoven"}},
    {"PL", "Poland", {"Warsaw", "Krakow", "Gdansk", "Wroclaw"}},
    {"BR", "Brazil", {"Sao Paulo", "Rio de Janeiro", "Curitiba", "Recife"}},
    {"IN", "India", {"Mumbai", "Bengaluru", "Pune", "Chennai"}},
    {"ZA", "South Africa", {"Cape Town", "Johannesburg", "Durban", "Pretoria"}},
    {"AU", "Australia", {"Sydney", "Melbourne", "Brisbane", "Perth"}},
    {"SE", "Sweden", {"Stockholm", "Gothenburg", "Malmo", "Uppsala"}},
};

constexpr const char* kFirstNames[] = {
    "Ana",    "Ivan",   "Marko",  "Petra",  "Luka",   "Maja",  "Nina",   "Tomislav",
    "Jelena", "Stefan", "Emma",   "Liam",   "Olivia", "Noah",  "Sofia",  "Lucas",
    "Mia",    "Mateo",  "Hannah", "Jonas",  "Chloe",  "Hugo",  "Lucia",  "Pablo",
    "Giulia", "Marco",  "Sanne",  "Daan",   "Zofia",  "Jakub", "Priya",  "Arjun",
    "Thandi", "Sipho",  "Grace",  "Oliver", "Elsa",   "Erik",  "Camila", "Rafael"};

constexpr const char* kLastNames[] = {
    "Novak",     "Horvat",  "Kovacic",  "Babic",   "Maric",     "Petrovic",  "Jovanovic",
    "Krajnc",    "Zupan",   "Müller",   "Schmidt", "Smith",     "Johnson",   "Brown",
    "Martin",    "Bernard", "Garcia",   "Lopez",   "Rossi",     "Bianchi",   "de Vries",
    "Jansen",    "Nowak",   "Kowalski", "Silva",   "Santos",    "Sharma",    "Patel",
    "Nkosi",     "Dlamini", "Wilson",   "Taylor",  "Andersson", "Lindqvist", "O'Brien",
    "Fernandes", "Lee",     "Walker",   "Young",   "Kralj"};

constexpr const char* kCompanies[] = {
    "Northwind d.o.o.", "Acme Corp",       "Globex",           "Initech",
    "Umbrella Labs",    "Stark Logistics", "Wayne Foods",      "Adriatic Shipping",
    "Blue Harbor Ltd",  "Kestrel Systems", "Lumen Retail",     "Orbit Telecom",
    "Pinecrest Health", "Quantum Freight", "Redwood Partners", "Silverline Bank"};

constexpr const char* kTitles[] = {
    "CEO",   "CTO",      "Marketing Manager", "Sales Director", "Account Executive",
    "Buyer", "Engineer", "Office Manager",    "Product Owner",  "Head of CRM"};

constexpr const char* kDomains[] = {"example.com", "example.org", "example.net", "mail.example"};

template <typename T, size_t N>
const T& pick(SeededRandom& random, const T (&items)[N]) {
  return items[random.below(N)];
}

// Lower-case ASCII local part: "Müller" -> "mller", "de Vries" -> "devries", "O'Brien" -> "obrien".
std::string emailPart(const std::string& name) {
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
  }
  return out;
}

}  // namespace

uint64_t SeededRandom::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t SeededRandom::below(uint64_t bound) {
  // Rejection sampling keeps the result unbiased for any bound.
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t value;
  do {
    value = next();
  } while (value >= limit);
  return value % bound;
}

double SeededRandom::unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

FakeDataGenerator::FakeDataGenerator(FakeDataOptions options)
    : options_(options), random_(options.seed) {}

std::string FakeDataGenerator::makePhone(const std::string& region) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber example;
  if (!util.GetExampleNumberForType(region, PhoneNumberUtil::MOBILE, &example)) return {};
  std::string national = std::to_string(example.national_number());
  uint64_t serial = perCountry_[region]++;
  // Replace the tail of the example mobile number with the per-country serial (unique), keep
  // the operator prefix; draw a different prefix digit if the result is not a valid number.
  size_t tail = national.size() >= 9 ? 6 : 5;
  std::string suffix = std::to_string(serial % 1000000);
  suffix = std::string(tail > suffix.size() ? tail - suffix.size() : 0, '0') + suffix;
  suffix = suffix.substr(suffix.size() - tail);
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::string candidate = national.substr(0, national.size() - tail) + suffix;
    if (attempt > 0) {
      size_t pos = national.size() - tail - 1;
      candidate[pos] = static_cast<char>('0' + (candidate[pos] - '0' + attempt) % 10);
    }
    PhoneNumber number;
    number.set_country_code(example.country_code());
    number.set_national_number(std::stoull(candidate));
    if (util.IsValidNumber(number)) {
      std::string e164;
      util.Format(number, PhoneNumberUtil::E164, &e164);
      return e164;
    }
  }
  std::string e164;
  util.Format(example, PhoneNumberUtil::E164, &e164);
  return e164;
}

FakePerson FakeDataGenerator::next() {
  FakePerson person;
  person.index = index_++;
  person.firstName = pick(random_, kFirstNames);
  person.lastName = pick(random_, kLastNames);
  const Country& country = pick(random_, kCountries);
  person.countryCode = country.code;
  person.country = country.name;
  person.city = country.cities[random_.below(country.cities.size())];
  person.company = pick(random_, kCompanies);
  person.title = pick(random_, kTitles);
  std::string domain = pick(random_, kDomains);
  // The index keeps every address unique within the sequence.
  person.email = emailPart(person.firstName) + "." + emailPart(person.lastName) +
                 std::to_string(person.index) + "@" + domain;
  person.phone = makePhone(country.code);

  // Always draw, so the valid records are the same whatever the invalid share.
  double invalidDraw = random_.unit();
  uint64_t invalidKind = random_.below(2);
  uint64_t bogusCountry = 990 + random_.below(9);  // +990..+998 are unassigned
  if (invalidDraw < options_.invalidShare) {
    if (invalidKind == 0) {
      person.email = emailPart(person.firstName) + std::to_string(person.index) + "@@" + domain;
      person.emailInvalid = true;
    } else {
      person.phone = "+" + std::to_string(bogusCountry) + "12";
      person.phoneInvalid = true;
    }
  }
  return person;
}

}  // namespace ferry::sandbox
