#include <gtest/gtest.h>

#include "ferry/host/flow/validator.hpp"
#include "support.hpp"

namespace ferry::host {
namespace {

using testing::loadErrors;
using testing::mustLoad;

constexpr const char* kTwoWay = R"(flow: contacts-to-customers
source: { connection: salesforce, entity: Contact }
sink: { connection: people, entity: Customer }
direction: two-way
match: [ { source: Email, sink: contactInformation.email }, MobilePhone ]
map:
  Id: { to: externalId, transform: [{ prefix: "sf-" }], reverse: false }
  FirstName: firstName
  LastName: lastName
  Email: { to: contactInformation.email, transform: [trim, lower] }
  MobilePhone: { to: contactInformation.phone, transform: [{ e164: { default_region: US } }] }
  MailingCity: city
  HasOptedOutOfEmail: customAttributes.EmailOptOut
constants: { sink: { type: CUSTOMER }, source: { LeadSource: Other } }
conflicts: newest-wins
filter:
  Birthdate: { ge: 1990-01-01 }
  LeadSource: { in: [Web, Other] }
)";

TEST(FlowValidator, CompilesATwoWayFlow) {
  const FlowDef flow = mustLoad(kTwoWay);
  EXPECT_EQ(flow.name, "contacts-to-customers");
  EXPECT_EQ(flow.source.connection, "salesforce");
  EXPECT_EQ(flow.sink.entity, "Customer");
  EXPECT_EQ(flow.mode, SyncMode::kTwoWay);
  EXPECT_EQ(flow.conflicts, ConflictPolicy::kNewestWins);
  ASSERT_EQ(flow.match.size(), 2u);
  EXPECT_EQ(flow.match[1].sourceField, "MobilePhone");
  EXPECT_EQ(flow.match[1].sinkField, "contactInformation.phone");  // taken from the map
  ASSERT_EQ(flow.filter.size(), 2u);
  EXPECT_EQ(flow.filter[0].field, "Birthdate");
  EXPECT_EQ(flow.filter[0].op, sdk::Condition::Op::kGe);
  ASSERT_EQ(flow.filter[0].values.size(), 1u);
  EXPECT_EQ(flow.filter[0].values[0], sdk::Value(sdk::Date{1990, 1, 1}));  // typed like the field
  EXPECT_EQ(flow.filter[1].values.size(), 2u);
  ASSERT_TRUE(flow.mapping);
  EXPECT_TRUE(flow.mapping->invertible());
  EXPECT_EQ(flow.mapping->sourceFields(),
            (std::vector<std::string>{"Email", "FirstName", "HasOptedOutOfEmail", "Id", "LastName",
                                      "MailingCity", "MobilePhone"}));
  EXPECT_EQ(flow.mapping->sinkFields(),
            (std::vector<std::string>{"city", "contactInformation.email",
                                      "contactInformation.phone", "customAttributes.EmailOptOut",
                                      "externalId", "firstName", "lastName", "type"}));
  EXPECT_EQ(flow.mapping->sourceFieldsFor("contactInformation.email"),
            std::vector<std::string>{"Email"});
  EXPECT_TRUE(flow.mapping->sourceFieldsFor("type").empty());
}

TEST(FlowValidator, WarningsDoNotBlock) {
  Diagnostics diags;
  const auto flow =
      loadFlow(R"(flow: w
source: { connection: salesforce, entity: Contact }
sink: { connection: people, entity: Customer }
conflicts: manual
map: { LastName: lastName }
)",
               "w.yaml", testing::fixtureConnections(), testing::fixtureSchemas(), diags);
  ASSERT_TRUE(flow.has_value()) << diags.format();
  ASSERT_EQ(diags.all().size(), 1u);
  EXPECT_EQ(diags.all()[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_EQ(diags.all()[0].format(),
            "w.yaml:4:12: warning: \"conflicts\" has no effect in a one-way flow");
}

TEST(FlowValidator, ReportsAllErrorsOfAFileTogether) {
  const Diagnostics diags = loadErrors(R"(flow: many
source: { connection: salesforce, entity: Contact }
sink: { connection: people, entity: Customer }
map:
  Emial: contactInformation.email
  HasOptedOutOfEmail: birthDate
  FirstName: firstname
  LastName: lastName
)");
  EXPECT_EQ(diags.errorCount(), 3u) << diags.format();
  EXPECT_NE(diags.format().find("test.yaml:5:3: error: unknown field \"Emial\""),
            std::string::npos);
  EXPECT_NE(diags.format().find("test.yaml:6:3: error: type mismatch"), std::string::npos);
  EXPECT_NE(diags.format().find("test.yaml:7:14: error: unknown field \"firstname\""),
            std::string::npos);
}

// A schema that lists the members of an object field (a live describe) makes undefined members
// errors; a static catalogue without members accepts any name.
TEST(FlowValidator, CustomAttributesMustBeDefinedWhenTheSchemaListsThem) {
  StaticSchemaProvider provider = testing::fixtureSchemas();
  PluginSchema people = *provider.plugin("people");
  for (auto& e : people.entities) {
    sdk::FieldSchema tier;
    tier.name = "customAttributes.Loyalty Tier";
    tier.type = sdk::FieldType::kString;
    e.fields.push_back(tier);
  }
  provider.add(people);
  const char* flow = R"(flow: attrs
source: { connection: salesforce, entity: Contact }
sink: { connection: people, entity: Customer }
map:
  LastName: lastName
  Title: customAttributes.Loyalty Teir
  Department: customAttributes.Loyalty Tier
)";
  Diagnostics diags;
  EXPECT_FALSE(loadFlow(flow, "a.yaml", testing::fixtureConnections(), provider, diags));
  EXPECT_EQ(diags.errorCount(), 1u) << diags.format();
  EXPECT_NE(diags.format().find("a.yaml:6:10: error: \"customAttributes.Loyalty Teir\" is not "
                                "defined in people Customer (did you mean "
                                "\"customAttributes.Loyalty Tier\"?)"),
            std::string::npos)
      << diags.format();
  Diagnostics staticDiags;
  EXPECT_TRUE(loadFlow(flow, "a.yaml", testing::fixtureConnections(), testing::fixtureSchemas(),
                       staticDiags))
      << staticDiags.format();
}

TEST(FlowValidator, UnknownPluginOfAConnection) {
  ConnectionSet connections = testing::fixtureConnections();
  connections.add(ConnectionDef{"crm", "salesforse", {}, "", {}});
  Diagnostics diags;
  EXPECT_FALSE(loadFlow(R"(flow: p
source: { connection: crm, entity: Contact }
sink: { connection: people, entity: Customer }
map: { LastName: lastName }
)",
                        "p.yaml", connections, testing::fixtureSchemas(), diags));
  EXPECT_NE(
      diags.format().find("p.yaml:2:23: error: connection \"crm\" uses plugin \"salesforse\", "
                          "which is not loaded (did you mean \"salesforce\"?)"),
      std::string::npos)
      << diags.format();
}

