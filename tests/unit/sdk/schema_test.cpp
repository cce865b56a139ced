#include <gtest/gtest.h>

#include "ferry/sdk/http.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/schema.hpp"

namespace ferry::sdk {
namespace {

TEST(SchemaTest, FieldTypeNamesRoundTrip) {
  for (auto t : {FieldType::kString, FieldType::kNumber, FieldType::kInteger, FieldType::kBoolean,
                 FieldType::kDate, FieldType::kDateTime, FieldType::kEmail, FieldType::kPhone,
                 FieldType::kReference, FieldType::kList, FieldType::kObject}) {
    EXPECT_EQ(fieldTypeFromString(toString(t)), t) << toString(t);
  }
  EXPECT_EQ(fieldTypeFromString("DateTime"), FieldType::kDateTime);
  EXPECT_FALSE(fieldTypeFromString("int"));
  EXPECT_FALSE(fieldTypeFromString(""));
}

TEST(SchemaTest, ValueKindOfMapsStringLikeTypesToString) {
  EXPECT_EQ(valueKindOf(FieldType::kEmail), ValueKind::kString);
  EXPECT_EQ(valueKindOf(FieldType::kReference), ValueKind::kString);
  EXPECT_EQ(valueKindOf(FieldType::kNumber), ValueKind::kDecimal);
  EXPECT_EQ(valueKindOf(FieldType::kInteger), ValueKind::kInteger);
  EXPECT_EQ(valueKindOf(FieldType::kDate), ValueKind::kDate);
}

TEST(SchemaTest, EntityFieldLookup) {
  EntitySchema e;
  FieldSchema email;
  email.name = "Email";
  email.type = FieldType::kEmail;
  FieldSchema lastName;
  lastName.name = "LastName";
  e.fields = {email, lastName};
  ASSERT_NE(e.field("Email"), nullptr);
  EXPECT_EQ(e.field("Email")->type, FieldType::kEmail);
  EXPECT_EQ(e.field("email"), nullptr);
  EXPECT_EQ(e.field("Phone"), nullptr);
}

TEST(SchemaTest, SettingTypeNames) {
  EXPECT_STREQ(toString(SettingType::kSecretRef), "secret_ref");
  EXPECT_STREQ(toString(SettingType::kDuration), "duration");
  EXPECT_STREQ(toString(SettingType::kObject), "object");
}

TEST(ErrorTest, DescribeNamesCodeMessageAndRemoteCode) {
  EXPECT_EQ(Error::make(ErrorCode::kUnavailable, "connect timed out", true).describe(),
            "unavailable: connect timed out");
  EXPECT_EQ(Error::make(ErrorCode::kUnauthenticated, "session expired", false, "INVALID_SESSION_ID")
                .describe(),
            "unauthenticated: session expired (remote: INVALID_SESSION_ID)");
}

TEST(ErrorTest, GuardTurnsExceptionsIntoErrors) {
  const Result<int> r = guard("factory", []() -> Result<int> { throw std::runtime_error("boom"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_EQ(r.error().message, "factory threw: boom");
  const Status s = guard("start", []() -> Status { throw 42; });
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("non-standard"), std::string::npos);
}

TEST(HttpTest, FindHeaderIsCaseInsensitive) {
  const Headers h{{"Content-Type", "application/json"}, {"Retry-After", "3"}};
  ASSERT_NE(findHeader(h, "retry-after"), nullptr);
  EXPECT_EQ(*findHeader(h, "RETRY-AFTER"), "3");
  EXPECT_EQ(findHeader(h, "Retry"), nullptr);
  HttpResponse resp;
  resp.headers = h;
  ASSERT_NE(resp.header("content-type"), nullptr);
}

}  // namespace
}  // namespace ferry::sdk
