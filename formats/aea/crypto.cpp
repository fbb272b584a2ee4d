#include "aea/crypto.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <climits>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "inspect/limits.hpp"

namespace upscope::aea::crypto {

struct PrivateKey {
  EVP_PKEY* pkey = nullptr;
};
void PrivateKeyFree::operator()(PrivateKey* k) const {
  if (k) EVP_PKEY_free(k->pkey);
  delete k;
}

namespace {

// OpenSSL failures are reported as values; the thread's error queue is cleared so a later,
// unrelated check does not pick up a stale entry.
Unexpected openssl_failure(std::string_view what) {
  unsigned long code = ERR_get_error();
  char buf[256] = {0};
  if (code) ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return fail(ErrorCode::kIo, "OpenSSL", fmt::format("{} failed{}{}", what, code ? ": " : "", buf));
}

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, Deleter<EVP_KDF_CTX, EVP_KDF_CTX_free>>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, Deleter<EVP_MAC_CTX, EVP_MAC_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

// Fetched once per process; the algorithm objects are read-only and shared between threads.
EVP_KDF* hkdf_algorithm() {
  static EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return kdf;
}
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

unsigned char* bytes_ptr(Bytes b) { return const_cast<unsigned char*>(b.data()); }

Result<PkeyPtr> p256_public(Bytes point) {
  if (point.size() != 65 || point[0] != 0x04)
    return fail(ErrorCode::kMalformed, "public key", fmt::format("{} bytes, not a 65-byte uncompressed P-256 point", point.size()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return openssl_failure("EC key set-up");
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, bytes_ptr(point), point.size()),
      OSSL_PARAM_construct_end(),
  };
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::kMalformed, "public key", "not a point of the P-256 curve");
  }
  return PkeyPtr(raw);
}

Result<X509Ptr> x509(Bytes der) {
  const unsigned char* p = der.data();
  if (der.size() > LONG_MAX) return fail(ErrorCode::kLimit, "certificate", "too large");
  X509* c = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (!c) {
    ERR_clear_error();
    return fail(ErrorCode::kMalformed, "certificate", "not a DER X.509 certificate");
  }
  return X509Ptr(c);
}

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

std::string time_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

}  // namespace

Status hkdf_sha256(Bytes ikm, Bytes salt, Bytes info, std::span<uint8_t> out) {
  EVP_KDF* kdf = hkdf_algorithm();
  if (!kdf) return openssl_failure("HKDF fetch");
  KdfCtx ctx(EVP_KDF_CTX_new(kdf));
  if (!ctx) return openssl_failure("HKDF context");
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, bytes_ptr(ikm), ikm.size());
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, bytes_ptr(info), info.size());
  // No salt and an empty one are the same thing for HKDF (HMAC pads its key with zeros).
  if (!salt.empty()) params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, bytes_ptr(salt), salt.size());
  params[n] = OSSL_PARAM_construct_end();
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) return openssl_failure("HKDF-SHA256");
  return {};
}

Result<Mac> hmac_sha256(Bytes key, std::initializer_list<Bytes> parts) {
  EVP_MAC* mac = hmac_algorithm();
  if (!mac) return openssl_failure("HMAC fetch");
  MacCtx ctx(EVP_MAC_CTX_new(mac));
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1) return openssl_failure("HMAC-SHA256 set-up");
  for (Bytes p : parts)
    if (!p.empty() && EVP_MAC_update(ctx.get(), p.data(), p.size()) != 1) return openssl_failure("HMAC-SHA256");
  Mac out{};
  size_t len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size()) return openssl_failure("HMAC-SHA256");
  return out;
}

Result<Mac> aea_mac(Bytes key, Bytes data, Bytes salt) {
  uint8_t len[8];
  uint64_t n = salt.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
  return hmac_sha256(key, {salt, data, Bytes(len, 8)});
}

bool equal(Bytes a, Bytes b) { return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0; }

Status aes256_ctr(Bytes key, Bytes iv, Bytes in, std::span<uint8_t> out) {
  if (key.size() != 32 || iv.size() != 16 || out.size() < in.size())
    return fail(ErrorCode::kInvalidArgument, "AES-256-CTR", "key, counter block or output of the wrong size");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_ctr(), nullptr, key.data(), iv.data()) != 1)
    return openssl_failure("AES-256-CTR set-up");
  size_t done = 0;
  while (done < in.size()) {
    int chunk = static_cast<int>(std::min<size_t>(in.size() - done, size_t{1} << 30));
    int produced = 0;
    if (EVP_DecryptUpdate(ctx.get(), out.data() + done, &produced, in.data() + done, chunk) != 1 || produced != chunk)
      return openssl_failure("AES-256-CTR");
    done += static_cast<size_t>(chunk);
  }
  return {};
}

Result<std::array<uint8_t, 32>> sha256(Bytes data) {
  std::array<uint8_t, 32> out{};
  unsigned len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != 32)
    return openssl_failure("SHA-256");
  return out;
}

