#include "ferry/host/secrets/master_key.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "base64.hpp"

namespace ferry::host {
namespace {

using sdk::Error;
using sdk::ErrorCode;

std::string trimmed(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

void wipe(std::string& s) {
  OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace

std::string masterKeyHowTo() {
  return "create one with `openssl rand -base64 32 > master.key && chmod 600 master.key` and "
         "point master_key_file at it, or export FERRY_MASTER_KEY=\"$(openssl rand -base64 32)\"";
}

MasterKey::~MasterKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

sdk::Result<MasterKey> MasterKey::fromBase64(std::string_view text) {
  std::string clean = trimmed(text);
  auto decoded = detail::base64Decode(clean);
  wipe(clean);
  if (!decoded) {
    return Error::make(ErrorCode::kInvalidArgument,
                       "master key is not valid base64; " + masterKeyHowTo());
  }
  if (decoded->size() != kSize) {
    const auto got = decoded->size();
    wipe(*decoded);
    return Error::make(
        ErrorCode::kInvalidArgument,
        fmt::format("master key must be {} bytes, got {}; {}", kSize, got, masterKeyHowTo()));
  }
  Bytes bytes{};
  std::memcpy(bytes.data(), decoded->data(), kSize);
  wipe(*decoded);
  MasterKey key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

MasterKey MasterKey::generate() {
  Bytes bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // Without entropy there is no safe key; this is not recoverable.
    std::abort();
  }
  MasterKey key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

std::string MasterKey::toBase64() const {
  return detail::base64Encode(
      std::string_view(reinterpret_cast<const char*>(bytes_.data()), kSize));
}

std::string MasterKey::fingerprint() const {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(bytes_.data(), bytes_.size(), digest);
  return fmt::format("{:02x}{:02x}{:02x}{:02x}", digest[0], digest[1], digest[2], digest[3]);
}

sdk::Result<MasterKey> readMasterKeyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return Error::make(ErrorCode::kInvalidArgument,
                       fmt::format("cannot open master key file '{}': {}; {}", path,
                                   std::strerror(errno), masterKeyHowTo()));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error::make(ErrorCode::kInvalidArgument,
                       "master key file '" + path + "' is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Error::make(
        ErrorCode::kPermissionDenied,
        fmt::format("master key file '{}' is accessible by group or others (mode {:04o}); "
                    "run `chmod 600 {}`",
                    path, st.st_mode & 07777, path));
  }
  std::string content;
  char buf[256];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    content.append(buf, static_cast<std::size_t>(n));
    if (content.size() > 4096) break;  // a key file is 45 bytes; do not slurp a wrong path
  }
  OPENSSL_cleanse(buf, sizeof buf);
  ::close(fd);
  auto key = MasterKey::fromBase64(content);
  wipe(content);
  if (!key.ok()) {
    auto err = key.takeError();
    err.message = "master key file '" + path + "': " + err.message;
    return err;
  }
  return key;
}

sdk::Result<MasterKey> loadMasterKey(const MasterKeySource& source) {
  if (!source.envVar.empty()) {
    if (const char* value = std::getenv(source.envVar.c_str());
        value != nullptr && *value != '\0') {
      auto key = MasterKey::fromBase64(value);
      if (!key.ok()) {
        auto err = key.takeError();
        err.message = source.envVar + ": " + err.message;
        return err;
      }
      return key;
    }
  }
  if (!source.file.empty()) return readMasterKeyFile(source.file);
  return Error::make(
      ErrorCode::kInvalidArgument,
      "no master key: secrets are only stored encrypted. Set " +
          (source.envVar.empty() ? std::string("a key file") : source.envVar + " or a key file") +
          "; " + masterKeyHowTo());
}

sdk::Result<MasterKey> createMasterKeyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Error::make(
        ErrorCode::kInvalidArgument,
        fmt::format("cannot create master key file '{}': {}", path, std::strerror(errno)));
  }
  // The umask may have cleared bits but cannot have added any; enforce 0600 regardless.
  ::fchmod(fd, 0600);
  MasterKey key = MasterKey::generate();
  std::string text = key.toBase64() + "\n";
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  const bool complete = written == text.size();
  wipe(text);
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!complete || !synced) {
    ::unlink(path.c_str());
    return Error::make(ErrorCode::kUnavailable, "cannot write master key file '" + path + "'");
  }
  return key;
}

}  // namespace ferry::host
