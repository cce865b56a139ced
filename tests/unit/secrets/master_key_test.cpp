#include "ferry/host/secrets/master_key.hpp"

#include <sys/stat.h>
#include <cstdlib>
#include <fstream>

#include <Poco/TemporaryFile.h>
#include <gtest/gtest.h>

namespace ferry::host {
namespace {

// 32 bytes 0x00..0x1f
const std::string kKeyB64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

void writeFile(const std::string& path, const std::string& content, mode_t mode) {
  std::ofstream(path) << content;
  ::chmod(path.c_str(), mode);
}

TEST(MasterKey, ParsesBase64OfThirtyTwoBytes) {
  const auto key = MasterKey::fromBase64("  " + kKeyB64 + "\n");
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->bytes()[0], 0);
  EXPECT_EQ(key->bytes()[31], 31);
  EXPECT_EQ(key->toBase64(), kKeyB64);
  EXPECT_EQ(key->fingerprint().size(), 8u);
}

TEST(MasterKey, RejectsWrongLengthAndGarbageWithoutEchoingIt) {
  const auto shortKey = MasterKey::fromBase64("c2hvcnQta2V5LW1hdGVyaWFs");  // 18 bytes
  ASSERT_FALSE(shortKey.ok());
  EXPECT_NE(shortKey.error().message.find("got 18"), std::string::npos);
  EXPECT_EQ(shortKey.error().message.find("c2hvcnQta2V5"), std::string::npos);
  const auto garbage = MasterKey::fromBase64("this is no key at all!!!");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().message.find("no key at all"), std::string::npos);
  EXPECT_NE(garbage.error().message.find("openssl rand -base64 32"), std::string::npos);
}

TEST(MasterKey, GeneratedKeysDiffer) {
  EXPECT_NE(MasterKey::generate().toBase64(), MasterKey::generate().toBase64());
}

TEST(MasterKey, EnvironmentVariableWinsOverFile) {
  ::setenv("FERRY_TEST_MASTER_KEY", kKeyB64.c_str(), 1);
  const auto key = loadMasterKey({"FERRY_TEST_MASTER_KEY", "/nonexistent/key"});
  ::unsetenv("FERRY_TEST_MASTER_KEY");
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->toBase64(), kKeyB64);
}

TEST(MasterKey, BadEnvironmentValueNamesTheVariable) {
  ::setenv("FERRY_TEST_MASTER_KEY", "bogus", 1);
  const auto key = loadMasterKey({"FERRY_TEST_MASTER_KEY", ""});
  ::unsetenv("FERRY_TEST_MASTER_KEY");
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.error().message.find("FERRY_TEST_MASTER_KEY"), std::string::npos);
}

TEST(MasterKey, NoSourceExplainsHowToCreateOne) {
  const auto key = loadMasterKey({"FERRY_TEST_UNSET_VARIABLE", ""});
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.error().message.find("no master key"), std::string::npos);
  EXPECT_NE(key.error().message.find("openssl rand -base64 32"), std::string::npos);
}

TEST(MasterKey, KeyFileMustBePrivate) {
  Poco::TemporaryFile file;
  writeFile(file.path(), kKeyB64 + "\n", 0644);
  const auto loose = readMasterKeyFile(file.path());
  ASSERT_FALSE(loose.ok());
  EXPECT_EQ(loose.error().code, sdk::ErrorCode::kPermissionDenied);
  EXPECT_NE(loose.error().message.find("chmod 600"), std::string::npos);
  EXPECT_NE(loose.error().message.find("0644"), std::string::npos);
  ::chmod(file.path().c_str(), 0600);
  const auto key = loadMasterKey({"", file.path()});
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->toBase64(), kKeyB64);
}

TEST(MasterKey, MissingOrInvalidKeyFileIsAClearError) {
  const auto missing = readMasterKeyFile("/nonexistent/ferry.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/ferry.key"), std::string::npos);
  Poco::TemporaryFile file;
  writeFile(file.path(), "c2hvcnQ=\n", 0600);
  const auto invalid = readMasterKeyFile(file.path());
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.error().message.find(file.path()), std::string::npos);
}

TEST(MasterKey, CreatesPrivateKeyFilesAndNeverOverwrites) {
  Poco::TemporaryFile file;  // path only; created below
  const auto created = createMasterKeyFile(file.path());
  ASSERT_TRUE(created.ok()) << created.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(file.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto reread = readMasterKeyFile(file.path());
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(reread->toBase64(), created->toBase64());
  const auto again = createMasterKeyFile(file.path());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(readMasterKeyFile(file.path())->toBase64(), created->toBase64());
}

}  // namespace
}  // namespace ferry::host
