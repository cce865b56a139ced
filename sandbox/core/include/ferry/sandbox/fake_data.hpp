// Deterministic fake people for seeding both emulated APIs: the same seed always yields the
// same sequence on every platform (own PRNG, no std:: distributions). Phone numbers are valid
// E.164 mobile numbers for their country (checked with libphonenumber); emails and phones are
// unique within one generator's sequence. When asked, a share of records is invalid on purpose.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace ferry::sandbox {

// SplitMix64: tiny, fast, and fully specified, so sequences are reproducible everywhere.
class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t next();
  uint64_t below(uint64_t bound);  // uniform in [0, bound), bound > 0
  double unit();                   // uniform in [0, 1)

 private:
  uint64_t state_;
};

struct FakePerson {
  uint64_t index = 0;  // position in the generator's sequence, from 0
  std::string firstName;
  std::string lastName;
  std::string email;  // unique; invalid when emailInvalid
  std::string phone;  // E.164, unique; invalid when phoneInvalid
  std::string city;
  std::string countryCode;  // ISO 3166-1 alpha-2
  std::string country;      // English short name
  std::string company;
  std::string title;
  bool emailInvalid = false;
  bool phoneInvalid = false;
};

struct FakeDataOptions {
  uint64_t seed = 42;
  double invalidShare = 0.0;  // share of people with an invalid email or phone, 0..1
};

class FakeDataGenerator {
 public:
  explicit FakeDataGenerator(FakeDataOptions options);
  FakePerson next();

 private:
  std::string makePhone(const std::string& region);

  FakeDataOptions options_;
  SeededRandom random_;
  uint64_t index_ = 0;
  std::map<std::string, uint64_t> perCountry_;  // numbers handed out per region
};

}  // namespace ferry::sandbox
