// Authenticated encryption of single secret values (AES-256-GCM, OpenSSL EVP).
//
// Envelope: "v1:" + base64(nonce[12] || ciphertext || tag[16]). Each value gets a fresh random
// nonce. The associated data binds a value to where it is stored (scope and key), so a
// ciphertext copied to another key fails to open just like a tampered one.
#pragma once

#include <string>
#include <string_view>

#include "ferry/host/secrets/master_key.hpp"
#include "ferry/sdk/result.hpp"

namespace ferry::host {

class SecretCipher {
 public:
  static constexpr std::string_view kVersionPrefix = "v1:";
  static constexpr std::size_t kNonceSize = 12;
  static constexpr std::size_t kTagSize = 16;

  explicit SecretCipher(const MasterKey& key) : key_(key) {}

  std::string seal(std::string_view plaintext, std::string_view associatedData) const;
  // kInvalidArgument for an envelope that is not v1 or not well-formed; kPermissionDenied when
  // authentication fails (wrong master key, tampered bytes, or a value moved to another key).
  sdk::Result<std::string> open(std::string_view envelope, std::string_view associatedData) const;

  static bool looksSealed(std::string_view value) noexcept {
    return value.substr(0, kVersionPrefix.size()) == kVersionPrefix;
  }
  const MasterKey& key() const noexcept { return key_; }

 private:
  MasterKey key_;
};

}  // namespace ferry::host
