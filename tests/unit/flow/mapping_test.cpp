// The compiled mapping: forward and reverse, round trips, nested paths, rejections.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "support.hpp"

namespace ferry::host {
namespace {

using sdk::List;
using sdk::Object;
using sdk::Value;

// Every step invertible: normalising steps (trim, lower, e164, email) and bijective ones
// (prefix, value maps, country codes, date formats, split/join).
constexpr const char* kInvertible = R"(flow: round-trip
source: { connection: salesforce, entity: Contact }
sink: { connection: people, entity: Customer }
direction: two-way
map:
  Ferry_External_Id__c: { to: externalId, transform: [{ prefix: "sf-" }] }
  FirstName: firstName
  LastName: lastName
  Email: { to: contactInformation.email, transform: [trim, lower, email] }
  MobilePhone: { to: contactInformation.phone, transform: [{ e164: { default_region: HR } }] }
  MailingCountry: { to: country, transform: [country] }
  Salutation: { to: gender, transform: [{ values: { Mr.: MALE, Ms.: FEMALE } }] }
  Birthdate: birthDate
  HasOptedOutOfEmail: customAttributes.EmailOptOut
  Description: { to: tags, transform: [{ split: ";" }] }
  Title: { to: customAttributes.Seen, transform: [{ datetime: { from: salesforce, to: people } }] }
)";

Object contact(int i) {
  const std::string n = std::to_string(i);
  return Object{
      {"Ferry_External_Id__c", "ext-" + n},
      {"FirstName", "Ana" + n},
      {"LastName", "Horvat-Kovač " + n},
      {"Email", "ana" + n + "@example.com"},
      {"MobilePhone", "+3859112345" + std::to_string(10 + i % 90)},
      {"MailingCountry", i % 2 == 0 ? "Croatia" : "Germany"},
      {"Salutation", i % 3 == 0 ? "Mr." : "Ms."},
      {"Birthdate", sdk::Date{1970 + i % 50, 1 + i % 12, 1 + i % 28}},
      {"HasOptedOutOfEmail", i % 2 == 0},
      {"Description", "VIP;Newsletter" + n},
      {"Title", "2024-03-05T14:07:" + std::string(i % 60 < 10 ? "0" : "") + std::to_string(i % 60) +
                    ".000+0000"},
  };
}

TEST(FlowMapping, SourceToSinkToSourceIsIdentityForInvertibleMaps) {
  const FlowDef flow = testing::mustLoad(kInvertible);
  ASSERT_TRUE(flow.mapping->invertible());
  for (int i = 0; i < 200; ++i) {
    const Object source = contact(i);
    auto sink = flow.mapping->forward(source);
    ASSERT_TRUE(sink.ok()) << sink.error().message;
    auto back = flow.mapping->reverse(*sink);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, source) << "record " << i << ": " << Value(*back).toJson() << "\nvs "
                             << Value(source).toJson();
  }
}

TEST(FlowMapping, SinkToSourceToSinkIsIdentityForInvertibleMaps) {
  const FlowDef flow = testing::mustLoad(kInvertible);
  const Object sink{
      {"externalId", "sf-0035g00000XyZ12AAB"},
      {"firstName", "Ana"},
      {"lastName", "Horvat"},
      {"contactInformation.email", List{"ana.horvat@example.com"}},
      {"contactInformation.phone", List{"+385911234567"}},
      {"country", "HR"},
      {"gender", "FEMALE"},
      {"birthDate", sdk::Date{1990, 4, 17}},
      {"customAttributes.EmailOptOut", true},
      {"tags", List{"Newsletter", "VIP"}},
      {"customAttributes.Seen", "2024-03-05T14:07:09"},
  };
  auto source = flow.mapping->reverse(sink);
  ASSERT_TRUE(source.ok()) << source.error().message;
  EXPECT_EQ(*source->find("MailingCountry"), Value("Croatia"));
  EXPECT_EQ(*source->find("Title"), Value("2024-03-05T14:07:09.000+0000"));
  EXPECT_EQ(*source->find("Description"), Value("Newsletter;VIP"));
  EXPECT_EQ(*source->find("Ferry_External_Id__c"), Value("0035g00000XyZ12AAB"));
  auto again = flow.mapping->forward(*source);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, sink);
}

TEST(FlowMapping, NormalisedValuesRoundTripInTheirNormalForm) {
  const FlowDef flow = testing::mustLoad(kInvertible);
  Object messy = contact(1);
  messy.set("Email", "  ANA1@Example.COM ");
  messy.set("MobilePhone", "091 123 4567");  // national form, region HR
  auto sink = flow.mapping->forward(messy);
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  EXPECT_EQ(*sink->find("contactInformation.email"), Value(List{"ana1@example.com"}));
  EXPECT_EQ(*sink->find("contactInformation.phone"), Value(List{"+385911234567"}));
  auto back = flow.mapping->reverse(*sink);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back->find("Email"), Value("ana1@example.com"));
  EXPECT_EQ(*back->find("MobilePhone"), Value("+385911234567"));
  // From here on the round trip is exact.
  auto sink2 = flow.mapping->forward(*back);
  ASSERT_TRUE(sink2.ok());
  EXPECT_EQ(*sink2, *sink);
}

