// Throwaway PKI for HTTPS tests: a CA and a server certificate signed by it, written as PEM files
// into a temporary directory (EC P-256 keys: fast to generate).
#pragma once

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include <Poco/File.h>
#include <Poco/TemporaryFile.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace ferry::host::testing {

class TlsFiles {
 public:
  // serverName becomes the server certificate's common name.
  explicit TlsFiles(const std::string& serverName) {
    Poco::File(dir_.path()).createDirectories();
    EVP_PKEY* caKey = EVP_EC_gen("P-256");
    EVP_PKEY* serverKey = EVP_EC_gen("P-256");
    X509* ca = makeCert(caKey, caKey, nullptr, "ferry test CA", true);
    X509* server = makeCert(serverKey, caKey, ca, serverName, false);
    writeCert(caPath(), ca);
    writeCert(certPath(), server);
    FILE* f = std::fopen(keyPath().c_str(), "w");
    PEM_write_PrivateKey(f, serverKey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(server);
    X509_free(ca);
    EVP_PKEY_free(serverKey);
    EVP_PKEY_free(caKey);
  }

  std::string caPath() const { return dir_.path() + "/ca.pem"; }
  std::string certPath() const { return dir_.path() + "/server.pem"; }
  std::string keyPath() const { return dir_.path() + "/server.key"; }

 private:
  static X509* makeCert(EVP_PKEY* key, EVP_PKEY* signer, X509* issuer, const std::string& cn,
                        bool isCa) {
    static long serial = 1;
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr, nullptr, 0);
    addExt(cert, &ctx, NID_basic_constraints, isCa ? "critical,CA:TRUE" : "CA:FALSE");
    addExt(cert, &ctx, NID_key_usage,
           isCa ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyAgreement");
    if (!isCa) addExt(cert, &ctx, NID_ext_key_usage, "serverAuth");
    if (X509_sign(cert, signer, EVP_sha256()) == 0) throw std::runtime_error("X509_sign failed");
    return cert;
  }
  static void addExt(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  static void writeCert(const std::string& path, X509* cert) {
    FILE* f = std::fopen(path.c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
  }

  Poco::TemporaryFile dir_;  // removed (recursively) with the object
};

}  // namespace ferry::host::testing
