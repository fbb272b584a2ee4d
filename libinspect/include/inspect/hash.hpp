// Content hashes: SHA-1 and SHA-256 through OpenSSL's EVP (reported hashes), XXH3 for fast keys.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope {

class Source;

enum class HashKind { kSha1, kSha256, kXxh3_64, kXxh3_128 };
const char* to_string(HashKind k);                      // "sha1", "sha256", "xxh3", "xxh128"
Result<HashKind> parse_hash_kind(std::string_view name);
size_t digest_size(HashKind k);

// Incremental hasher; digest() may be called once.
class Hasher {
 public:
  explicit Hasher(HashKind kind);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  void update(Bytes data);
  std::string hex_digest();  // lowercase hex
  HashKind kind() const { return kind_; }

 private:
  struct Impl;
  HashKind kind_;
  std::unique_ptr<Impl> impl_;
};

std::string hash_hex(HashKind kind, Bytes data);
inline std::string sha256_hex(Bytes data) { return hash_hex(HashKind::kSha256, data); }
inline std::string sha1_hex(Bytes data) { return hash_hex(HashKind::kSha1, data); }
uint64_t xxh3_64(Bytes data);
// Streams a whole Source through the hasher in fixed-size pieces (bounded memory).
Result<std::string> hash_source(HashKind kind, const Source& src);

}  // namespace upscope
