// Describe parsing, EntitySchema mapping, cache round trip, static catalogue, value conversion.
#include <gtest/gtest.h>

#include "ferry/plugins/salesforce/catalogue.hpp"
#include "ferry/plugins/salesforce/describe.hpp"
#include "test_data.hpp"

namespace ferry::plugins::salesforce {
namespace {

using sdk::FieldType;

TEST(Describe, ParsesAndMapsToEntitySchema) {
  auto d = parseDescribe(testing::readData("describe_contact.json"));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->name, "Contact");
  EXPECT_EQ(d->keyPrefix, "003");
  const auto schema = toEntitySchema(*d);
  EXPECT_TRUE(schema.readable);
  EXPECT_TRUE(schema.supportsDelete);
  const auto* last = schema.field("LastName");
  ASSERT_NE(last, nullptr);
  EXPECT_TRUE(last->requiredOnCreate);
  EXPECT_EQ(last->maxLength, 80);
  const auto* email = schema.field("Email");
  EXPECT_EQ(email->type, FieldType::kEmail);
  EXPECT_TRUE(email->identity);
  EXPECT_FALSE(email->requiredOnCreate);
  EXPECT_TRUE(schema.field("MobilePhone")->identity);
  // Not nillable but defaulted on create: not required.
  EXPECT_FALSE(schema.field("HasOptedOutOfEmail")->requiredOnCreate);
  EXPECT_EQ(schema.field("HasOptedOutOfEmail")->type, FieldType::kBoolean);
  // Not nillable but not createable (system field): not required.
  EXPECT_FALSE(schema.field("SystemModstamp")->requiredOnCreate);
  EXPECT_FALSE(schema.field("SystemModstamp")->createable);
  EXPECT_EQ(schema.field("SystemModstamp")->type, FieldType::kDateTime);
  const auto* ext = schema.field("Ferry_External_Id__c");
  EXPECT_TRUE(ext->externalId);
  EXPECT_TRUE(ext->identity);
  EXPECT_EQ(schema.field("LeadSource")->picklistValues, std::vector<std::string>{"Web"});
  EXPECT_EQ(schema.field("AccountId")->type, FieldType::kReference);
  EXPECT_EQ(schema.field("Interests__c")->type, FieldType::kList);
  EXPECT_EQ(schema.field("MailingAddress")->type, FieldType::kObject);
  EXPECT_EQ(schema.field("NumberOfEmployees__c")->type, FieldType::kInteger);
  EXPECT_EQ(schema.field("Score__c")->type, FieldType::kNumber);
  EXPECT_EQ(d->relationship("account")->name, "AccountId");
}

TEST(Describe, CompactRoundTrip) {
  auto d = parseDescribe(testing::readData("describe_contact.json"));
  ASSERT_TRUE(d);
  const auto json = sdk::Value::fromJson(toCompactJson(*d));
  ASSERT_TRUE(json);
  auto back = fromCompactJson(*json);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->fields.size(), d->fields.size());
  EXPECT_EQ(toEntitySchema(*back).fields.size(), toEntitySchema(*d).fields.size());
  EXPECT_EQ(back->field("LeadSource")->picklistValues, d->field("LeadSource")->picklistValues);
  EXPECT_FALSE(back->field("Description")->filterable);
  EXPECT_EQ(back->field("AccountId")->referenceTo, std::vector<std::string>{"Account"});
}

TEST(Describe, MalformedDescribeIsAnError) {
  EXPECT_FALSE(parseDescribe("{\"name\":\"Contact\"}"));
  EXPECT_FALSE(parseDescribe("[]"));
  EXPECT_FALSE(parseDescribe("{\"name\":\"Contact\",\"fields\":[{\"label\":\"x\"}]}"));
  EXPECT_FALSE(parseDescribe("{\"name\":\"Contact\",\"fields\":["));
}

