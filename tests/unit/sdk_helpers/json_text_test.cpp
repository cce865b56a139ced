#include <gtest/gtest.h>

#include "ferry/sdk/json_text.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::sdk {
namespace {

TEST(JsonText, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(jsonQuote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(jsonQuote("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(jsonQuote(std::string("\x01\x1f\0", 3)), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(jsonQuote("/ ~ \x7f"), "\"/ ~ \x7f\"");  // nothing else is escaped
  EXPECT_EQ(jsonQuote(""), "\"\"");
  std::string out = "key=";
  appendJsonEscaped(out, "say \"hi\"");
  EXPECT_EQ(out, R"(key=say \"hi\")");
}

TEST(JsonText, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(jsonQuote("M\xC3\xBCller \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"M\xC3\xBCller \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  EXPECT_EQ(jsonQuote("a\xFF"
                      "b"),
            "\"a\xEF\xBF\xBD"
            "b\"");
  EXPECT_EQ(jsonQuote("\xC3"), "\"\xEF\xBF\xBD\"");                  // truncated sequence
  EXPECT_EQ(jsonQuote("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong '/'
  EXPECT_EQ(jsonQuote("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  EXPECT_EQ(jsonQuote("\xF4\x90\x80\x80"),
            "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // above U+10FFFF
}

TEST(JsonText, TellsValidUtf8FromInvalid) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain M\xC3\xBCller \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(isValidUtf8("a\xFF"));
  EXPECT_FALSE(isValidUtf8("\xC3"));          // truncated
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(isValidUtf8("\xE0\x80\xAF"));  // overlong, three bytes
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));
}

TEST(JsonText, ValueToJsonQuotesTheSameWay) {
  // Value::toJson uses these functions: its strings and keys are always valid JSON text.
  EXPECT_EQ(Value("a\"\b\xFF").toJson(), jsonQuote("a\"\b\xFF"));
  EXPECT_EQ(Value(Object{{"k\n", 1}}).toJson(), "{" + jsonQuote("k\n") + ":1}");
  EXPECT_TRUE(Value::fromJson(Value("bad \xC3(").toJson()));
}

}  // namespace
}  // namespace ferry::sdk
