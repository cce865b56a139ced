#include <gtest/gtest.h>

#include <set>

#include <Poco/JSON/Parser.h>
#include <phonenumbers/phonenumberutil.h>

#include "ferry/sandbox/counters.hpp"
#include "ferry/sandbox/fake_data.hpp"
#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/json_writer.hpp"
#include "ferry/sandbox/token_bucket.hpp"

namespace ferry::sandbox {
namespace {

TEST(FakeData, SameSeedSameSequenceDifferentSeedDifferent) {
  FakeDataGenerator a({.seed = 11}), b({.seed = 11}), c({.seed = 12});
  bool anyDifferent = false;
  for (int i = 0; i < 50; ++i) {
    FakePerson x = a.next(), y = b.next(), z = c.next();
    EXPECT_EQ(x.email, y.email);
    EXPECT_EQ(x.phone, y.phone);
    EXPECT_EQ(x.city, y.city);
    anyDifferent = anyDifferent || x.email != z.email;
  }
  EXPECT_TRUE(anyDifferent);
}

TEST(FakeData, PhonesAreValidE164AndUniqueEmailsUnique) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const auto& util = *PhoneNumberUtil::GetInstance();
  FakeDataGenerator generator({.seed = 3});
  std::set<std::string> emails, phones;
  for (int i = 0; i < 500; ++i) {
    FakePerson person = generator.next();
    EXPECT_FALSE(person.emailInvalid || person.phoneInvalid);
    ASSERT_EQ(person.phone[0], '+') << person.phone;
    PhoneNumber parsed;
    ASSERT_EQ(util.Parse(person.phone, "ZZ", &parsed), PhoneNumberUtil::NO_PARSING_ERROR)
        << person.phone;
    EXPECT_TRUE(util.IsValidNumber(parsed)) << person.phone;
    std::string region;
    util.GetRegionCodeForNumber(parsed, &region);
    EXPECT_EQ(region, person.countryCode) << person.phone;
    EXPECT_TRUE(emails.insert(person.email).second) << person.email;
    EXPECT_TRUE(phones.insert(person.phone).second) << person.phone;
    EXPECT_NE(person.email.find('@'), std::string::npos);
  }
}

TEST(FakeData, InvalidShareProducesMarkedInvalidRecords) {
  FakeDataGenerator generator({.seed = 5, .invalidShare = 0.5});
  int invalid = 0;
  for (int i = 0; i < 200; ++i) {
    FakePerson person = generator.next();
    if (person.emailInvalid) {
      ++invalid;
      EXPECT_NE(person.email.find("@@"), std::string::npos);
    }
    if (person.phoneInvalid) ++invalid;
  }
  EXPECT_GT(invalid, 60);
  EXPECT_LT(invalid, 140);
}

TEST(FakeData, ValidRecordsDoNotDependOnInvalidShare) {
  FakeDataGenerator clean({.seed = 9}), dirty({.seed = 9, .invalidShare = 0.3});
  for (int i = 0; i < 100; ++i) {
    FakePerson a = clean.next(), b = dirty.next();
    EXPECT_EQ(a.firstName, b.firstName);
    if (!b.emailInvalid) {
      EXPECT_EQ(a.email, b.email);
    }
  }
}

TEST(HttpUtil, RedactUrlMasksQueryValuesAndUserInfo) {
  EXPECT_EQ(redactUrl("http://127.0.0.1:1/in?token=s3cret&x=1"),
            "http://127.0.0.1:1/in?token=***&x=***");
  EXPECT_EQ(redactUrl("http://user:pw@127.0.0.1:1/in"), "http://***@127.0.0.1:1/in");
  EXPECT_EQ(redactUrl("http://127.0.0.1:1/in"), "http://127.0.0.1:1/in");
  EXPECT_EQ(redactUrl("http://127.0.0.1:1/in?token=a%2Bb%3D"), "http://127.0.0.1:1/in?token=***");
  EXPECT_EQ(redactUrl("http://[::1"), "***");  // unparsable: nothing of it shown
}

TEST(TokenBucket, DrainsAndRefillsWithInjectedClock) {
  auto now = std::chrono::steady_clock::time_point{};
  TokenBucket bucket(5.0, 5.0, [&] { return now; });
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(bucket.tryAcquire());
  EXPECT_FALSE(bucket.tryAcquire());
  EXPECT_NEAR(bucket.secondsUntilAvailable(), 0.2, 1e-9);
  now += std::chrono::milliseconds(200);
  EXPECT_TRUE(bucket.tryAcquire());
  EXPECT_FALSE(bucket.tryAcquire());
  now += std::chrono::seconds(10);  // never above capacity
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(bucket.tryAcquire());
  EXPECT_FALSE(bucket.tryAcquire());
}

TEST(RateLimiter, PerEndpointBucketsAndSwitchOff) {
  auto now = std::chrono::steady_clock::time_point{};
  RateLimiter limiter([&] { return now; });
  EXPECT_TRUE(limiter.allow("create", 1, 1));
  EXPECT_FALSE(limiter.allow("create", 1, 1));
  EXPECT_TRUE(limiter.allow("list", 1, 1));
  limiter.setEnabled(false);
  EXPECT_TRUE(limiter.allow("create", 1, 1));
}

TEST(JsonWriter, ProducesParseableEscapedJson) {
  JsonWriter json;
  json.beginObject()
      .key("s")
      .value("a\"b\\c\n\x01")
      .key("n")
      .value(int64_t{-5})
      .key("d")
      .value(1.5);
  json.key("arr").beginArray().value(true).null().beginObject().endObject().endArray().endObject();
  auto parsed = Poco::JSON::Parser().parse(json.str()).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(parsed->getValue<std::string>("s"), "a\"b\\c\n\x01");
  EXPECT_EQ(parsed->getValue<int>("n"), -5);
  EXPECT_EQ(parsed->getArray("arr")->size(), 3u);
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalidBytes) {
  JsonWriter json;
  json.beginArray().value("M\xC3\xBCller").value("a\xFF!").endArray();
  EXPECT_EQ(json.str(), "[\"M\xC3\xBCller\",\"a\xEF\xBF\xBD!\"]");
}

TEST(JsonWriter, WritesParsedValuesWithSortedKeys) {
  // What a client sent, e.g. a custom attribute value: keys come out sorted, numbers keep their
  // kind, so two spellings of the same value serialise identically.
  const auto a =
      Poco::JSON::Parser().parse(R"({"b":[1,-2,2.5,"x",null],"a":{"z":true,"y":"\u00fc"}})");
  const auto b =
      Poco::JSON::Parser().parse(R"({"a":{"y":"\u00fc","z":true},"b":[1,-2,2.5,"x",null]})");
  EXPECT_EQ(canonicalJson(a), R"({"a":{"y":"ü","z":true},"b":[1,-2,2.5,"x",null]})");
  EXPECT_EQ(canonicalJson(a), canonicalJson(b));
  EXPECT_NE(canonicalJson(a), canonicalJson(Poco::JSON::Parser().parse(R"({"a":{"z":false}})")));
  EXPECT_EQ(canonicalJson(Poco::Dynamic::Var()), "null");
  JsonWriter json;
  json.beginArray()
      .value(Poco::Dynamic::Var(std::string("s")))
      .value(Poco::Dynamic::Var(7))
      .endArray();
  EXPECT_EQ(json.str(), R"(["s",7])");
}

TEST(CallCounters, SumsTheCallsOfEndpointsSharingAKeyPrefix) {
  CallCounters counters;
  counters.record("people GET /people/2/persons", 200);
  counters.record("people GET /people/2/persons", 429);
  counters.record("people PUT /persons/3/upsert", 200);
  counters.recordDrop("peoplex GET /x");
  counters.record("salesforce GET /query", 200);
  EXPECT_EQ(counters.calls("people "), 3u);
  EXPECT_EQ(counters.calls("people GET "), 2u);
  EXPECT_EQ(counters.calls("people"), 4u);  // a prefix, not a service name
  EXPECT_EQ(counters.calls(""), 5u);
  EXPECT_EQ(counters.calls("zzz"), 0u);
}

TEST(HttpUtil, FormDecoding) {
  auto form = parseForm("grant_type=refresh_token&refresh_token=a%2Bb+c&empty=&flag&bad=%zz");
  ASSERT_EQ(form.size(), 5u);
  EXPECT_EQ(form[1].second, "a+b c");
  EXPECT_EQ(form[2].second, "");
  EXPECT_EQ(form[3].first, "flag");
  EXPECT_EQ(form[4].second, "%zz");
  EXPECT_EQ(percentEncode("a b/é"), "a%20b%2F%C3%A9");
}

}  // namespace
}  // namespace ferry::sandbox
