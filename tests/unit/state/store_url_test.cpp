// openStateStore(): URL handling and failures that do not depend on a running database.
#include <filesystem>

#include <gtest/gtest.h>

#include "ferry/host/state/store.hpp"
#include "ferry/testing/temp_sqlite.hpp"

namespace ferry::host {
namespace {

using sdk::ErrorCode;

TEST(OpenStateStore, CreatesTheSqliteFileAndItsParentDirectories) {
  testing::TempSqliteFile temp;
  const auto nested = temp.path().parent_path() / "a" / "b" / "state.db";
  for (const std::string& url : {"sqlite://" + nested.string(), nested.string()}) {
    auto store = openStateStore(url);
    ASSERT_TRUE(store) << store.error().describe();
    EXPECT_EQ((*store)->backend(), "sqlite");
    EXPECT_EQ((*store)->schemaVersion(), 1);
  }
  EXPECT_TRUE(std::filesystem::exists(nested));
}

TEST(OpenStateStore, RejectsUnusableUrlsPrecisely) {
  struct Case {
    std::string url;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"mysql://u@h/db", "unknown scheme"},
      {"sqlite://", "missing file path"},
      {"sqlite://:memory:", "in-memory"},
      {"postgresql://u:pw@/db", "missing host"},
      {"postgresql://u:pw@h:54x/db", "port is not a number"},
      {"postgresql://u:pw@h:5432", "missing database name"},
      {"postgresql://u:pw@h:5432/db?sslmode", "without a value"},
      {"postgresql://u:pw@h/db?Bad-Key=1", "bad connection parameter name"},
      {"postgresql://u:pa%2@h/db", "percent-encoding"},
      {"postgresql://u:pa%20ss@h/db", "whitespace"},
  };
  for (const auto& c : cases) {
    auto store = openStateStore(c.url);
    ASSERT_FALSE(store) << c.url;
    EXPECT_EQ(store.error().code, ErrorCode::kInvalidArgument) << c.url;
    EXPECT_NE(store.error().message.find(c.mentions), std::string::npos)
        << c.url << ": " << store.error().message;
  }
}

TEST(OpenStateStore, AnUnreachableServerIsRetriableAndNeverShowsThePassword) {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  auto store = openStateStore("postgresql://ferry:S3cr%21t-pw@127.0.0.1:1/ferry?connect_timeout=2");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable) << store.error().describe();
  EXPECT_TRUE(store.error().retriable);
  EXPECT_EQ(store.error().message.find("S3cr"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("ferry:***@127.0.0.1:1/ferry"), std::string::npos)
      << store.error().message;
}

}  // namespace
}  // namespace ferry::host
