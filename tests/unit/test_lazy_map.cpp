// LazyMapSource: a span filled on first touch from a non-contiguous source, dropped by release().
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "inspect/lazy_map.hpp"
#include "pattern_source.hpp"

namespace upscope {
namespace {

using test::pattern;
using test::PatternSource;

// The lazy span (hashing SHA-256 as it fills, when asked), or nullptr with a visible skip when this
// kernel or sandbox refuses userfaultfd.
std::shared_ptr<const LazyMapSource> lazy(SourcePtr inner, bool hashing = false) {
  auto l = hashing ? LazyMapSource::make_hashed(std::move(inner), HashKind::kSha256)
                   : LazyMapSource::make(std::move(inner));
  if (!l) {
    WARN("SKIPPED: " << l.error().message());
    return nullptr;
  }
  return *l;
}

std::shared_ptr<const LazyMapSource> lazy_hashing(SourcePtr inner) { return lazy(std::move(inner), true); }

// Four threads read `reads` random bytes each and release `release_len` bytes around every
// `release_every`-th one; true when every byte read was the pattern's.
bool read_randomly(const LazyMapSource& l, uint64_t seed, int reads, int release_every, uint64_t release_len) {
  const Bytes b = *l.contiguous();
  std::atomic<bool> bad{false};
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      uint64_t x = seed + t;
      for (int i = 0; i < reads; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const uint64_t off = x % b.size();
        if (b[off] != pattern(off)) bad = true;
        if (i % release_every == 0) l.release(off & ~uint64_t(0xfffff), release_len);
      }
    });
  for (auto& t : ts) t.join();
  return !bad;
}

std::string pattern_sha256(uint64_t size) {
  std::vector<uint8_t> all(size);
  for (uint64_t i = 0; i < size; ++i) all[i] = pattern(i);
  return sha256_hex(Bytes(all.data(), all.size()));
}

bool matches(Bytes b, uint64_t from, uint64_t to) {
  for (uint64_t i = from; i < to; ++i)
    if (b[i] != pattern(i)) return false;
  return true;
}

}  // namespace

TEST_CASE("LazyMapSource fills each touched block once and again after release", "[lazy_map]") {
  const uint64_t size = 5 * LazyMapSource::kBlock + 123;  // a partial last block and page
  auto inner = std::make_shared<PatternSource>(size);
  auto l = lazy(inner);
  if (!l) return;
  REQUIRE(l->size() == size);
  REQUIRE(l->name() == "pattern");
  auto b = l->contiguous();
  REQUIRE(b);
  REQUIRE(b->size() == size);
  CHECK(l->faults() == 0);  // making the span reads nothing
  CHECK(inner->reads == 0);
  CHECK((*b)[LazyMapSource::kBlock + 7] == pattern(LazyMapSource::kBlock + 7));
  CHECK(l->faults() == 1);
  CHECK(matches(*b, 0, size));
  CHECK(l->faults() == 6);
  CHECK(matches(*b, 0, size));  // resident now: no more faults
  CHECK(l->faults() == 6);
  l->release(0, size);
  CHECK(matches(*b, size - 100, size));  // the last block only
  CHECK(l->faults() == 7);
  // A release of part of one block: the pages left resident are kept, the dropped ones come back.
  l->release(2 * LazyMapSource::kBlock + 8192, 8192);
  CHECK(matches(*b, 2 * LazyMapSource::kBlock, 3 * LazyMapSource::kBlock));
  CHECK(l->faults() == 8);
  CHECK(!l->error());
  // read_at goes to the inner source and fills nothing.
  std::vector<uint8_t> out(100);
  REQUIRE(l->read_at(4096, out));
  CHECK(out[0] == pattern(4096));
  CHECK(l->faults() == 8);
}

TEST_CASE("LazyMapSource serves faults from several threads while pages are released", "[lazy_map]") {
  const uint64_t size = 16 * LazyMapSource::kBlock;
  auto l = lazy(std::make_shared<PatternSource>(size));
  if (!l) return;
  CHECK(read_randomly(*l, 88172645463325252ull, 4000, 97, 1u << 20));
  CHECK(!l->error());
}

TEST_CASE("LazyMapSource answers an unreadable block with zeros and keeps the error", "[lazy_map]") {
  const uint64_t size = 3 * LazyMapSource::kBlock;
  const uint64_t bad = LazyMapSource::kBlock + 5000;
  auto l = lazy(std::make_shared<PatternSource>(size, bad));
  if (!l) return;
  const Bytes b = *l->contiguous();
  CHECK(matches(b, 0, LazyMapSource::kBlock));
  CHECK(!l->error());
  CHECK(b[bad] == 0);
  CHECK(b[LazyMapSource::kBlock] == 0);
  REQUIRE(l->error());
  CHECK(*l->error() == "pattern: byte 0x101388 cannot be decoded");
  CHECK(*lazy_map_error(*l) == *l->error());
  CHECK(matches(b, 2 * LazyMapSource::kBlock, size));  // the other blocks are read as before
}