TEST(FlowValidator, DeletePropagationNeedsASinkThatDeletes) {
  StaticSchemaProvider provider = testing::fixtureSchemas();
  PluginSchema people = *provider.plugin("people");
  for (auto& e : people.entities) e.supportsDelete = false;
  provider.add(people);
  Diagnostics diags;
  EXPECT_FALSE(loadFlow(R"(flow: d
source: { connection: salesforce, entity: Contact }
sink: { connection: people, entity: Customer }
deletes: propagate
map: { LastName: lastName }
)",
                        "d.yaml", testing::fixtureConnections(), provider, diags));
  EXPECT_NE(diags.format().find("d.yaml:4:10: error: \"deletes: propagate\" needs deletes"),
            std::string::npos)
      << diags.format();
}

TEST(FlowValidator, ExplicitReverseMakesALossyEntryTwoWay) {
  const FlowDef flow = mustLoad(R"(flow: explicit
source: { connection: salesforce, entity: Lead }
sink: { connection: people, entity: Lead }
direction: two-way
map:
  LastName: lastName
  Company: customAttributes.Company
  Status:
    to: tags
    transform: [{ values: { Open - Not Contacted: Open, Working - Contacted: Open, "*": Closed } }]
    reverse: [{ values: { Open: Working - Contacted, Closed: Closed - Not Converted } }]
)");
  auto back = flow.mapping->reverse(sdk::Object{
      {"lastName", "Kovač"}, {"tags", sdk::List{"Closed"}}, {"customAttributes.Company", "Acme"}});
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back->find("Status"), sdk::Value("Closed - Not Converted"));
}

}  // namespace
}  // namespace ferry::host

namespace ferry::host {
namespace {

TEST(FlowSchemaSnapshot, ReadsDescribeOutputAndRoundTrips) {
  // The shape `ferry describe <plugin> --json` prints.
  const auto described = pluginSchemaFromJson(R"({"name": "crm", "version": "1.0.0",
    "settings": [{"name": "login_url", "type": "url", "required": true, "default": null},
                 {"name": "limits", "type": "object", "default": {}}],
    "entities": [{"name": "Lead", "idField": "Id", "readable": true, "writable": true,
      "fields": [{"name": "Status", "type": "string", "maxLength": null,
                  "picklistValues": ["Open", "Closed"]},
                 {"name": "Tags", "type": "list", "itemType": "string", "identity": false},
                 {"name": "Email", "type": "email", "identity": true, "maxLength": 80}]}]})");
  ASSERT_TRUE(described.ok()) << described.error().message;
  EXPECT_EQ(described->name, "crm");
  ASSERT_EQ(described->settings.size(), 2u);
  EXPECT_EQ(described->settings[1].type, sdk::SettingType::kObject);
  const sdk::EntitySchema* lead = described->entity("Lead");
  ASSERT_NE(lead, nullptr);
  EXPECT_EQ(lead->fields[0].picklistValues, (std::vector<std::string>{"Open", "Closed"}));
  EXPECT_FALSE(lead->fields[0].maxLength.has_value());
  EXPECT_EQ(lead->fields[2].maxLength, 80);
  EXPECT_TRUE(lead->fields[2].identity);

  const auto again = pluginSchemaFromJson(pluginSchemaToJson(*described));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(pluginSchemaToJson(*again), pluginSchemaToJson(*described));

  const auto bad = pluginSchemaFromJson(R"({"plugin": "x", "entities": [{"name": "A",
    "fields": [{"name": "f", "type": "blob"}]}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "schema snapshot: A.f: unknown type");
}

}  // namespace
}  // namespace ferry::host