TEST(FlowMapping, ReverseReadsTheFirstItemOfAListWrittenFromAScalar) {
  const FlowDef flow = testing::mustLoad(kInvertible);
  Object sink{{"lastName", "Horvat"},
              {"contactInformation.email", List{"first@example.com", "second@example.com"}},
              {"contactInformation.phone", List{}}};
  auto source = flow.mapping->reverse(sink);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(*source->find("Email"), Value("first@example.com"));
  EXPECT_TRUE(source->find("MobilePhone")->isNull());
}

TEST(FlowMapping, AbsentFieldsMapToNullAndConstantsAndDefaultsApply) {
  const FlowDef flow = testing::mustLoad(R"yaml(flow: c
source: { connection: salesforce, entity: Contact }
sink: { connection: people, entity: Customer }
direction: two-way
map:
  LastName: lastName
  MailingCity: { to: city, default: Unknown }
  FirstName: firstName
constants: { sink: { type: CUSTOMER, tags: SF }, source: { LeadSource: Other } }
defaults: { sink: { middleName: "-" }, source: { FirstName: "(none)" } }
)yaml");
  auto out = flow.mapping->forward(Object{{"LastName", "Novak"}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, (Object{{"city", "Unknown"},
                          {"firstName", Value()},
                          {"lastName", "Novak"},
                          {"middleName", "-"},
                          {"tags", List{"SF"}},
                          {"type", "CUSTOMER"}}));
  auto back = flow.mapping->reverse(Object{{"lastName", "Novak"}, {"city", "Zagreb"}});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, (Object{{"FirstName", "(none)"},
                           {"LastName", "Novak"},
                           {"LeadSource", "Other"},
                           {"MailingCity", "Zagreb"}}));
}

TEST(FlowMapping, ReadsNestedSourcePaths) {
  // Salesforce returns parent relationship fields as nested objects ("Account": {"Name": ..}).
  StaticSchemaProvider provider = testing::fixtureSchemas();
  PluginSchema sf = *provider.plugin("salesforce");
  for (auto& e : sf.entities) {
    if (e.name != "Contact") continue;
    sdk::FieldSchema f;
    f.name = "Account.Name";
    f.createable = f.updateable = false;
    e.fields.push_back(f);
  }
  provider.add(sf);
  Diagnostics diags;
  const auto flow = loadFlow(R"(flow: n
source: { connection: salesforce, entity: Contact }
sink: { connection: people, entity: Customer }
map:
  LastName: lastName
  Account.Name: customAttributes.Company
)",
                             "n.yaml", testing::fixtureConnections(), provider, diags);
  ASSERT_TRUE(flow.has_value()) << diags.format();
  auto nested =
      flow->mapping->forward(Object{{"LastName", "N"}, {"Account", Object{{"Name", "Northwind"}}}});
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(*nested->find("customAttributes.Company"), Value("Northwind"));
  auto flat = flow->mapping->forward(Object{{"LastName", "N"}, {"Account.Name", "Acme"}});
  EXPECT_EQ(*flat->find("customAttributes.Company"), Value("Acme"));
  auto empty = flow->mapping->forward(Object{{"LastName", "N"}, {"Account", Value()}});
  EXPECT_TRUE(empty->find("customAttributes.Company")->isNull());
}

TEST(FlowMapping, OneWayLossyMapsRefuseReverse) {
  const FlowDef flow = testing::mustLoad(R"(flow: lossy
source: { connection: salesforce, entity: Contact }
sink: { connection: people, entity: Customer }
map:
  LastName: lastName
  MailingCity: { to: city, transform: [{ constant: Zagreb }] }
)");
  EXPECT_FALSE(flow.mapping->invertible());
  auto r = flow.mapping->reverse(Object{{"lastName", "x"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, sdk::ErrorCode::kUnsupported);
}

TEST(FlowMapping, AFailingRecordIsRejectedWithFieldValueAndReason) {
  const FlowDef flow = testing::mustLoad(kInvertible);
  Object bad = contact(3);
  bad.set("Email", "ana3(at)example.com");
  auto r = flow.mapping->forward(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, sdk::ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message,
            "Email -> contactInformation.email (line 9): value \"ana3(at)example.com\" rejected by "
            "email: is not a valid email address");
  // The next record maps fine: a rejection is per record.
  EXPECT_TRUE(flow.mapping->forward(contact(4)).ok());
  auto rev = flow.mapping->reverse(Object{{"lastName", "x"}, {"externalId", "xx-1"}});
  ASSERT_FALSE(rev.ok());
  EXPECT_EQ(rev.error().message,
            "Ferry_External_Id__c -> externalId (line 6) (reverse): value \"xx-1\" rejected by "
            "prefix: does not start with \"sf-\"");
}

TEST(FlowMapping, IsSafeToShareAcrossThreads) {
  const FlowDef flow = testing::mustLoad(kInvertible);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const Object source = contact(t * 1000 + i);
        auto sink = flow.mapping->forward(source);
        auto back = sink.ok() ? flow.mapping->reverse(*sink) : sink;
        if (!back.ok() || !(*back == source)) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace ferry::host