TEST(Catalogue, StaticEntitiesHaveRequiredFields) {
  const auto entities = staticEntitySchemas();
  ASSERT_EQ(entities.size(), 3u);
  const auto find = [&](const char* name) {
    for (const auto& e : entities) {
      if (e.name == name) return &e;
    }
    return static_cast<const sdk::EntitySchema*>(nullptr);
  };
  const auto* lead = find("Lead");
  ASSERT_NE(lead, nullptr);
  EXPECT_TRUE(lead->field("LastName")->requiredOnCreate);
  EXPECT_TRUE(lead->field("Company")->requiredOnCreate);
  EXPECT_FALSE(lead->field("Status")->requiredOnCreate);  // defaulted
  EXPECT_FALSE(lead->field("IsConverted")->createable);
  EXPECT_EQ(lead->field("ConvertedContactId")->type, FieldType::kReference);
  const auto* contact = find("Contact");
  EXPECT_TRUE(contact->field("LastName")->requiredOnCreate);
  EXPECT_TRUE(contact->field("Email")->identity);
  EXPECT_TRUE(contact->field("MobilePhone")->identity);
  EXPECT_TRUE(contact->field("Ferry_External_Id__c")->externalId);
  EXPECT_EQ(contact->field("MailingCity")->maxLength, 40);
  const auto* account = find("Account");
  EXPECT_TRUE(account->field("Name")->requiredOnCreate);
  EXPECT_FALSE(account->field("BillingAddress")->createable);
}

TEST(Values, FromApi) {
  EXPECT_EQ(fromApiValue(sdk::Value("2024-03-05T14:07:09.000+0000"), "datetime"),
            sdk::Value(sdk::DateTime{1709647629000}));
  EXPECT_EQ(fromApiValue(sdk::Value("2024-03-05"), "date"), sdk::Value(sdk::Date{2024, 3, 5}));
  EXPECT_EQ(fromApiValue(sdk::Value("Golf;Chess"), "multipicklist"),
            sdk::Value(sdk::List{sdk::Value("Golf"), sdk::Value("Chess")}));
  EXPECT_TRUE(fromApiValue(sdk::Value(3.0), "int").isInteger());
  EXPECT_TRUE(fromApiValue(sdk::Value(3), "currency").isDecimal());
  EXPECT_EQ(fromApiValue(sdk::Value("not a date"), "datetime"), sdk::Value("not a date"));
}

TEST(Values, FromCsv) {
  EXPECT_TRUE(fromCsvValue("", "string").isNull());
  EXPECT_EQ(fromCsvValue("true", "boolean"), sdk::Value(true));
  EXPECT_EQ(fromCsvValue("42", "int"), sdk::Value(42));
  EXPECT_EQ(fromCsvValue("4.5", "double"), sdk::Value(4.5));
  EXPECT_EQ(fromCsvValue("2024-03-05T14:07:09.000Z", "datetime"),
            sdk::Value(sdk::DateTime{1709647629000}));
  EXPECT_EQ(fromCsvValue("abc", "int"), sdk::Value("abc"));
}

TEST(Values, ToApi) {
  EXPECT_EQ(*toApiValue(sdk::Value(sdk::Date{2024, 3, 5}), "date"), sdk::Value("2024-03-05"));
  EXPECT_EQ(*toApiValue(sdk::Value(sdk::DateTime{1709647629000}), "datetime"),
            sdk::Value("2024-03-05T14:07:09.000Z"));
  EXPECT_EQ(*toApiValue(sdk::Value(sdk::DateTime{1709647629000}), "date"),
            sdk::Value("2024-03-05"));
  EXPECT_EQ(
      *toApiValue(sdk::Value(sdk::List{sdk::Value("Golf"), sdk::Value("Chess")}), "multipicklist"),
      sdk::Value("Golf;Chess"));
  EXPECT_EQ(*toApiValue(sdk::Value(385911), "phone"), sdk::Value("385911"));
  EXPECT_FALSE(toApiValue(sdk::Value(sdk::Object{{"a", 1}}), "string"));
  EXPECT_FALSE(toApiValue(sdk::Value(sdk::List{sdk::Value("a;b")}), "multipicklist"));
  EXPECT_FALSE(toApiValue(sdk::Value(sdk::List{}), "string"));
}

}  // namespace
}  // namespace ferry::plugins::salesforce
