// The master key that encrypts every secret at rest: 32 random bytes, given to ferry as base64
// in the FERRY_MASTER_KEY environment variable or in a key file only its owner can read.
// Without one, ferry refuses to store secrets rather than store them in plaintext.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/sdk/result.hpp"

namespace ferry::host {

class MasterKey {
 public:
  static constexpr std::size_t kSize = 32;  // AES-256
  using Bytes = std::array<std::uint8_t, kSize>;

  // Base64 of exactly 32 bytes; surrounding whitespace is ignored.
  static sdk::Result<MasterKey> fromBase64(std::string_view text);
  // 32 bytes from the operating system's CSPRNG.
  static MasterKey generate();

  MasterKey(const MasterKey&) = default;
  MasterKey& operator=(const MasterKey&) = default;
  ~MasterKey();

  std::string toBase64() const;
  const Bytes& bytes() const noexcept { return bytes_; }
  // Short, non-reversible identifier (first 8 hex digits of SHA-256) for logs and diagnostics:
  // tells operators whether two processes use the same key without revealing it.
  std::string fingerprint() const;

 private:
  explicit MasterKey(const Bytes& bytes) : bytes_(bytes) {}
  Bytes bytes_{};
};

struct MasterKeySource {
  // Checked first; its value is the base64 key. Empty name = do not look at the environment.
  std::string envVar = "FERRY_MASTER_KEY";
  // Used when the variable is unset: a file holding the base64 key, mode 0600 or stricter.
  std::string file;
};

// The key from the environment variable if set, else from the file. When neither yields a key
// the error (kInvalidArgument) says how to create one. Error texts never contain key material.
sdk::Result<MasterKey> loadMasterKey(const MasterKeySource& source);

// Reads a key file; refuses files that are not regular files or that group/others may access.
sdk::Result<MasterKey> readMasterKeyFile(const std::string& path);

// Creates a new key file (mode 0600, base64 key plus newline); never overwrites an existing
// file. Returns the new key.
sdk::Result<MasterKey> createMasterKeyFile(const std::string& path);

// How to create a key, for error messages and --help texts.
std::string masterKeyHowTo();

}  // namespace ferry::host
