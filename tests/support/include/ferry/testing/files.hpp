// Files for tests: a private temporary directory removed with everything in it, whole-file reads
// and line counts. Header-only, so header-only fixtures can use it too.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace ferry::testing {

// The whole file; empty when it cannot be read (tests print it on failure, so it must not throw).
inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Lines in the file (a last line without a newline counts); 0 when it cannot be read.
inline std::size_t countLines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// A fresh directory under the system's temporary directory (mode 0700, as mkdtemp makes it),
// removed with its contents when the object goes away.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "ferry-test") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a temporary directory " + pattern + ": " +
                               std::strerror(errno));
    }
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `text` to `name` (a relative path; missing folders are made).
  void write(const std::string& name, const std::string& text, bool append = false) const {
    std::filesystem::create_directories((path_ / name).parent_path());
    std::ofstream out(path_ / name, append ? std::ios::app : std::ios::trunc);
    out << text;
  }
  // Writes `text` to `name` readable by its owner only (mode 0600), as ferry wants a token file.
  void writePrivate(const std::string& name, const std::string& text) const {
    write(name, text);
    std::filesystem::permissions(
        path_ / name, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

 private:
  std::filesystem::path path_;
};

}  // namespace ferry::testing
