// Content hashes: SHA-1 and SHA-256 through OpenSSL's EVP (reported hashes), XXH3 for fast keys.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope {

class Source;
using SourcePtr = std::shared_ptr<const Source>;
class ThreadPool;

enum class HashKind { kSha1, kSha256, kXxh3_64, kXxh3_128 };
const char* to_string(HashKind k);                      // "sha1", "sha256", "xxh3", "xxh128"
Result<HashKind> parse_hash_kind(std::string_view name);
size_t digest_size(HashKind k);

// Incremental hasher; digest() or hex_digest() may be called once, then reset() starts over (a hasher
// reused for many small inputs allocates its state once).
class Hasher {
 public:
  explicit Hasher(HashKind kind);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  void update(Bytes data);
  std::string hex_digest();  // lowercase hex
  std::string digest();      // the digest's bytes (digest_size(kind()) of them)
  void reset();
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
// Many sources hashed on every thread of `pool` (on the calling thread without one; never call it from
// a task of that pool), one result each, started in order. SHA-256 runs sixteen sources side by side
// in AVX-512 lanes where the CPU has them (sha256_lanes.hpp): about twice the throughput of one at a
// time on this project's machine.
struct SourceBatch {
  size_t count = 0;
  std::function<Result<SourcePtr>(size_t i)> open;       // opened when its turn comes, dropped once hashed
  std::function<void(size_t i, uint64_t bytes)> hashed;  // optional; called from any thread
  // Optional: each result handed over as soon as it is known (from any thread, before `hashed`), so
  // a caller can use it while later sources are still hashing; its entry in the returned vector is
  // then left empty.
  std::function<void(size_t i, Result<std::string> digest)> deliver;
  // Sources are taken `run` consecutive ones at a time by one thread, so threads reading a disk
  // image work in different parts of it instead of wanting the same compressed chunk at once.
  size_t run = 1;
};
std::vector<Result<std::string>> hash_sources(HashKind kind, const SourceBatch& batch, ThreadPool* pool = nullptr);
std::vector<Result<std::string>> hash_sources(HashKind kind, std::span<const Source* const> srcs,
                                              ThreadPool* pool = nullptr);

}  // namespace upscope
