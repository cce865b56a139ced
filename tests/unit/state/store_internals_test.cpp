// The pure helpers behind the store: URL to connection parameters, placeholder numbering and
// DDL type substitution.
#include <gtest/gtest.h>

#include "dialect.hpp"
#include "store_url.hpp"

namespace ferry::host::state {
namespace {

TEST(ParseStoreUrl, SqliteForms) {
  EXPECT_EQ(parseStoreUrl("sqlite:///var/lib/ferry/state.db")->sqlitePath,
            "/var/lib/ferry/state.db");
  EXPECT_EQ(parseStoreUrl("sqlite://state/ferry.db")->sqlitePath, "state/ferry.db");
  EXPECT_EQ(parseStoreUrl("sqlite:ferry.db")->sqlitePath, "ferry.db");
  EXPECT_EQ(parseStoreUrl("/tmp/x.db")->sqlitePath, "/tmp/x.db");
  EXPECT_EQ(parseStoreUrl("/tmp/x.db")->backend, StoreLocation::Backend::kSqlite);
}

TEST(ParseStoreUrl, PostgresUrlBecomesEscapedConnectionParameters) {
  auto loc =
      parseStoreUrl("postgresql://fe%40rry:it's%5Cme@db.example:6432/ferry_prod?sslmode=require");
  ASSERT_TRUE(loc) << loc.error().describe();
  EXPECT_EQ(loc->backend, StoreLocation::Backend::kPostgres);
  EXPECT_EQ(loc->connInfo,
            "user=fe@rry password=it\\'s\\\\me host=db.example port=6432 dbname=ferry_prod "
            "sslmode=require connect_timeout=10");
  EXPECT_EQ(loc->password, "it's\\me");
  EXPECT_EQ(loc->display, "postgresql://fe%40rry:***@db.example:6432/ferry_prod?...");
}

TEST(ParseStoreUrl, PostgresWithoutPasswordOrPortAndWithIpv6Host) {
  auto plain = parseStoreUrl("postgres://ferry@localhost/ferry");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->connInfo, "user=ferry host=localhost dbname=ferry connect_timeout=10");
  EXPECT_EQ(plain->display, "postgres://ferry@localhost/ferry");
  auto v6 = parseStoreUrl("postgresql://u:p@[::1]:5433/db");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->connInfo, "user=u password=p host=::1 port=5433 dbname=db connect_timeout=10");
  auto noUser = parseStoreUrl("postgresql://db.internal:5432/ferry");
  ASSERT_TRUE(noUser);
  EXPECT_EQ(noUser->connInfo, "host=db.internal port=5432 dbname=ferry connect_timeout=10");
  auto ownTimeout = parseStoreUrl("postgresql://h/db?connect_timeout=3");
  ASSERT_TRUE(ownTimeout);
  EXPECT_EQ(ownTimeout->connInfo, "host=h dbname=db connect_timeout=3");
}

TEST(ParseStoreUrl, ErrorsNeverContainThePassword) {
  for (const char* url :
       {"postgresql://u:hunter2@h:12x/db", "postgresql://u:hunter2@h/",
        "postgresql://u:hunter2@h/db?password=hunter2", "postgresql://u:hun/ter2@h:x/db",
        "postgresql://u:hunter2?x@h:1x/db", "postgresql://u:hunter2@@h:1x/db"}) {
    auto loc = parseStoreUrl(url);
    ASSERT_FALSE(loc) << url;
    EXPECT_EQ(loc.error().message.find("hunter"), std::string::npos) << loc.error().message;
  }
}

TEST(NumberPlaceholders, NumbersQuestionMarksOutsideQuotedText) {
  EXPECT_EQ(numberPlaceholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?)"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)");
  EXPECT_EQ(numberPlaceholders("UPDATE t SET s = 'why?', n = ? WHERE \"odd?col\" = ?"),
            "UPDATE t SET s = 'why?', n = $1 WHERE \"odd?col\" = $2");
  EXPECT_EQ(numberPlaceholders("SELECT 1"), "SELECT 1");
}

TEST(SubstituteTypes, ReplacesOnlyTheKnownTokens) {
  EXPECT_EQ(
      substituteTypes("CREATE TABLE t (id {identity}, k {key}, v {blob}, j TEXT DEFAULT '{}')",
                      "ID", "KEY", "BLOB"),
      "CREATE TABLE t (id ID, k KEY, v BLOB, j TEXT DEFAULT '{}')");
}

}  // namespace
}  // namespace ferry::host::state
