#include "ferry/testing/temp_sqlite.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace ferry::testing {

TempSqliteFile::TempSqliteFile() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ferry-sqlite-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error(std::string("cannot create a temporary directory: ") +
                             std::strerror(errno));
  }
  dir_ = pattern;
  path_ = dir_ / "ferry.db";
}

TempSqliteFile::~TempSqliteFile() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace ferry::testing
