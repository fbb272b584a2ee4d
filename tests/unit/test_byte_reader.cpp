#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/checked.hpp"

using namespace upscope;

namespace {
const std::vector<uint8_t> kData = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 'a', 'b', 0, 'c'};
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
}  // namespace

TEST_CASE("checked arithmetic detects wrap-around", "[core][byte_reader]") {
  CHECK(checked_add(1, 2) == 3u);
  CHECK_FALSE(checked_add(kMax, 1));
  CHECK(checked_add(kMax, 0) == kMax);
  CHECK_FALSE(checked_mul(uint64_t{1} << 32, uint64_t{1} << 32));
  CHECK(checked_mul(uint64_t{1} << 31, 2) == (uint64_t{1} << 32));
  CHECK(range_fits(0, 0, 0));
  CHECK(range_fits(10, 0, 10));
  CHECK_FALSE(range_fits(11, 0, 10));
  CHECK(range_fits(2, 8, 10));
  CHECK_FALSE(range_fits(3, 8, 10));
  CHECK_FALSE(range_fits(kMax, 1, 10));
  CHECK_FALSE(range_fits(1, kMax, 10));
  CHECK_FALSE(range_fits(kMax, kMax, kMax - 1));
  CHECK(range_fits(kMax, 0, kMax));
}

TEST_CASE("ByteReader reads both byte orders", "[core][byte_reader]") {
  ByteReader r(kData, 0x100, "test struct");
  CHECK(*r.u8(0) == 0x01);
  CHECK(*r.u16le(0) == 0x0201);
  CHECK(*r.u16be(0) == 0x0102);
  CHECK(*r.u32le(0) == 0x04030201u);
  CHECK(*r.u32be(0) == 0x01020304u);
  CHECK(*r.u64le(0) == 0x0807060504030201ull);
  CHECK(*r.u64be(0) == 0x0102030405060708ull);
  CHECK(*r.u32be(4) == 0x05060708u);
}

TEST_CASE("ByteReader rejects every read that crosses the end", "[core][byte_reader]") {
  ByteReader r(kData, 0x100, "test struct");
  const uint64_t n = kData.size();
  CHECK(r.u8(n - 1));
  CHECK_FALSE(r.u8(n));
  CHECK(r.u32le(n - 4));
  CHECK_FALSE(r.u32le(n - 3));
  CHECK_FALSE(r.u64le(n - 7));
  CHECK_FALSE(r.u64le(kMax));
  CHECK_FALSE(r.u64le(kMax - 3));
  CHECK_FALSE(r.u16be(kMax));
  CHECK(r.bytes(n, 0));
  CHECK_FALSE(r.bytes(n + 1, 0));
  CHECK_FALSE(r.bytes(1, kMax));
  CHECK_FALSE(r.bytes(kMax, kMax));
  CHECK_FALSE(r.sub(4, n - 3));
  CHECK(r.sub(4, n - 4));

  auto e = r.u32le(10);
  REQUIRE_FALSE(e);
  CHECK(e.error().code == ErrorCode::kTruncated);
  CHECK(e.error().offset == 0x10au);
  CHECK(e.error().message() == "test struct at 0x10a: needs 4 bytes at +0xa but only 2 remain");
  auto past = r.u8(20);
  REQUIRE_FALSE(past);
  CHECK(past.error().message() == "test struct at 0x114: offset +0x14 is past the end (0xc bytes)");
}

TEST_CASE("an offset that overflows base+off still yields an error, not a wrap", "[core][byte_reader]") {
  ByteReader r(kData, kMax - 2, "far");
  auto e = r.u8(100);
  REQUIRE_FALSE(e);
  CHECK(e.error().offset == kMax - 2);  // falls back to the base, never wraps
}

TEST_CASE("sub-views keep absolute offsets and their own bounds", "[core][byte_reader]") {
  ByteReader r(kData, 0x1000, "outer");
  auto s = r.sub(4, 4, "inner");
  REQUIRE(s);
  CHECK(s->size() == 4);
  CHECK(s->base() == 0x1004);
  CHECK(*s->u32be(0) == 0x05060708u);
  auto e = s->u8(4);
  REQUIRE_FALSE(e);
  CHECK(e.error().structure == "inner");
  CHECK(e.error().offset == 0x1008u);
}

TEST_CASE("strings: fixed fields stop at NUL, C strings must terminate", "[core][byte_reader]") {
  ByteReader r(kData, 0, "names");
  CHECK(*r.fixed_string(8, 4) == "ab");
  CHECK(*r.fixed_string(8, 2) == "ab");
  CHECK(*r.cstring(8) == "ab");
  CHECK(*r.cstring(10) == "");
  auto unterminated = r.cstring(11);
  REQUIRE_FALSE(unterminated);
  CHECK(unterminated.error().rule == "string is not NUL-terminated before the end");
  auto capped = r.cstring(8, 1);
  REQUIRE_FALSE(capped);
  CHECK(capped.error().rule == "string is not NUL-terminated within 1 bytes");
  CHECK_FALSE(r.cstring(13));
}

TEST_CASE("ULEB128 and SLEB128 decode, with overflow and truncation caught", "[core][byte_reader]") {
  const std::vector<uint8_t> v = {0xE5, 0x8E, 0x26, 0x7F, 0x80, 0x7F};
  ByteReader r(v);
  auto a = r.uleb128(0);
  REQUIRE(a);
  CHECK(a->value == 624485u);
  CHECK(a->length == 3);
  CHECK(*r.sleb128(3) == -1);
  CHECK(*r.sleb128(4) == -128);

  const std::vector<uint8_t> max = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  CHECK(ByteReader(max).uleb128(0)->value == kMax);
  const std::vector<uint8_t> too_big = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02};
  auto big = ByteReader(too_big, 0, "trie").uleb128(0);
  REQUIRE_FALSE(big);
  CHECK(big.error().rule == "ULEB128 value does not fit in 64 bits");
  const std::vector<uint8_t> endless(32, 0x80);
  CHECK_FALSE(ByteReader(endless).uleb128(0));
  const std::vector<uint8_t> truncated = {0x80, 0x80};
  auto t = ByteReader(truncated).uleb128(0);
  REQUIRE_FALSE(t);
  CHECK(t.error().code == ErrorCode::kTruncated);
}

TEST_CASE("read<T> copies a raw struct without casting file bytes", "[core][byte_reader]") {
  struct Pair { uint32_t a; uint32_t b; };
  static_assert(sizeof(Pair) == 8);
  ByteReader r(kData);
  auto p = r.read<Pair>(0);
  REQUIRE(p);
  CHECK(p->a == 0x04030201u);
  CHECK(p->b == 0x08070605u);
  CHECK_FALSE(r.read<Pair>(5));
}

TEST_CASE("Cursor errors are sticky and name the first failure", "[core][byte_reader]") {
  ByteReader r(kData, 0, "record");
  Cursor c(r);
  CHECK(c.u32be() == 0x01020304u);
  CHECK(c.u32le() == 0x08070605u);
  CHECK(c.u16be() == ('a' << 8 | 'b'));
  CHECK(c.ok());
  CHECK(c.u32le() == 0);  // only 2 bytes left
  CHECK_FALSE(c.ok());
  CHECK(c.u8() == 0);     // stays failed even though a byte remains
  CHECK(c.error().offset == 10u);
  CHECK(c.tell() == 10);

  Cursor s(r);
  s.skip(kMax);
  CHECK_FALSE(s.ok());
}