Result<bool> ecdsa_p256_verify(Bytes public_key, Bytes der_signature, Bytes message) {
  UPSCOPE_TRY(PkeyPtr pkey, p256_public(public_key));
  MdCtx md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1)
    return openssl_failure("ECDSA set-up");
  int rc = EVP_DigestVerify(md.get(), der_signature.data(), der_signature.size(), message.data(), message.size());
  ERR_clear_error();  // a bad signature leaves an entry in the queue
  return rc == 1;
}

Result<PrivateKeyPtr> p256_private_key_from_pem(std::string_view pem) {
  if (pem.size() > INT_MAX) return fail(ErrorCode::kLimit, "private key", "too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* raw = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!raw) {
    ERR_clear_error();
    return fail(ErrorCode::kInvalidArgument, "private key", "not a PEM private key");
  }
  PrivateKeyPtr key(new PrivateKey{raw});
  char group[64] = {0};
  size_t glen = 0;
  if (!EVP_PKEY_is_a(raw, "EC") ||
      EVP_PKEY_get_utf8_string_param(raw, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) != 1 ||
      std::strcmp(group, "prime256v1") != 0) {
    ERR_clear_error();
    return fail(ErrorCode::kInvalidArgument, "private key", "not a P-256 (prime256v1) EC key");
  }
  return key;
}

Result<std::vector<uint8_t>> p256_public_point(const PrivateKey& key) {
  char form[] = "uncompressed";
  OSSL_PARAM set[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, form, 0),
                      OSSL_PARAM_construct_end()};
  if (EVP_PKEY_set_params(key.pkey, set) != 1) return openssl_failure("EC point format");
  std::vector<uint8_t> out(65);
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key.pkey, OSSL_PKEY_PARAM_PUB_KEY, out.data(), out.size(), &len) != 1 || len != 65)
    return openssl_failure("EC public key");
  return out;
}

Result<std::vector<uint8_t>> ecdh_p256(const PrivateKey& key, Bytes peer_public_key) {
  UPSCOPE_TRY(PkeyPtr peer, p256_public(peer_public_key));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.pkey, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1 || len != 32)
    return openssl_failure("ECDH");
  std::vector<uint8_t> out(len);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != 32) return openssl_failure("ECDH");
  return out;
}

Result<std::vector<uint8_t>> scrypt32(std::string_view password, Bytes salt, uint64_t n) {
  const uint64_t r = 8, p = 1;
  const uint64_t need = 128 * r * n + 128 * r * p + (uint64_t{1} << 20);  // V, B and slack
  UPSCOPE_CHECK(check_memory(need, "scrypt"));
  std::vector<uint8_t> out(32);
  if (EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), n, r, p, need, out.data(), out.size()) != 1)
    return openssl_failure("scrypt");
  return out;
}

Result<Certificate> parse_certificate(Bytes der) {
  UPSCOPE_TRY(X509Ptr c, x509(der));
  Certificate out;
  out.subject = name_text(X509_get_subject_name(c.get()));
  out.issuer = name_text(X509_get_issuer_name(c.get()));
  out.not_before = time_text(X509_get0_notBefore(c.get()));
  out.not_after = time_text(X509_get0_notAfter(c.get()));
  if (EVP_PKEY* k = X509_get0_pubkey(c.get())) {
    out.key_type = EVP_PKEY_is_a(k, "RSA") ? fmt::format("RSA {}", EVP_PKEY_get_bits(k))
                   : EVP_PKEY_is_a(k, "EC") ? fmt::format("EC {}", EVP_PKEY_get_bits(k))
                                            : std::string("other");
  }
  ERR_clear_error();
  return out;
}

Result<bool> certificate_signed_by(Bytes cert, Bytes issuer) {
  UPSCOPE_TRY(X509Ptr c, x509(cert));
  UPSCOPE_TRY(X509Ptr i, x509(issuer));
  EVP_PKEY* k = X509_get0_pubkey(i.get());
  if (!k) return openssl_failure("issuer public key");
  int rc = X509_verify(c.get(), k);
  ERR_clear_error();
  return rc == 1;
}

Result<bool> rsa_pss_sha256_verify(Bytes cert, Bytes signature, Bytes message) {
  UPSCOPE_TRY(X509Ptr c, x509(cert));
  EVP_PKEY* k = X509_get0_pubkey(c.get());
  if (!k || !EVP_PKEY_is_a(k, "RSA")) {
    ERR_clear_error();
    return fail(ErrorCode::kMalformed, "certificate", "its key is not an RSA key");
  }
  MdCtx md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md
  if (!md || EVP_DigestVerifyInit(md.get(), &pctx, EVP_sha256(), nullptr, k) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1)
    return openssl_failure("RSA-PSS set-up");
  int rc = EVP_DigestVerify(md.get(), signature.data(), signature.size(), message.data(), message.size());
  ERR_clear_error();
  return rc == 1;
}

}  // namespace upscope::aea::crypto