TEST_CASE("A hashing LazyMapSource hashes what its readers fill, in order, reading each block once", "[lazy_map]") {
  constexpr uint64_t B = LazyMapSource::kBlock;
  const uint64_t size = 5 * B + 321;  // six blocks, the last one partial
  auto inner = std::make_shared<PatternSource>(size);
  auto l = lazy_hashing(inner);
  if (!l) return;
  const Bytes b = *l->contiguous();
  // Blocks 2 and 4 first: ahead of the hashed prefix, so a release keeps them.
  CHECK(matches(b, 2 * B, 3 * B));
  CHECK(matches(b, 4 * B, 5 * B));
  l->release(0, size);
  CHECK(matches(b, 0, 2 * B));  // blocks 0 and 1, then the kept block 2 is hashed from the span
  l->release(0, size);
  CHECK(l->faults() == 4);
  auto d = l->digest();  // reads block 3, hashes the kept block 4, reads block 5
  REQUIRE(d);
  CHECK(*d == pattern_sha256(size));
  CHECK(l->faults() == 6);  // every block read once
  CHECK(!l->error());
}

TEST_CASE("A hashing LazyMapSource keeps at most kKeepAhead blocks past its hashed prefix", "[lazy_map]") {
  constexpr uint64_t B = LazyMapSource::kBlock, K = LazyMapSource::kKeepAhead;
  const uint64_t blocks = K + 8;
  auto l = lazy_hashing(std::make_shared<PatternSource>(blocks * B));
  if (!l) return;
  const Bytes b = *l->contiguous();
  for (uint64_t k = 1; k < blocks; ++k) CHECK(b[k * B + 9] == pattern(k * B + 9));  // all but block 0
  CHECK(l->faults() == blocks - 1);
  l->release(0, blocks * B);  // keeps blocks 1..K, drops the 7 past them
  auto d = l->digest();
  REQUIRE(d);
  CHECK(*d == pattern_sha256(blocks * B));
  CHECK(l->faults() == blocks - 1 + 1 + 7);
}

TEST_CASE("A hashing LazyMapSource hashes right while threads read and release out of order", "[lazy_map]") {
  const uint64_t size = 24 * LazyMapSource::kBlock + 4097;
  auto l = lazy_hashing(std::make_shared<PatternSource>(size));
  if (!l) return;
  CHECK(read_randomly(*l, 1442695040888963407ull, 3000, 89, 3u << 20));
  auto d = l->digest();
  REQUIRE(d);
  CHECK(*d == pattern_sha256(size));
}

TEST_CASE("A hashing LazyMapSource gives no digest when a block could not be read", "[lazy_map]") {
  const uint64_t size = 3 * LazyMapSource::kBlock;
  auto l = lazy_hashing(std::make_shared<PatternSource>(size, 2 * LazyMapSource::kBlock + 1));
  if (!l) return;
  auto d = l->digest();
  REQUIRE(!d);
  CHECK(d.error().message() == "lazy map: pattern: byte 0x200001 cannot be decoded");
  auto plain = lazy(std::make_shared<PatternSource>(size));
  if (!plain) return;
  auto none = plain->digest();
  REQUIRE(!none);
  CHECK(none.error().message() == "lazy map: digest() of a span made without hashing");
}

TEST_CASE("lazy_contiguous keeps contiguous and refused sources as they are", "[lazy_map]") {
  auto mem = std::make_shared<MemorySource>(std::vector<uint8_t>(100, 7), "mem");
  CHECK(lazy_contiguous(mem, 0) == mem);
  auto pat = std::make_shared<PatternSource>(4096);
  CHECK(lazy_contiguous(pat, 8192) == pat);  // below the size asked for
  ::setenv("UPSCOPE_NO_LAZY_MAP", "1", 1);
  auto refused = LazyMapSource::make(pat);
  CHECK(lazy_contiguous(pat, 0) == pat);
  ::unsetenv("UPSCOPE_NO_LAZY_MAP");
  REQUIRE(!refused);
  CHECK(refused.error().message() == "lazy map: the span cannot be filled on demand: UPSCOPE_NO_LAZY_MAP is set");
  CHECK(!lazy_map_error(*pat));
  if (auto l = lazy(pat)) CHECK(lazy_contiguous(pat, 0) != pat);
}

}  // namespace upscope
