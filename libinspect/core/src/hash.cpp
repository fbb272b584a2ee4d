#include "inspect/hash.hpp"

#include <openssl/evp.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <future>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "inspect/sha256_lanes.hpp"
#include "inspect/source.hpp"
#include "inspect/thread_pool.hpp"
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

namespace {

// OpenSSL 3 looks an algorithm up in its provider table (under a lock) on every EVP_DigestInit_ex
// given EVP_sha256(); fetched once, the digest is reused: a catalogue add makes 200,000 hashers.
const EVP_MD* fetched_md(HashKind kind) {
  static const EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static const EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  const EVP_MD* md = kind == HashKind::kSha1 ? sha1 : sha256;
  if (md) return md;
  return kind == HashKind::kSha1 ? EVP_sha1() : EVP_sha256();  // the fetch failed: the implicit way
}

}  // namespace

Hasher::Hasher(HashKind kind) : kind_(kind), impl_(std::make_unique<Impl>()) {
  if (kind == HashKind::kSha1 || kind == HashKind::kSha256) impl_->md = EVP_MD_CTX_new();
  else impl_->xxh = XXH3_createState();
  reset();
}

void Hasher::reset() {
  switch (kind_) {
    case HashKind::kSha1:
    case HashKind::kSha256: EVP_DigestInit_ex(impl_->md, fetched_md(kind_), nullptr); break;
    case HashKind::kXxh3_64: XXH3_64bits_reset(impl_->xxh); break;
    case HashKind::kXxh3_128: XXH3_128bits_reset(impl_->xxh); break;
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

std::string Hasher::digest() {
  uint8_t out[EVP_MAX_MD_SIZE];
  auto raw = [&](size_t n) { return std::string(out, out + n); };
  switch (kind_) {
    case HashKind::kSha1:
    case HashKind::kSha256: {
      unsigned len = 0;
      EVP_DigestFinal_ex(impl_->md, out, &len);
      return raw(len);
    }
    case HashKind::kXxh3_64: {
      XXH64_canonical_t c;
      XXH64_canonicalFromHash(&c, XXH3_64bits_digest(impl_->xxh));
      std::memcpy(out, c.digest, sizeof c.digest);
      return raw(sizeof c.digest);
    }
    case HashKind::kXxh3_128: {
      XXH128_canonical_t c;
      XXH128_canonicalFromHash(&c, XXH3_128bits_digest(impl_->xxh));
      std::memcpy(out, c.digest, sizeof c.digest);
      return raw(sizeof c.digest);
    }
  }
  return {};
}

std::string Hasher::hex_digest() { return to_hex(bytes_of(digest())); }

std::string hash_hex(HashKind kind, Bytes data) {
  Hasher h(kind);
  h.update(data);
  return h.hex_digest();
}

uint64_t xxh3_64(Bytes data) { return XXH3_64bits(data.data(), data.size()); }

namespace {

// The copy buffers of the pieces that are not mapped, reused on the thread that hashes: a fresh
// 256 KiB vector per file is a fresh mmap, zero-filled and then faulted in page by page (on a
// volume of 5,000 decmpfs files that was 2% of `ls --hash` in memset alone, plus its faults).
class CopyBuffer {
 public:
  static constexpr size_t kSize = 256 << 10;
  CopyBuffer() = default;
  CopyBuffer(CopyBuffer&& o) noexcept : p_(std::move(o.p_)) {}
  CopyBuffer& operator=(CopyBuffer&& o) noexcept {
    give_back();
    p_ = std::move(o.p_);
    return *this;
  }
  ~CopyBuffer() { give_back(); }
  // kSize bytes, uninitialised: every byte handed out is first written by read_at.
  uint8_t* get() {
    if (!p_) {
      auto& spare = spares();
      if (spare.empty()) {
        p_.reset(new uint8_t[kSize]);
      } else {
        p_ = std::move(spare.back());
        spare.pop_back();
      }
    }
    return p_.get();
  }

 private:
  // At most as many as the sources one thread hashes side by side (16 SHA-256 lanes).
  static constexpr size_t kKeep = 16;
  static std::vector<std::unique_ptr<uint8_t[]>>& spares() {
    thread_local std::vector<std::unique_ptr<uint8_t[]>> v;
    return v;
  }
  void give_back() {
    if (p_ && spares().size() < kKeep) spares().push_back(std::move(p_));
    p_.reset();
  }
  std::unique_ptr<uint8_t[]> p_;
};

// A Source as a sequence of pieces: zero-copy views where the bytes are mapped (released once hashed,
// so hashing a 10 GB image keeps RSS bounded); a copy through read_at only for what is not (holes,
// compressed or unmapped data).
class SourcePieces {
 public:
  explicit SourcePieces(const Source& src) : src_(&src) {}
  explicit SourcePieces(SourcePtr src) : keep_(std::move(src)), src_(keep_.get()) {}
  // The next piece, empty at the end. The previous piece is no longer needed.
  Result<Bytes> next() {
    // Small pieces are left to the caller (a lister releases whole ranges now and then): a
    // madvise per small file costs more than the pages it frees.
    if (mapped_ >= kPiece) src_->release(off_ - mapped_, mapped_);
    mapped_ = 0;
    if (off_ >= src_->size()) return Bytes();
    const uint64_t left = src_->size() - off_;
    if (auto v = src_->piece_at(off_, std::min(kStep, left)); v && !v->empty()) {
      mapped_ = v->size();
      off_ += v->size();
      return *v;
    }
    const std::span<uint8_t> out(buf_.get(), static_cast<size_t>(std::min<uint64_t>(CopyBuffer::kSize, left)));
    UPSCOPE_CHECK(src_->read_at(off_, out));
    off_ += out.size();
    return Bytes(out);
  }
  uint64_t size() const { return src_->size(); }

 private:
  // At most 2 MiB per piece, released once hashed: with 16 sources in flight per thread, the mapped
  // pages that hashing touches stay under 32 MiB per thread.
  static constexpr uint64_t kStep = 2u << 20;
  static constexpr uint64_t kPiece = 1 << 20;
  SourcePtr keep_;
  const Source* src_;
  uint64_t off_ = 0;
  uint64_t mapped_ = 0;  // size of the last piece when it was a mapped view
  CopyBuffer buf_;
};

// A long source whose bytes are not mapped (a file inside a compressed dmg) is read ahead by two
// helper threads, 4 MiB blocks into a ring of 4, while the caller hashes them in order: its chunks
// are decoded side by side instead of between hash updates on one thread. A dyld cache's files in a
// cryptex dmg were hashed this way at ~1 core, the rest of the build done (docs/reading.md).
constexpr uint64_t kAheadMin = 64ull << 20;
constexpr size_t kAheadBlock = 4u << 20, kAheadSlots = 4, kAheadReaders = 2;

Result<std::string> hash_read_ahead(Hasher& h, const Source& src) {
  const uint64_t size = src.size();
  const size_t blocks = static_cast<size_t>((size + kAheadBlock - 1) / kAheadBlock);
  // Block k is read into buffer k % kAheadSlots: ordered_parallel_map keeps at most kAheadSlots
  // blocks in flight, all after the last one hashed, so no buffer is written while it is hashed.
  std::vector<std::unique_ptr<uint8_t[]>> bufs;
  for (size_t i = 0; i < kAheadSlots; ++i) bufs.emplace_back(new uint8_t[kAheadBlock]);
  auto block = [&](size_t k) {
    const uint64_t off = uint64_t{k} * kAheadBlock;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kAheadBlock, size - off));
    return std::span<uint8_t>(bufs[k % kAheadSlots].get(), n);
  };
  ThreadPool readers(kAheadReaders);
  Status failed;
  ordered_parallel_map(
      readers, blocks, kAheadSlots, [&](size_t k) { return src.read_at(uint64_t{k} * kAheadBlock, block(k)); },
      [&](size_t k, Status st) {
        if (!st) {
          failed = std::move(st);
          return false;
        }
        h.update(block(k));
        return true;
      });
  if (!failed) return fail(failed.error());
  return h.hex_digest();
}

}  // namespace

