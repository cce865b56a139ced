// A temporary SQLite database file for tests: a fresh directory holding `ferry.db`, removed
// (with the WAL and shared-memory files next to it) when the object goes away.
#pragma once

#include <filesystem>
#include <string>

namespace ferry::testing {

class TempSqliteFile {
 public:
  TempSqliteFile();  // throws std::runtime_error when no temporary directory can be made
  TempSqliteFile(const TempSqliteFile&) = delete;
  TempSqliteFile& operator=(const TempSqliteFile&) = delete;
  ~TempSqliteFile();

  const std::filesystem::path& path() const { return path_; }
  // "sqlite://" + path(), as openStateStore() accepts it.
  std::string url() const { return "sqlite://" + path_.string(); }

 private:
  std::filesystem::path dir_;
  std::filesystem::path path_;
};

}  // namespace ferry::testing
