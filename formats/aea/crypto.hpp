// The primitives AEA needs, each a thin wrapper over OpenSSL 3 (EVP): HKDF-SHA256, HMAC-SHA256,
// AES-256-CTR, ECDSA and ECDH on P-256, scrypt, RSA-PSS and X.509 signature checks. Nothing here
// implements a cipher, a MAC or a KDF itself. Private to formats/aea.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope::aea::crypto {

using Mac = std::array<uint8_t, 32>;

// HKDF-SHA256 (extract with `salt`, empty meaning none, then expand `info`) into out.
Status hkdf_sha256(Bytes ikm, Bytes salt, Bytes info, std::span<uint8_t> out);
// HMAC-SHA256 of the concatenation of `parts`.
Result<Mac> hmac_sha256(Bytes key, std::initializer_list<Bytes> parts);
// AEA's MAC (docs/formats/aea.md §6): HMAC(key, salt || data || u64le(salt size)).
Result<Mac> aea_mac(Bytes key, Bytes data, Bytes salt);
// Constant-time comparison (CRYPTO_memcmp).
bool equal(Bytes a, Bytes b);
// AES-256-CTR with a 128-bit big-endian counter starting at `iv` (in and out may be the same buffer).
Status aes256_ctr(Bytes key, Bytes iv, Bytes in, std::span<uint8_t> out);
Result<std::array<uint8_t, 32>> sha256(Bytes data);

// ECDSA P-256 with SHA-256 over `message`: true when `der_signature` verifies under `public_key`
// (65-byte uncompressed point); an Error when the key is not a point of the curve.
Result<bool> ecdsa_p256_verify(Bytes public_key, Bytes der_signature, Bytes message);
// A P-256 private key read from PEM (PKCS#8 or SEC1).
struct PrivateKey;
struct PrivateKeyFree { void operator()(PrivateKey* k) const; };
using PrivateKeyPtr = std::unique_ptr<PrivateKey, PrivateKeyFree>;
Result<PrivateKeyPtr> p256_private_key_from_pem(std::string_view pem);
Result<std::vector<uint8_t>> p256_public_point(const PrivateKey& key);  // 65 bytes
// ECDH: the x coordinate of the shared point (32 bytes).
Result<std::vector<uint8_t>> ecdh_p256(const PrivateKey& key, Bytes peer_public_key);
// scrypt(password, salt, N, r = 8, p = 1) -> 32 bytes; memory is checked against --max-memory first.
Result<std::vector<uint8_t>> scrypt32(std::string_view password, Bytes salt, uint64_t n);

// X.509 (DER), for the certificates signed Shortcuts carry in their auth data.
struct Certificate {
  std::string subject, issuer;       // RFC 2253-ish one-line names
  std::string not_before, not_after;  // "2023-11-10 15:40:02 UTC"
  std::string key_type;              // "RSA 2048", "EC P-256"
};
Result<Certificate> parse_certificate(Bytes der);
// True when `cert` carries a valid signature by `issuer`'s public key.
Result<bool> certificate_signed_by(Bytes cert, Bytes issuer);
// RSA-PSS (SHA-256, MGF1-SHA-256, salt length from the signature) of `message` by `cert`'s key.
Result<bool> rsa_pss_sha256_verify(Bytes cert, Bytes signature, Bytes message);

}  // namespace upscope::aea::crypto
