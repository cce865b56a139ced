#include "ferry/host/secrets/cipher.hpp"

#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <gtest/gtest.h>

namespace ferry::host {
namespace {

std::string fromB64(const std::string& s) {
  std::istringstream in(s);
  Poco::Base64Decoder dec(in);
  return std::string(std::istreambuf_iterator<char>(dec), {});
}

std::string toB64(const std::string& s) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << s;
  enc.close();
  return out.str();
}

TEST(SecretCipher, RoundTripsAndUsesAFreshNonceEachTime) {
  SecretCipher cipher(MasterKey::generate());
  const std::string secret = "refresh-token-\x01\xff-with-bytes";
  const auto a = cipher.seal(secret, "scope\nkey");
  const auto b = cipher.seal(secret, "scope\nkey");
  EXPECT_NE(a, b);
  EXPECT_TRUE(SecretCipher::looksSealed(a));
  EXPECT_EQ(a.find("refresh-token"), std::string::npos);
  ASSERT_TRUE(cipher.open(a, "scope\nkey").ok());
  EXPECT_EQ(cipher.open(a, "scope\nkey").value(), secret);
  EXPECT_EQ(cipher.open(b, "scope\nkey").value(), secret);
  EXPECT_EQ(cipher.open(cipher.seal("", "x"), "x").value(), "");
}

TEST(SecretCipher, WrongKeyFailsCleanly) {
  SecretCipher writer(MasterKey::generate());
  SecretCipher reader(MasterKey::generate());
  const auto sealed = writer.seal("client-secret-value", "aad");
  const auto opened = reader.open(sealed, "aad");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, sdk::ErrorCode::kPermissionDenied);
  EXPECT_EQ(opened.error().message.find("client-secret-value"), std::string::npos);
}

TEST(SecretCipher, EveryTamperedByteIsDetected) {
  SecretCipher cipher(MasterKey::generate());
  const auto sealed = cipher.seal("api-key-123456", "aad");
  const auto raw = fromB64(sealed.substr(3));
  ASSERT_EQ(raw.size(), 12u + 14u + 16u);
  for (std::size_t i = 0; i < raw.size(); ++i) {  // nonce, ciphertext and tag alike
    auto copy = raw;
    copy[i] = static_cast<char>(copy[i] ^ 0x01);
    const auto opened = cipher.open("v1:" + toB64(copy), "aad");
    ASSERT_FALSE(opened.ok()) << "flipped byte " << i;
    EXPECT_EQ(opened.error().code, sdk::ErrorCode::kPermissionDenied);
  }
}

TEST(SecretCipher, AssociatedDataBindsTheValueToItsPlace) {
  SecretCipher cipher(MasterKey::generate());
  const auto sealed = cipher.seal("token", "secrets/tokens/a\naccess_token");
  EXPECT_FALSE(cipher.open(sealed, "secrets/tokens/b\naccess_token").ok());
  EXPECT_FALSE(cipher.open(sealed, "secrets/tokens/a\nrefresh_token").ok());
  EXPECT_TRUE(cipher.open(sealed, "secrets/tokens/a\naccess_token").ok());
}

TEST(SecretCipher, MalformedEnvelopesAreInvalidArguments) {
  SecretCipher cipher(MasterKey::generate());
  for (const char* bad : {"plaintext", "v2:AAAA", "v1:", "v1:not base64!", "v1:AAAA"}) {
    const auto opened = cipher.open(bad, "aad");
    ASSERT_FALSE(opened.ok()) << bad;
    EXPECT_EQ(opened.error().code, sdk::ErrorCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace ferry::host
