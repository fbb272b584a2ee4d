#include "inspect/hash.hpp"

#include <openssl/evp.h>
#include <xxhash.h>

#include <algorithm>
#include <vector>

#include "inspect/source.hpp"
#include "inspect/text.hpp"

namespace upscope {

const char* to_string(HashKind k) {
  switch (k) {
    case HashKind::kSha1: return "sha1";
    case HashKind::kSha256: return "sha256";
    case HashKind::kXxh3_64: return "xxh3";
    case HashKind::kXxh3_128: return "xxh128";
  }
  return "?";
}

Result<HashKind> parse_hash_kind(std::string_view name) {
  if (name == "sha1") return HashKind::kSha1;
  if (name == "sha256") return HashKind::kSha256;
  if (name == "xxh3") return HashKind::kXxh3_64;
  if (name == "xxh128") return HashKind::kXxh3_128;
  return fail(ErrorCode::kInvalidArgument, "hash", "unknown hash '" + std::string(name) + "' (sha1, sha256, xxh3, xxh128)");
}

size_t digest_size(HashKind k) {
  switch (k) {
    case HashKind::kSha1: return 20;
    case HashKind::kSha256: return 32;
    case HashKind::kXxh3_64: return 8;
    case HashKind::kXxh3_128: return 16;
  }
  return 0;
}

struct Hasher::Impl {
  EVP_MD_CTX* md = nullptr;
  XXH3_state_t* xxh = nullptr;
  ~Impl() {
    if (md) EVP_MD_CTX_free(md);
    if (xxh) XXH3_freeState(xxh);
  }
};

Hasher::Hasher(HashKind kind) : kind_(kind), impl_(std::make_unique<Impl>()) {
  switch (kind) {
    case HashKind::kSha1:
    case HashKind::kSha256:
      impl_->md = EVP_MD_CTX_new();
      EVP_DigestInit_ex(impl_->md, kind == HashKind::kSha1 ? EVP_sha1() : EVP_sha256(), nullptr);
      break;
    case HashKind::kXxh3_64:
      impl_->xxh = XXH3_createState();
      XXH3_64bits_reset(impl_->xxh);
      break;
    case HashKind::kXxh3_128:
      impl_->xxh = XXH3_createState();
      XXH3_128bits_reset(impl_->xxh);
      break;
  }
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(Bytes data) {
  if (data.empty()) return;
  switch (kind_) {
    case HashKind::kSha1:
    case HashKind::kSha256: EVP_DigestUpdate(impl_->md, data.data(), data.size()); break;
    case HashKind::kXxh3_64: XXH3_64bits_update(impl_->xxh, data.data(), data.size()); break;
    case HashKind::kXxh3_128: XXH3_128bits_update(impl_->xxh, data.data(), data.size()); break;
  }
}

std::string Hasher::hex_digest() {
  uint8_t out[EVP_MAX_MD_SIZE];
  switch (kind_) {
    case HashKind::kSha1:
    case HashKind::kSha256: {
      unsigned len = 0;
      EVP_DigestFinal_ex(impl_->md, out, &len);
      return to_hex(Bytes(out, len));
    }
    case HashKind::kXxh3_64: {
      XXH64_canonical_t c;
      XXH64_canonicalFromHash(&c, XXH3_64bits_digest(impl_->xxh));
      return to_hex(Bytes(c.digest, sizeof c.digest));
    }
    case HashKind::kXxh3_128: {
      XXH128_canonical_t c;
      XXH128_canonicalFromHash(&c, XXH3_128bits_digest(impl_->xxh));
      return to_hex(Bytes(c.digest, sizeof c.digest));
    }
  }
  return {};
}

std::string hash_hex(HashKind kind, Bytes data) {
  Hasher h(kind);
  h.update(data);
  return h.hex_digest();
}

uint64_t xxh3_64(Bytes data) { return XXH3_64bits(data.data(), data.size()); }

Result<std::string> hash_source(HashKind kind, const Source& src) {
  Hasher h(kind);
  // Zero-copy pieces where the bytes are mapped (released once hashed, so hashing a 10 GB image keeps
  // RSS bounded); a copy through read_at only for what is not (holes, compressed or unmapped data).
  constexpr uint64_t kStep = 64u << 20;
  constexpr uint64_t kPiece = 1 << 20;
  std::vector<uint8_t> buf;
  for (uint64_t off = 0; off < src.size();) {
    const uint64_t left = src.size() - off;
    if (auto v = src.piece_at(off, std::min(kStep, left)); v && !v->empty()) {
      h.update(*v);
      // Small pieces are left to the caller (a lister releases whole ranges now and then): a
      // madvise per small file costs more than the pages it frees.
      if (v->size() >= kPiece) src.release(off, v->size());
      off += v->size();
      continue;
    }
    const uint64_t n = std::min(kPiece, left);
    buf.resize(static_cast<size_t>(n));
    UPSCOPE_CHECK(src.read_at(off, buf));
    h.update(buf);
    off += n;
  }
  return h.hex_digest();
}

}  // namespace upscope
