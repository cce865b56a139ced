#include "ferry/host/common/redaction.hpp"

#include <sstream>

#include <gtest/gtest.h>

namespace ferry::host {
namespace {

TEST(Redactor, MasksEveryOccurrenceOfRegisteredValues) {
  Redactor r;
  EXPECT_TRUE(r.add("s3cr3t-token"));
  EXPECT_EQ(r.redact("a=s3cr3t-token b=s3cr3t-token."), "a=*** b=***.");
  EXPECT_EQ(r.redact("nothing here"), "nothing here");
}

TEST(Redactor, RefusesShortValues) {
  Redactor r;
  EXPECT_FALSE(r.add("abc"));
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.redact("abc abc"), "abc abc");
  EXPECT_TRUE(r.add("abcd"));
  EXPECT_EQ(r.redact("xabcdx"), "x***x");
}

TEST(Redactor, LongerSecretMaskedWholeEvenWhenItContainsAShorterOne) {
  Redactor r;
  ASSERT_TRUE(r.add("pass"));
  ASSERT_TRUE(r.add("password123"));
  EXPECT_EQ(r.redact("password123 pass"), "*** ***");
}

TEST(Redactor, CatchesJsonAndFormEncodedForms) {
  Redactor r;
  ASSERT_TRUE(r.add("a\"b c&d/e"));
  EXPECT_EQ(r.redact(R"({"v":"a\"b c&d/e"})"), R"({"v":"***"})");
  EXPECT_EQ(r.redact("client_secret=a%22b+c%26d%2Fe&x=1"), "client_secret=***&x=1");
}

TEST(Secret, NeverFormatsItsValue) {
  const Secret s("hunter2-password");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "***");
  EXPECT_EQ(fmt::format("token={}", s), "token=***");
  EXPECT_EQ(s.reveal(), "hunter2-password");
}

TEST(Secret, MovedFromIsEmpty) {
  Secret a("value-1234");
  Secret b(std::move(a));
  EXPECT_EQ(b.reveal(), "value-1234");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented state
  Secret c;
  c = b;
  EXPECT_EQ(c, b);
}

}  // namespace
}  // namespace ferry::host
