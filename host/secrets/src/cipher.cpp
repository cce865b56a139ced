#include "ferry/host/secrets/cipher.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base64.hpp"

namespace ferry::host {
namespace {

using sdk::Error;
using sdk::ErrorCode;

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

}  // namespace

std::string SecretCipher::seal(std::string_view plaintext, std::string_view associatedData) const {
  std::string raw(kNonceSize + plaintext.size() + kTagSize, '\0');
  unsigned char* nonce = bytes(raw);
  unsigned char* cipherText = nonce + kNonceSize;
  unsigned char* tag = cipherText + plaintext.size();
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  // Any failure here means OpenSSL itself is broken (no entropy, out of memory): there is no
  // safe fallback for an encryption that silently did not happen.
  if (!ctx || RAND_bytes(nonce, static_cast<int>(kNonceSize)) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key_.bytes().data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(associatedData),
                        static_cast<int>(associatedData.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), cipherText, &len, bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), cipherText + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize), tag) != 1) {
    throw std::runtime_error("AES-256-GCM encryption failed inside OpenSSL");
  }
  return std::string(kVersionPrefix) + detail::base64Encode(raw);
}

sdk::Result<std::string> SecretCipher::open(std::string_view envelope,
                                            std::string_view associatedData) const {
  if (!looksSealed(envelope)) {
    return Error::make(ErrorCode::kInvalidArgument,
                       "not an encrypted secret (expected a v1: envelope)");
  }
  auto raw = detail::base64Decode(envelope.substr(kVersionPrefix.size()));
  if (!raw || raw->size() < kNonceSize + kTagSize) {
    return Error::make(ErrorCode::kInvalidArgument, "malformed encrypted secret envelope");
  }
  const std::size_t textSize = raw->size() - kNonceSize - kTagSize;
  const unsigned char* nonce = bytes(*raw);
  const unsigned char* cipherText = nonce + kNonceSize;
  std::string tag(raw->substr(kNonceSize + textSize));
  std::string plain(textSize, '\0');
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int finalLen = 0;
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize),
                          nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key_.bytes().data(), nonce) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(associatedData),
                        static_cast<int>(associatedData.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), bytes(plain), &len, cipherText, static_cast<int>(textSize)) ==
          1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize),
                          bytes(tag)) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), bytes(plain) + len, &finalLen) == 1;
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return Error::make(ErrorCode::kPermissionDenied,
                       "secret failed authentication: wrong master key, tampered value, or a value "
                       "stored under another name");
  }
  return plain;
}

}  // namespace ferry::host