Result<std::string> hash_source(HashKind kind, const Source& src) {
  Hasher h(kind);
  if (src.size() >= kAheadMin && !src.contiguous()) {
    auto first = src.piece_at(0, kAheadBlock);
    if (!first || first->empty()) return hash_read_ahead(h, src);
  }
  SourcePieces pieces(src);
  for (;;) {
    UPSCOPE_TRY(auto piece, pieces.next());
    if (piece.empty()) return h.hex_digest();
    h.update(piece);
  }
}

std::vector<Result<std::string>> hash_sources(HashKind kind, const SourceBatch& batch, ThreadPool* pool) {
  const size_t count = batch.count;
  std::vector<Result<std::string>> out(count, std::string());
  // In the caller's order: files in volume order read the image nearly sequentially. A long source
  // near the end finishes alone, on the SHA extensions, no slower than without lanes.
  std::atomic<size_t> taken{0};
  const size_t run = std::max<size_t>(batch.run, 1);
  struct Run {
    size_t next = 0, end = 0;
  };
  auto take = [&](Run& mine) -> std::optional<size_t> {
    if (mine.next == mine.end) {
      const size_t k = taken.fetch_add(run);
      if (k >= count) return std::nullopt;
      mine = {k, std::min(k + run, count)};
    }
    return mine.next++;
  };
  auto done = [&](size_t i, Result<std::string> digest, uint64_t bytes) {
    if (batch.deliver) batch.deliver(i, std::move(digest));
    else out[i] = std::move(digest);
    if (batch.hashed) batch.hashed(i, bytes);
  };
  const bool lanes = kind == HashKind::kSha256 && count > 1 && sha256_lanes::available();
  auto work = [&] {
    Run mine;
    if (!lanes) {
      while (auto i = take(mine)) {
        uint64_t bytes = 0;
        // The source is dropped before its result is handed over, as on the lanes' path.
        auto digest = [&]() -> Result<std::string> {
          auto src = batch.open(*i);
          if (!src) return fail(src.error());
          bytes = (*src)->size();
          return hash_source(kind, **src);
        }();
        done(*i, std::move(digest), bytes);
      }
      return;
    }
    // The sources this thread has started (each is read by one thread only).
    std::unordered_map<size_t, SourcePieces> pieces;
    sha256_lanes::hash_many(
        [&]() -> std::optional<size_t> {
          while (auto i = take(mine)) {
            auto src = batch.open(*i);
            if (src) {
              pieces.emplace(*i, SourcePieces(std::move(*src)));
              return i;
            }
            done(*i, fail(src.error()), 0);
          }
          return std::nullopt;
        },
        [&](size_t i) { return pieces.at(i).next(); },
        [&](size_t i, Result<sha256_lanes::Digest> d) {
          const uint64_t bytes = pieces.at(i).size();
          pieces.erase(i);
          done(i, d ? Result<std::string>(to_hex(Bytes(d->data(), d->size()))) : Result<std::string>(fail(d.error())),
               bytes);
        });
  };
  const size_t threads = pool ? std::min<size_t>(pool->size(), count) : 1;
  std::vector<std::future<void>> running;
  for (size_t t = 1; t < threads; ++t) running.push_back(pool->submit(work));
  work();
  for (auto& f : running) f.get();
  return out;
}

std::vector<Result<std::string>> hash_sources(HashKind kind, std::span<const Source* const> srcs, ThreadPool* pool) {
  SourceBatch batch;
  batch.count = srcs.size();
  // Borrowed sources: a shared_ptr that does not own.
  batch.open = [&](size_t i) -> Result<SourcePtr> { return SourcePtr(SourcePtr(), srcs[i]); };
  return hash_sources(kind, batch, pool);
}

}  // namespace upscope
