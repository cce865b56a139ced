#include <gtest/gtest.h>

#include "ferry/host/flow/fixtures.hpp"
#include "support.hpp"

namespace ferry::host {
namespace {

constexpr const char* kFlow = R"(flow: fx
source: { connection: salesforce, entity: Contact }
sink: { connection: people, entity: Customer }
direction: two-way
map:
  FirstName: firstName
  LastName: lastName
  Email: { to: contactInformation.email, transform: [trim, lower, email] }
  MailingCountry: { to: country, transform: [country] }
)";

FixtureReport run(const std::string& fixtures) {
  Diagnostics diags;
  const auto file = parseFixtures(fixtures, "fx.test.yaml", diags);
  if (!file) {
    ADD_FAILURE() << diags.format();
    return {};
  }
  return runFixtures(*file, testing::mustLoad(kFlow));
}

TEST(FlowFixtures, PassingCasesInBothDirections) {
  const FixtureReport report = run(R"(flow: fx.yaml
cases:
  - name: forward
    source: { FirstName: Ana, LastName: Horvat, Email: " ANA@example.com", MailingCountry: Croatia }
    sink: { firstName: Ana, lastName: Horvat, contactInformation.email: [ana@example.com], country: HR }
  - name: both ways
    direction: both
    source: { LastName: Horvat, MailingCountry: Germany }
    sink: { lastName: Horvat, country: DE }
  - name: rejected
    source: { LastName: Horvat, Email: nope }
    reject: is not a valid email address
)");
  EXPECT_EQ(report.failed(), 0u) << report.format();
  EXPECT_EQ(report.results.size(), 4u);
  EXPECT_EQ(report.format(),
            "PASS forward (forward)\n"
            "PASS both ways (forward)\n"
            "PASS both ways (reverse)\n"
            "PASS rejected (forward)\n"
            "4 passed, 0 failed\n");
}

TEST(FlowFixtures, AMismatchFailsWithAReadableDiff) {
  const FixtureReport report = run(R"(flow: fx.yaml
cases:
  - name: wrong expectations
    source: { FirstName: Ana, LastName: Horvat, Email: ana@example.com, MailingCountry: Croatia }
    sink: { firstName: Anna, lastName: Horvat, country: HR, city: Zagreb }
  - name: expected a rejection
    source: { LastName: Horvat, Email: ana@example.com }
    reject: not valid
  - name: unexpected rejection
    direction: reverse
    sink: { lastName: Horvat, country: Narnia }
    source: { LastName: Horvat }
)");
  EXPECT_EQ(report.failed(), 3u);
  EXPECT_EQ(report.format(),
            "FAIL wrong expectations (forward) at fx.test.yaml:3\n"
            "  - city: expected \"Zagreb\", missing\n"
            "  ~ firstName: expected \"Anna\", got \"Ana\"\n"
            "  + contactInformation.email: not expected, got [\"ana@example.com\"]\n"
            "FAIL expected a rejection (forward) at fx.test.yaml:6\n"
            "  expected a rejection containing \"not valid\", but the record mapped to "
            "{\"contactInformation.email\":[\"ana@example.com\"],\"country\":null,"
            "\"firstName\":null,\"lastName\":\"Horvat\"}\n"
            "FAIL unexpected rejection (reverse) at fx.test.yaml:9\n"
            "  rejected: MailingCountry -> country (line 9) (reverse): value \"Narnia\" rejected "
            "by country: is not a known ISO alpha-2 code (ISO 3166-1)\n"
            "0 passed, 3 failed\n");
}

TEST(FlowFixtures, DiffComparesDatesWithTheirTextForm) {
  const sdk::Object actual{
      {"d", sdk::Date{2024, 3, 5}}, {"t", sdk::DateTime{1709647629000}}, {"n", sdk::Value()}};
  EXPECT_EQ(diffRecords(sdk::Object{{"d", "2024-03-05"}, {"t", "2024-03-05T14:07:09Z"}}, actual),
            "");
  EXPECT_EQ(diffRecords(sdk::Object{{"d", "2024-03-06"}}, actual),
            "  ~ d: expected \"2024-03-06\", got \"2024-03-05\"\n  + t: not expected, got "
            "\"2024-03-05T14:07:09.000Z\"\n");
}

TEST(FlowFixtures, MalformedFixtureFilesAreReported) {
  Diagnostics diags;
  EXPECT_FALSE(parseFixtures(R"(flow: fx.yaml
cases:
  - name: no input
    sink: { a: 1 }
  - name: bad direction
    direction: sideways
    source: { a: 1 }
    sink: { b: 1 }
  - nmae: typo
)",
                             "bad.test.yaml", diags));
  const std::string text = diags.format();
  EXPECT_NE(text.find("bad.test.yaml:3:5: error: fixture \"no input\" needs a \"source\" record"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("bad.test.yaml:6:16: error: \"direction\" must be forward, reverse or both"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("bad.test.yaml:9:5: error: unknown key \"nmae\" in a fixture case (did you "
                      "mean \"name\"?)"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace ferry::host
