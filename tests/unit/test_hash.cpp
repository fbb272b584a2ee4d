#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "inspect/hash.hpp"
#include "inspect/sha256_lanes.hpp"
#include "inspect/source.hpp"
#include "inspect/text.hpp"
#include "inspect/thread_pool.hpp"
#include "pattern_source.hpp"

using namespace upscope;

namespace {
Bytes text(const std::string& s) { return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
}  // namespace

TEST_CASE("SHA-1 and SHA-256 match the FIPS 180 test vectors", "[core][hash]") {
  CHECK(sha256_hex(text("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex(text("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha1_hex(text("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(sha256_hex(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("XXH3 matches the reference values", "[core][hash]") {
  // Reference values from xxHash 0.8 (xxhsum -H3 / XXH3_64bits with seed 0).
  CHECK(xxh3_64(text("")) == 0x2D06800538D394C2ull);
  CHECK(hash_hex(HashKind::kXxh3_64, text("")) == "2d06800538d394c2");
}

TEST_CASE("incremental hashing equals one-shot hashing", "[core][hash]") {
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  for (HashKind k : {HashKind::kSha1, HashKind::kSha256, HashKind::kXxh3_64, HashKind::kXxh3_128}) {
    Hasher h(k);
    h.update(text(big.substr(0, 1000)));
    h.update(text(big.substr(1000)));
    CHECK(h.hex_digest() == hash_hex(k, text(big)));
    CHECK(hash_hex(k, text(big)).size() == 2 * digest_size(k));
  }
  MemorySource src(std::vector<uint8_t>(big.begin(), big.end()), "big");
  CHECK(*hash_source(HashKind::kSha256, src) == sha256_hex(text(big)));
}

TEST_CASE("a hasher started over gives the same digests, raw or in hex", "[core][hash]") {
  for (HashKind k : {HashKind::kSha1, HashKind::kSha256, HashKind::kXxh3_64, HashKind::kXxh3_128}) {
    Hasher h(k);
    h.update(text("something else first"));
    (void)h.digest();
    h.reset();
    h.update(text("abc"));
    const std::string raw = h.digest();
    CHECK(raw.size() == digest_size(k));
    CHECK(to_hex(bytes_of(raw)) == hash_hex(k, text("abc")));
    h.reset();
    h.update(text("ab"));
    h.update(text("c"));
    CHECK(h.hex_digest() == hash_hex(k, text("abc")));
  }
  Hasher sha(HashKind::kSha256);
  sha.update(text("abc"));
  CHECK(to_hex(bytes_of(sha.digest())) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("hash names parse and print", "[core][hash]") {
  CHECK(*parse_hash_kind("sha256") == HashKind::kSha256);
  CHECK(*parse_hash_kind("xxh3") == HashKind::kXxh3_64);
  CHECK_FALSE(parse_hash_kind("md5"));
  CHECK(std::string(to_string(HashKind::kSha1)) == "sha1");
}

TEST_CASE("text helpers", "[core][text]") {
  const uint8_t u[16] = {0xd0, 0x8a, 0x9f, 0xa0, 0xd5, 0xa5, 0x45, 0x8b, 0x81, 0x3e, 0xeb, 0xf9, 0xbf, 0x5d, 0x53, 0x38};
  CHECK(uuid_string(Bytes(u, 16)) == "D08A9FA0-D5A5-458B-813E-EBF9BF5D5338");
  CHECK(to_hex(Bytes(u, 2)) == "d08a");
  CHECK(human_size(512) == "512 B");
  CHECK(human_size(4153344) == "4.0 MiB");
  CHECK(printable(text(std::string("ab\x01", 3))) == "ab\\x01");
}

TEST_CASE("SHA-256 in AVX-512 lanes equals OpenSSL on every length and piece split", "[core][hash]") {
  if (!sha256_lanes::available()) {
    WARN("skipped: this CPU lacks AVX-512F/BW or the SHA extensions");
    return;
  }
  // 300 messages: lengths 0..259 cover every padding case (55/56/63/64 bytes ...), the rest are
  // longer; each is delivered in pieces of 1..199 bytes so blocks straddle pieces.
  std::vector<std::vector<uint8_t>> msgs;
  uint32_t x = 12345;
  auto rnd = [&] { return x = x * 1103515245u + 12345u, x >> 8; };
  for (size_t i = 0; i < 300; ++i) {
    std::vector<uint8_t> m(i < 260 ? i : 1000 + rnd() % 70000);
    for (auto& b : m) b = static_cast<uint8_t>(rnd());
    msgs.push_back(std::move(m));
  }
  std::vector<size_t> pos(msgs.size(), 0);
  std::vector<std::string> got(msgs.size());
  size_t calls = 0;
  sha256_lanes::hash_many(
      msgs.size(),
      [&](size_t i) -> Result<Bytes> {
        ++calls;
        const size_t n = std::min<size_t>(msgs[i].size() - pos[i], 1 + rnd() % 199);
        Bytes piece(msgs[i].data() + pos[i], n);
        pos[i] += n;
        return piece;
      },
      [&](size_t i, Result<sha256_lanes::Digest> d) {
        REQUIRE(d);
        CHECK(got[i].empty());
        got[i] = to_hex(Bytes(d->data(), d->size()));
      });
  for (size_t i = 0; i < msgs.size(); ++i) {
    INFO("message " << i << " of " << msgs[i].size() << " bytes");
    CHECK(got[i] == sha256_hex(Bytes(msgs[i])));
  }
  CHECK(calls > 1000);
}

TEST_CASE("SHA-256 lanes: a failing piece ends only its own message", "[core][hash]") {
  if (!sha256_lanes::available()) {
    WARN("skipped: this CPU lacks AVX-512F/BW or the SHA extensions");
    return;
  }
  const std::vector<uint8_t> data(100000, 0x5a);
  std::vector<size_t> pos(20, 0);
  std::vector<int> outcome(20, 0);  // 1 digest, 2 error
  sha256_lanes::hash_many(
      20,
      [&](size_t i) -> Result<Bytes> {
        if (i == 3 && pos[i] >= 50000) return fail(ErrorCode::kIo, "test source", "read failed");
        const size_t n = std::min<size_t>(data.size() - pos[i], 4096 + i);
        pos[i] += n;
        return Bytes(data.data(), n);
      },
      [&](size_t i, Result<sha256_lanes::Digest> d) {
        CHECK(outcome[i] == 0);
        outcome[i] = d ? 1 : 2;
        if (d) CHECK(to_hex(Bytes(d->data(), d->size())) == sha256_hex(Bytes(data)));
        else CHECK(d.error().rule == "read failed");
      });
  for (size_t i = 0; i < 20; ++i) CHECK(outcome[i] == (i == 3 ? 2 : 1));
}

TEST_CASE("hash_sources equals hash_source for each source", "[core][hash]") {
  std::vector<std::unique_ptr<MemorySource>> owned;
  std::vector<const Source*> srcs;
  for (size_t i = 0; i < 40; ++i) {
    std::vector<uint8_t> v(i * 977 + (i % 3) * 3000000);
    for (size_t k = 0; k < v.size(); ++k) v[k] = static_cast<uint8_t>(k * 31 + i);
    owned.push_back(std::make_unique<MemorySource>(std::move(v), "m" + std::to_string(i)));
    srcs.push_back(owned.back().get());
  }
  ThreadPool pool(3);
  for (HashKind k : {HashKind::kSha256, HashKind::kSha1, HashKind::kXxh3_64}) {
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
      auto all = hash_sources(k, srcs, p);
      REQUIRE(all.size() == srcs.size());
      for (size_t i = 0; i < srcs.size(); ++i) CHECK(*all[i] == *hash_source(k, *srcs[i]));
    }
  }
  // Sources opened on demand: one fails to open, every other is hashed and reported once.
  SourceBatch batch;
  batch.count = srcs.size();
  batch.open = [&](size_t i) -> Result<SourcePtr> {
    if (i == 7) return fail(ErrorCode::kIo, "m7", "cannot open");
    return SourcePtr(SourcePtr(), srcs[i]);
  };
  std::atomic<uint64_t> bytes{0};
  std::atomic<size_t> calls{0};
  batch.hashed = [&](size_t, uint64_t n) { bytes += n, ++calls; };
  auto all = hash_sources(HashKind::kSha256, batch, &pool);
  uint64_t total = 0;
  for (size_t i = 0; i < srcs.size(); ++i) {
    if (i == 7) {
      CHECK(!all[i]);
      continue;
    }
    total += srcs[i]->size();
    CHECK(*all[i] == *hash_source(HashKind::kSha256, *srcs[i]));
  }
  CHECK(bytes == total);
  CHECK(calls == srcs.size());
}

TEST_CASE("hash_sources hands each result over once, while the others hash", "[core][hash]") {
  std::vector<std::unique_ptr<MemorySource>> owned;
  for (size_t i = 0; i < 30; ++i) {
    std::vector<uint8_t> v(i * 5003 + (i % 4) * 700000);
    for (size_t k = 0; k < v.size(); ++k) v[k] = static_cast<uint8_t>(k * 7 + i);
    owned.push_back(std::make_unique<MemorySource>(std::move(v), "d" + std::to_string(i)));
  }
  ThreadPool pool(3);
  // SHA-256 goes through the lanes where the CPU has them, SHA-1 never does.
  for (HashKind k : {HashKind::kSha256, HashKind::kSha1}) {
    SourceBatch batch;
    batch.count = owned.size();
    batch.open = [&](size_t i) -> Result<SourcePtr> {
      if (i == 11) return fail(ErrorCode::kIo, "d11", "cannot open");
      return SourcePtr(SourcePtr(), owned[i].get());
    };
    std::mutex mu;
    std::vector<int> delivered(owned.size(), 0), hashed_after(owned.size(), 0);
    std::vector<std::string> digests(owned.size());
    batch.deliver = [&](size_t i, Result<std::string> d) {
      std::lock_guard lock(mu);
      ++delivered[i];
      digests[i] = d ? *d : "error: " + d.error().rule;
    };
    batch.hashed = [&](size_t i, uint64_t) {
      std::lock_guard lock(mu);
      hashed_after[i] = delivered[i];  // the result came first
    };
    auto all = hash_sources(k, batch, &pool);
    for (size_t i = 0; i < owned.size(); ++i) {
      CHECK(delivered[i] == 1);
      CHECK(hashed_after[i] == 1);
      CHECK(all[i]);
      CHECK(all[i]->empty());  // handed over, not kept
      CHECK(digests[i] == (i == 11 ? "error: cannot open" : *hash_source(k, *owned[i])));
    }
  }
}

TEST_CASE("hash_sources takes runs of consecutive sources on one thread", "[core][hash]") {
  std::vector<std::unique_ptr<MemorySource>> owned;
  for (size_t i = 0; i < 50; ++i)
    owned.push_back(std::make_unique<MemorySource>(std::vector<uint8_t>(1000 + i * 300, static_cast<uint8_t>(i)),
                                                   "r" + std::to_string(i)));
  ThreadPool pool(3);
  for (HashKind k : {HashKind::kSha256, HashKind::kSha1}) {
    std::mutex mu;
    std::vector<std::pair<std::thread::id, size_t>> opened(owned.size());  // thread, order of opening
    size_t order = 0;
    SourceBatch batch;
    batch.count = owned.size();
    batch.run = 8;
    batch.open = [&](size_t i) -> Result<SourcePtr> {
      std::lock_guard lock(mu);
      opened[i] = {std::this_thread::get_id(), order++};
      return SourcePtr(SourcePtr(), owned[i].get());
    };
    auto all = hash_sources(k, batch, &pool);
    for (size_t i = 0; i < owned.size(); ++i) {
      CHECK(*all[i] == *hash_source(k, *owned[i]));
      if (i % 8 == 0) continue;
      CHECK(opened[i].first == opened[i - 1].first);  // the run's thread
      CHECK(opened[i].second > opened[i - 1].second);  // in order
    }
  }
}

TEST_CASE("hash_source reads a long unmapped source ahead and hashes it in order", "[core][hash]") {
  // 70 MiB and 3 bytes: past the read-ahead threshold (64 MiB), the last block short.
  const uint64_t size = (70ull << 20) + 3;
  Hasher expect(HashKind::kSha256);
  std::vector<uint8_t> piece(1u << 20);
  for (uint64_t off = 0; off < size; off += piece.size()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(piece.size(), size - off));
    for (size_t i = 0; i < n; ++i) piece[i] = test::pattern(off + i);
    expect.update(Bytes(piece.data(), n));
  }
  const std::string want = expect.hex_digest();
  test::PatternSource src(size);
  auto got = hash_source(HashKind::kSha256, src);
  REQUIRE(got);
  CHECK(*got == want);
  CHECK(src.reads == 18);  // 4 MiB blocks: 17 whole and the short last one, each read once

  // A block that cannot be read: its error, whichever thread read it, and no digest.
  test::PatternSource broken(size, (41ull << 20) + 5);
  auto bad = hash_source(HashKind::kSha256, broken);
  REQUIRE(!bad);
  CHECK(bad.error().message() == "pattern: byte 0x2900005 cannot be decoded");
}
