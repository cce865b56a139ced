// Transforms through the public surface: a one-entry flow per case, applied to one record.
#include <gtest/gtest.h>

#include "ferry/host/flow/parser.hpp"
#include "support.hpp"

namespace ferry::host {
namespace {

using sdk::Object;
using sdk::Value;

// A flow mapping Contact.<sourceField> to Customer.<target> with the given transform list.
FlowDef flowWith(const std::string& sourceField, const std::string& target,
                 const std::string& transforms, const std::string& extra = {}) {
  return testing::mustLoad(
      "flow: t\nsource: { connection: salesforce, entity: Contact }\n"
      "sink: { connection: people, entity: Customer }\n" +
      extra + "map:\n  LastName: lastName\n  " + sourceField + ": { to: " + target +
      ", transform: " + transforms + " }\n");
}

Value forwardOne(const FlowDef& flow, const std::string& field, Value in, const std::string& out) {
  auto r = flow.mapping->forward(Object{{"LastName", "X"}, {field, std::move(in)}});
  if (!r.ok()) {
    ADD_FAILURE() << r.error().message;
    return {};
  }
  const Value* v = r->find(out);
  return v == nullptr ? Value("<absent>") : *v;
}

std::string rejection(const FlowDef& flow, const std::string& field, Value in) {
  auto r = flow.mapping->forward(Object{{"LastName", "X"}, {field, std::move(in)}});
  return r.ok() ? std::string("<accepted>") : r.error().message;
}

TEST(FlowTransforms, TextCleanup) {
  EXPECT_EQ(forwardOne(flowWith("Title", "middleName", "[trim]"), "Title", "  Dr \t", "middleName"),
            Value("Dr"));
  EXPECT_EQ(forwardOne(flowWith("Title", "middleName", "[lower]"), "Title", "ÀBc", "middleName"),
            Value("Àbc"));  // ASCII only: multi-byte letters are left alone
  EXPECT_EQ(
      forwardOne(flowWith("Title", "middleName", "[trim, upper]"), "Title", " ab ", "middleName"),
      Value("AB"));
  // Nulls pass through untouched.
  EXPECT_TRUE(forwardOne(flowWith("Title", "middleName", "[trim]"), "Title", Value(), "middleName")
                  .isNull());
}

TEST(FlowTransforms, PhoneToE164) {
  const FlowDef us =
      flowWith("MobilePhone", "contactInformation.phone", "[{ e164: { default_region: US } }]");
  EXPECT_EQ(forwardOne(us, "MobilePhone", "(201) 555-0123", "contactInformation.phone"),
            Value(sdk::List{"+12015550123"}));
  EXPECT_EQ(forwardOne(us, "MobilePhone", "+385 91 123 4567", "contactInformation.phone"),
            Value(sdk::List{"+385911234567"}));
  EXPECT_EQ(rejection(us, "MobilePhone", "12"),
            "MobilePhone -> contactInformation.phone (line 6): value \"12\" rejected by e164: is "
            "not a valid phone number (default region US)");
  const FlowDef international = flowWith("MobilePhone", "contactInformation.phone", "[e164]");
  EXPECT_NE(rejection(international, "MobilePhone", "091 123 4567").find("international form"),
            std::string::npos);
}

TEST(FlowTransforms, EmailSyntax) {
  const FlowDef f = flowWith("Email", "contactInformation.email", "[trim, lower, email]");
  EXPECT_EQ(forwardOne(f, "Email", " Ana.Horvat@Example.COM ", "contactInformation.email"),
            Value(sdk::List{"ana.horvat@example.com"}));
  for (const char* bad :
       {"ana", "ana@", "@example.com", "ana@example", "a b@example.com", "ana@@example.com",
        "ana@exa_mple.com", "ana..x@example.com", "ana@example.123"}) {
    SCOPED_TRACE(bad);
    EXPECT_NE(rejection(f, "Email", bad).find("is not a valid email address"), std::string::npos);
  }
  for (const char* good : {"a@b.co", "first.last+tag@sub.example.org", "x_y@ex-ample.hr"}) {
    EXPECT_EQ(forwardOne(f, "Email", good, "contactInformation.email"), Value(sdk::List{good}));
  }
}

TEST(FlowTransforms, CountryNamesAndCodes) {
  const FlowDef toCode = flowWith("MailingCountry", "country", "[country]");
  EXPECT_EQ(forwardOne(toCode, "MailingCountry", "Croatia", "country"), Value("HR"));
  EXPECT_EQ(forwardOne(toCode, "MailingCountry", "united states", "country"), Value("US"));
  EXPECT_EQ(forwardOne(toCode, "MailingCountry", "Republic of Croatia", "country"), Value("HR"));
  EXPECT_NE(rejection(toCode, "MailingCountry", "Atlantis").find("is not a known country name"),
            std::string::npos);
  const FlowDef toName =
      flowWith("MailingCountry", "country", "[{ country: { from: alpha2, to: name } }]");
  EXPECT_EQ(forwardOne(toName, "MailingCountry", "de", "country"), Value("Germany"));
  const FlowDef alpha3 =
      flowWith("MailingCountry", "country", "[{ country: { from: alpha3, to: alpha2 } }]");
  EXPECT_EQ(forwardOne(alpha3, "MailingCountry", "HRV", "country"), Value("HR"));
}

TEST(FlowTransforms, DateTimeFormatsBetweenTheApis) {
  const FlowDef f =
      flowWith("Title", "middleName", "[{ datetime: { from: salesforce, to: people } }]");
  EXPECT_EQ(forwardOne(f, "Title", "2024-03-05T14:07:09.000+0000", "middleName"),
            Value("2024-03-05T14:07:09"));
  EXPECT_EQ(forwardOne(f, "Title", "2024-03-05T16:07:09.000+0200", "middleName"),
            Value("2024-03-05T14:07:09"));  // converted to UTC
  EXPECT_EQ(forwardOne(f, "Title", Value(sdk::DateTime{1709647629000}), "middleName"),
            Value("2024-03-05T14:07:09"));  // typed values need no parsing
  EXPECT_NE(
      rejection(f, "Title", "05.03.2024").find("does not match \"yyyy-MM-dd'T'HH:mm:ss.SSSZ\""),
      std::string::npos);
  const FlowDef back =
      flowWith("Title", "middleName", "[{ datetime: { from: people, to: salesforce } }]");
  EXPECT_EQ(forwardOne(back, "Title", "2024-03-05T14:07:09", "middleName"),
            Value("2024-03-05T14:07:09.000+0000"));
  const FlowDef typed =
      flowWith("Title", "customAttributes.Seen", "[{ datetime: { from: people } }]");
  EXPECT_EQ(forwardOne(typed, "Title", "2024-03-05T14:07:09", "customAttributes.Seen"),
            Value(sdk::DateTime{1709647629000}));
}

TEST(FlowTransforms, DatePatterns) {
  const FlowDef f = flowWith("Title", "birthDate", "[{ date: { from: \"dd.MM.yyyy\" } }]");
  EXPECT_EQ(forwardOne(f, "Title", "17.04.1990", "birthDate"), Value(sdk::Date{1990, 4, 17}));
  EXPECT_NE(rejection(f, "Title", "31.02.1990").find("does not match \"dd.MM.yyyy\""),
            std::string::npos);
  const FlowDef text =
      flowWith("Birthdate", "customAttributes.Born", "[{ date: { to: \"dd/MM/yyyy\" } }]");
  EXPECT_EQ(forwardOne(text, "Birthdate", Value(sdk::Date{1990, 4, 7}), "customAttributes.Born"),
            Value("07/04/1990"));
}

TEST(FlowTransforms, ValueMaps) {
  const FlowDef f = flowWith("Salutation", "gender", "[{ values: { Mr.: MALE, Ms.: FEMALE } }]");
  EXPECT_EQ(forwardOne(f, "Salutation", "Ms.", "gender"), Value("FEMALE"));
  EXPECT_EQ(
      rejection(f, "Salutation", "Dr."),
      "Salutation -> gender (line 6): value \"Dr.\" rejected by values: no entry in the value "
      "map (known: \"Mr.\", \"Ms.\")");
  const FlowDef fallback =
      flowWith("Salutation", "gender", "[{ values: { Mr.: MALE, \"*\": FEMALE } }]");
  EXPECT_EQ(forwardOne(fallback, "Salutation", "Dr.", "gender"), Value("FEMALE"));
  const FlowDef boolean = flowWith("HasOptedOutOfEmail", "customAttributes.Newsletter",
                                   "[{ values: { true: \"no\", false: \"yes\" } }]");
  EXPECT_EQ(forwardOne(boolean, "HasOptedOutOfEmail", true, "customAttributes.Newsletter"),
            Value("no"));
}

TEST(FlowTransforms, SplitJoinPrefixConcatDefaultConstant) {
  const FlowDef split = flowWith("Description", "tags", "[{ split: \";\" }, trim]");
  EXPECT_EQ(forwardOne(split, "Description", "VIP; Newsletter;;B2B", "tags"),
            Value(sdk::List{"VIP", "Newsletter", "B2B"}));  // trim applies to each item
  const FlowDef prefix = flowWith("Id", "externalId", "[{ prefix: \"sf-\" }]");
  EXPECT_EQ(forwardOne(prefix, "Id", "003A", "externalId"), Value("sf-003A"));
  const FlowDef concat = flowWith("Title", "customAttributes.Role",
                                  "[{ concat: { with: [Department], separator: \" / \" } }]");
  auto r =
      concat.mapping->forward(Object{{"LastName", "X"}, {"Title", "CTO"}, {"Department", "IT"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->find("customAttributes.Role"), Value("CTO / IT"));
  r = concat.mapping->forward(Object{{"LastName", "X"}, {"Department", "IT"}});
  EXPECT_EQ(*r->find("customAttributes.Role"), Value("IT"));  // empty parts are skipped
  const FlowDef dflt = flowWith("MailingCity", "city", "[trim, { default: Unknown }]");
  EXPECT_EQ(forwardOne(dflt, "MailingCity", Value(), "city"), Value("Unknown"));
  EXPECT_EQ(forwardOne(dflt, "MailingCity", " ", "city"), Value("Unknown"));
  const FlowDef constant = flowWith("MailingCity", "city", "[{ constant: Zagreb }]");
  EXPECT_EQ(forwardOne(constant, "MailingCity", "Split", "city"), Value("Zagreb"));
}

TEST(FlowTransforms, ArgumentParsersNeverCrashOnGarbage) {
  const char* inputs[] = {"",
                          "{",
                          "{ e164: [ }",
                          "{ values: { [a]: b } }",
                          "{ date: { from: \"'\" } }",
                          "{ datetime: { to: \"yyyyyyyy\" } }",
                          "{ concat: { with: [[]] } }",
                          "{ country: 7 }",
                          "!!binary x",
                          "{ split: { a: b } }",
                          "{ prefix: [a] }",
                          "*anchor",
                          "{ values: { a: b, a: c } }"};
  for (const char* in : inputs) {
    Diagnostics diags;
    EXPECT_FALSE(parseTransformText(in, "g", diags).has_value()) << in;
    EXPECT_TRUE(diags.hasErrors()) << in;
  }
}

}  // namespace
}  // namespace ferry::host
