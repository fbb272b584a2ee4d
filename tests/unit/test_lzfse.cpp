// Our LZFSE and LZVN decoders against the reference encoder's streams (MANIFEST §8), the real LZVN
// resource fork inside sr_apfs_content.bin (MANIFEST §5), hand-built streams whose output is
// derived by hand, and one malformed input per validation rule with its exact message.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "compress/codec.hpp"
#include "compress/codec_internal.hpp"
#include "inspect/byte_reader.hpp"
#include "inspect/hash.hpp"
#include "test_support.hpp"

using namespace upscope;
using upscope::compress::lzfse_decode;
using upscope::compress::lzvn_decode;

namespace {

using Buf = std::vector<uint8_t>;

Bytes bytes_of(const Buf& b) { return Bytes(b.data(), b.size()); }

Result<Buf> lzfse(const Buf& in, size_t cap) {
  Buf out(cap);
  auto n = lzfse_decode(bytes_of(in), std::span<uint8_t>(out.data(), out.size()));
  if (!n) return fail(n.error());
  out.resize(*n);
  return out;
}

Result<Buf> lzvn(const Buf& in, size_t cap) {
  Buf out(cap);
  auto n = lzvn_decode(bytes_of(in), std::span<uint8_t>(out.data(), out.size()));
  if (!n) return fail(n.error());
  out.resize(*n);
  return out;
}

template <typename T>
std::string message(const Result<T>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().message();
}

void put_u16(Buf& b, size_t at, uint16_t v) {
  b[at] = uint8_t(v);
  b[at + 1] = uint8_t(v >> 8);
}
void put_u32(Buf& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (8 * i));
}
void append_u16(Buf& b, uint16_t v) { b.push_back(uint8_t(v)), b.push_back(uint8_t(v >> 8)); }
void append_u32(Buf& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(uint8_t(v >> (8 * i)));
}
void append(Buf& b, const std::string& s) { b.insert(b.end(), s.begin(), s.end()); }

// Overwrites `width` bits at `lsb` of the packed u64 at `at` (bvx2 header fields).
void set_packed(Buf& b, size_t at, unsigned lsb, unsigned width, uint64_t value) {
  uint64_t w = load_u64le(&b[at]);
  const uint64_t mask = ((uint64_t(1) << width) - 1) << lsb;
  w = (w & ~mask) | ((value << lsb) & mask);
  for (int i = 0; i < 8; ++i) b[at + i] = uint8_t(w >> (8 * i));
}
uint64_t get_packed(const Buf& b, size_t at, unsigned lsb, unsigned width) {
  return (load_u64le(&b[at]) >> lsb) & ((uint64_t(1) << width) - 1);
}

struct Vector {
  const char* name;
  size_t size;
  const char* sha256;
};
// MANIFEST.md §8.
const Vector kVectors[] = {
    {"lzfse/text.lzfse", 1000000, "3b60e015bae9c63f2b5adaaefe9f3b51517579b2bed20584959e5cfc4edd1e62"},
    {"lzfse/small.lzfse", 2000, "8059114ff5d5463bec698f126ad15aaee028e4348d8a8a95e472350e45d3a70a"},
    {"lzfse/random.lzfse", 65536, "228975ac1fb013504f642bf762c3b93460457baada5a4075f14e6595edfbcdec"},
    {"lzfse/apfs.lzfse", 4153344, "e3e3adcbbf189403d892b013d6cba155f2e58e42ff5eb541ec681c37a91a3f29"},
};

// Rewrites every bvx2 header as the equivalent bvx1 header (fields unpacked, the 360 frequencies as
// plain u16), decoding the v2 frequency code from the description in docs/formats/lzfse.md §5 rather
// than with the decoder's own parser. Payloads are copied unchanged.
Buf v2_to_v1(const Buf& s) {
  static const int kBits[32] = {2, 3, 2, 5, 2, 3, 2, 8, 2, 3, 2, 5, 2, 3, 2, 14,
                                2, 3, 2, 5, 2, 3, 2, 8, 2, 3, 2, 5, 2, 3, 2, 14};
  static const int kValue[32] = {0, 2, 1, 4, 0, 3, 1, -1, 0, 2, 1, 5, 0, 3, 1, -1,
                                 0, 2, 1, 6, 0, 3, 1, -1, 0, 2, 1, 7, 0, 3, 1, -1};
  Buf out;
  size_t pos = 0;
  for (;;) {
    REQUIRE(pos + 4 <= s.size());
    const uint32_t magic = load_u32le(&s[pos]);
    if (magic == 0x24787662) {  // bvx$
      out.insert(out.end(), s.begin() + long(pos), s.begin() + long(pos) + 4);
      return out;
    }
    REQUIRE(magic == 0x32787662);  // the vectors hold only bvx2 blocks besides the end marker
    const uint32_t n_raw = load_u32le(&s[pos + 4]);
    const uint64_t header_size = get_packed(s, pos + 24, 0, 32);
    std::vector<uint16_t> freq(360, 0);
    uint64_t acc = 0;
    int nbits = 0;
    size_t p = pos + 32;
    for (int i = 0; i < 360 && header_size > 32; ++i) {
      while (nbits <= 48 && p < pos + header_size) acc |= uint64_t(s[p++]) << nbits, nbits += 8;
      const int code = int(acc & 31), n = kBits[code];
      freq[size_t(i)] = uint16_t(n == 8 ? 8 + ((acc >> 4) & 15) : n == 14 ? 24 + ((acc >> 4) & 1023) : kValue[code]);
      acc >>= n;
      nbits -= n;
    }
    const uint32_t n_lit_payload = uint32_t(get_packed(s, pos + 8, 20, 20));
    const uint32_t n_lmd_payload = uint32_t(get_packed(s, pos + 16, 40, 20));
    append_u32(out, 0x31787662);
    append_u32(out, n_raw);
    append_u32(out, n_lit_payload + n_lmd_payload);
    append_u32(out, uint32_t(get_packed(s, pos + 8, 0, 20)));   // n_literals
    append_u32(out, uint32_t(get_packed(s, pos + 8, 40, 20)));  // n_matches
    append_u32(out, n_lit_payload);
    append_u32(out, n_lmd_payload);
    append_u32(out, uint32_t(int32_t(get_packed(s, pos + 8, 60, 3)) - 7));  // literal_bits
    for (unsigned i = 0; i < 4; ++i) append_u16(out, uint16_t(get_packed(s, pos + 16, 10 * i, 10)));
    append_u32(out, uint32_t(int32_t(get_packed(s, pos + 16, 60, 3)) - 7));  // lmd_bits
    append_u16(out, uint16_t(get_packed(s, pos + 24, 32, 10)));
    append_u16(out, uint16_t(get_packed(s, pos + 24, 42, 10)));
    append_u16(out, uint16_t(get_packed(s, pos + 24, 52, 10)));
    for (uint16_t f : freq) append_u16(out, f);
    const size_t payload_at = pos + header_size;
    out.insert(out.end(), s.begin() + long(payload_at), s.begin() + long(payload_at + n_lit_payload + n_lmd_payload));
    pos = payload_at + n_lit_payload + n_lmd_payload;
  }
}

// A bvx1 block built by hand. Every table gives all its states to one symbol, so that symbol has
// frequency == table size, reads 0 state bits, and the decoded values are known without running
// an encoder: L = l_symbol's base, M = m_symbol's base, D = d_symbol's base (extra bits read as 0
// from the all-zero payloads). Bases: L/M symbols below 16 are their own value; D symbol 4 is 4.
Buf hand_v1_block(uint32_t n_raw, uint32_t n_literals, uint8_t literal, uint32_t n_matches, int l_symbol,
                  int m_symbol, int d_symbol) {
  Buf b;
  append_u32(b, 0x31787662);
  append_u32(b, n_raw);
  append_u32(b, 16);  // n_payload_bytes: 8 + 8
  append_u32(b, n_literals);
  append_u32(b, n_matches);
  append_u32(b, 8);  // n_literal_payload_bytes
  append_u32(b, 8);  // n_lmd_payload_bytes
  append_u32(b, 0);  // literal_bits
  for (int i = 0; i < 4; ++i) append_u16(b, 0);
  append_u32(b, 0);  // lmd_bits
  for (int i = 0; i < 3; ++i) append_u16(b, 0);
  std::vector<uint16_t> freq(360, 0);
  freq[size_t(l_symbol)] = 64;
  freq[size_t(20 + m_symbol)] = 64;
  freq[size_t(40 + d_symbol)] = 256;
  freq[size_t(104 + literal)] = 1024;
  for (uint16_t f : freq) append_u16(b, f);
  b.resize(b.size() + 16, 0);  // both payloads: 8 zero bytes
  return b;
}
constexpr size_t kV1FreqAt = 50;  // offset of l_freq[0] in a bvx1 header

Buf with_end(Buf b) {
  append(b, "bvx$");
  return b;
}

}  // namespace

TEST_CASE("LZFSE: the reference encoder's vectors decode to the MANIFEST sizes and hashes", "[lzfse]") {
  for (const Vector& v : kVectors) {
    UPSCOPE_REQUIRE_SAMPLE(path, v.name);
    const Buf in = test::read_bytes(path);
    INFO(v.name);
    auto out = lzfse(in, v.size);
    REQUIRE(out.has_value());
    CHECK(out->size() == v.size);
    CHECK(sha256_hex(bytes_of(*out)) == v.sha256);
    // A roomier buffer gives the same bytes and count.
    auto roomy = lzfse(in, v.size + 4096);
    REQUIRE(roomy.has_value());
    CHECK(roomy->size() == v.size);
    CHECK(*roomy == *out);
  }
}

TEST_CASE("LZFSE: the block structure of the vectors is what MANIFEST lists", "[lzfse]") {
  UPSCOPE_REQUIRE_SAMPLE(text_path, "lzfse/text.lzfse");
  UPSCOPE_REQUIRE_SAMPLE(small_path, "lzfse/small.lzfse");
  const Buf text = test::read_bytes(text_path);
  const Buf small = test::read_bytes(small_path);
  CHECK(std::string(text.begin(), text.begin() + 4) == "bvx2");
  CHECK(std::string(small.begin(), small.begin() + 4) == "bvxn");
  CHECK(std::string(text.end() - 4, text.end()) == "bvx$");
  CHECK(std::string(small.end() - 4, small.end()) == "bvx$");
}

TEST_CASE("LZFSE: bvx1 blocks (uncompressed tables) decode like the bvx2 blocks they restate", "[lzfse]") {
  for (const char* name : {"lzfse/text.lzfse", "lzfse/random.lzfse", "lzfse/apfs.lzfse"}) {
    const Vector& v = *std::find_if(std::begin(kVectors), std::end(kVectors),
                                    [&](const Vector& x) { return std::string(x.name) == name; });
    UPSCOPE_REQUIRE_SAMPLE(path, name);
    INFO(name);
    const Buf v1 = v2_to_v1(test::read_bytes(path));
    CHECK(std::string(v1.begin(), v1.begin() + 4) == "bvx1");
    auto out = lzfse(v1, v.size);
    REQUIRE(out.has_value());
    CHECK(sha256_hex(bytes_of(*out)) == v.sha256);
  }
}

TEST_CASE("LZFSE: hand-built bvx-, bvx1 and bvxn blocks", "[lzfse]") {
  // Stored block then a bvx1 block: 4 literals 'A' (L = 4), then a match of M = 6 at D = 1, i.e.
  // ten 'A's, then a bvxn block whose LZVN payload is a small literal "xyz" and end-of-stream.
  Buf s;
  append(s, "bvx-");
  append_u32(s, 5);
  append(s, "hello");
  const Buf v1 = hand_v1_block(10, 4, 'A', 1, /*L=*/4, /*M=*/6, /*D symbol 1 = 1*/ 1);
  s.insert(s.end(), v1.begin(), v1.end());
  append(s, "bvxn");
  append_u32(s, 3);
  append_u32(s, 12);
  const uint8_t lzvn_payload[] = {0xE3, 'x', 'y', 'z', 0x06, 0, 0, 0, 0, 0, 0, 0};
  s.insert(s.end(), std::begin(lzvn_payload), std::end(lzvn_payload));
  s = with_end(s);
  auto out = lzfse(s, 100);
  REQUIRE(out.has_value());
  CHECK(std::string(out->begin(), out->end()) == "helloAAAAAAAAAAxyz");
  // An empty stream is just the end marker.
  auto empty = lzfse(with_end({}), 0);
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
}

TEST_CASE("LZVN: the /compressed.txt resource fork of sr_apfs_content.bin decodes to the MANIFEST hash", "[lzfse]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "sr_apfs_content.bin");
  const Buf img = test::read_bytes(path);
  // MANIFEST §5: dstream 24 is 1526 bytes starting with the chunk-offset table (16, 560, 1104, 1526).
  const uint8_t table[16] = {16, 0, 0, 0, 0x30, 2, 0, 0, 0x50, 4, 0, 0, 0xf6, 5, 0, 0};
  auto it = std::search(img.begin(), img.end(), std::begin(table), std::end(table));
  REQUIRE(it != img.end());
  const size_t fork_at = size_t(it - img.begin());
  CHECK(fork_at == 378u * 4096);  // block 378: the fork's extent starts a 4 KiB block
  const uint32_t offsets[4] = {16, 560, 1104, 1526};
  Buf all;
  for (int c = 0; c < 3; ++c) {
    const Bytes chunk(img.data() + fork_at + offsets[c], offsets[c + 1] - offsets[c]);
    REQUIRE(chunk[0] != 0x06);  // 0x06 first would mark a stored chunk; these are compressed
    const size_t expect = c < 2 ? 65536 : 180000 - 2 * 65536;
    Buf out(expect);
    auto n = lzvn_decode(chunk, std::span<uint8_t>(out.data(), out.size()));
    REQUIRE(n.has_value());
    CHECK(*n == expect);
    all.insert(all.end(), out.begin(), out.end());
  }
  CHECK(all.size() == 180000);
  CHECK(sha256_hex(bytes_of(all)) == "3f58a41850c1096de883ada14c98c2375a85b473c80ccbef03c9e72c113abc78");
  CHECK(std::string(all.begin(), all.begin() + 45) == "The quick brown fox jumps over the lazy dog. ");
}

// The stream below exercises every LZVN opcode kind. Its output was worked out by hand from the
// opcode table in docs/formats/lzfse.md §7, writing the output after each opcode:
//   E5 "hello"          small literal, L=5                         -> "hello"
//   48 05 " "           01 001 000 + 0x05: L=1, M=4, D=5            -> "hello " + "ello"
//   46 "X"              01 000 110: previous D=5, L=1, M=3          -> "X" + "ell"
//   F2                  small match M=2, previous D=5               -> "oX"
//   A0 40 00            101 00 000, u16 0x0040: M=(0<<2|0)+3=3, D=0x40>>2=16 -> "hel"
//   07 13 00            00 000 111 + u16 19: L=0, M=3, D=19          -> "hel"
//   0E                  nop
//   E0 00 "A..P"        large literal, L=16+0                       -> "ABCDEFGHIJKLMNOP"
//   F0 04               large match M=16+4=20, previous D=19: output[38+i] = output[19+i], which
//                       is "hel" + "ABCDEFGHIJKLMNOP" and then output[57] = output[38] = 'h'
//   38 01               00 111 000 + 0x01: M=10, D=1: ten copies of the last byte 'h'
//   06 00*7             end of stream
TEST_CASE("LZVN: a hand-built stream using every opcode kind", "[lzfse]") {
  Buf s = {0xE5, 'h', 'e', 'l', 'l', 'o', 0x48, 0x05, ' ', 0x46, 'X', 0xF2, 0xA0, 0x40, 0x00, 0x07, 0x13, 0x00, 0x0E, 0xE0, 0x00};
  append(s, "ABCDEFGHIJKLMNOP");
  for (uint8_t b : {0xF0, 0x04, 0x38, 0x01, 0x06, 0, 0, 0, 0, 0, 0, 0}) s.push_back(b);
  const std::string expect = std::string("hello elloXelloXhelhel") + "ABCDEFGHIJKLMNOP" + "helABCDEFGHIJKLMNOPh" +
                             std::string(10, 'h');
  auto out = lzvn(s, 200);
  REQUIRE(out.has_value());
  CHECK(std::string(out->begin(), out->end()) == expect);
  // Exactly-sized output works too (the careful copy paths near the end of the buffer).
  auto tight = lzvn(s, expect.size());
  REQUIRE(tight.has_value());
  CHECK(std::string(tight->begin(), tight->end()) == expect);
}

TEST_CASE("LZVN: malformed streams, one per rule", "[lzfse]") {
  SECTION("undefined opcodes") {
    for (uint8_t op : {0x1E, 0x26, 0x2E, 0x36, 0x3E, 0x70, 0x7F, 0xD0, 0xDF}) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", op);
      CHECK(message(lzvn({0xE1, 'a', op}, 100)) == std::string("LZVN at 0x2: undefined opcode ") + hex);
    }
  }
  SECTION("literals past the end of input") {
    CHECK(message(lzvn({0xE5, 'a', 'b'}, 100)) ==
          "LZVN at 0x0: opcode 0xe5 and its operands or literals extend past the end of input");
  }
  SECTION("operands past the end of input") {
    CHECK(message(lzvn({0xE1, 'a', 0x07, 0x01}, 100)) ==
          "LZVN at 0x2: opcode 0x07 and its operands or literals extend past the end of input");
  }
  SECTION("end-of-stream opcode without its 7 padding bytes") {
    CHECK(message(lzvn({0xE1, 'a', 0x06, 0, 0}, 100)) ==
          "LZVN at 0x2: opcode 0x06 and its operands or literals extend past the end of input");
  }
  SECTION("no end-of-stream opcode") {
    auto r = lzvn({0xE1, 'a'}, 100);
    CHECK(message(r) == "LZVN at 0x2: stream ends without the end-of-stream opcode 0x06");
    CHECK(r.error().code == ErrorCode::kTruncated);
  }
  SECTION("match distance before the start of output") {
    // 'a', ten more 'a's (M=10, D=1), seven large matches of 271 and one of 92 reusing D=1:
    // 1 + 10 + 1897 + 92 = 2000 bytes; then a large-distance match with D = 4096.
    Buf s = {0xE1, 'a', 0x38, 0x01};
    for (int i = 0; i < 7; ++i) s.push_back(0xF0), s.push_back(0xFF);
    for (uint8_t b : {0xF0, 0x4C, 0x07, 0x00, 0x10, 0x06, 0, 0, 0, 0, 0, 0, 0}) s.push_back(b);
    CHECK(message(lzvn(s, 10000)) ==
          "LZVN at 0x14: match distance 4096 reaches before the start of output (2000 bytes written)");
  }
  SECTION("bad distances far from the end of input (the unchecked fast loop)") {
    // The same rules when more than 300 bytes follow the opcode: padding of large literals.
    auto padded = [](Buf s) {
      for (int i = 0; i < 2; ++i) {
        s.push_back(0xE0), s.push_back(0xFF);
        s.insert(s.end(), 271, 'z');
      }
      for (uint8_t b : {0x06, 0, 0, 0, 0, 0, 0, 0}) s.push_back(b);
      return s;
    };
    CHECK(message(lzvn(padded({0xE1, 'a', 0x07, 0x00, 0x10}), 10000)) ==
          "LZVN at 0x2: match distance 4096 reaches before the start of output (1 bytes written)");
    CHECK(message(lzvn(padded({0xE1, 'a', 0x00, 0x00}), 10000)) ==
          "LZVN at 0x2: match distance 0 is invalid (no previous distance to reuse)");
    CHECK(message(lzvn(padded({0xE1, 'a', 0xF3}), 10000)) ==
          "LZVN at 0x2: match distance 0 is invalid (no previous distance to reuse)");
    auto ok = lzvn(padded({0xE1, 'a', 0x38, 0x01}), 10000);
    REQUIRE(ok.has_value());
    CHECK(ok->size() == 11 + 2 * 271);
  }
  SECTION("a match with no previous distance") {
    CHECK(message(lzvn({0xE1, 'a', 0xF3}, 100)) ==
          "LZVN at 0x2: match distance 0 is invalid (no previous distance to reuse)");
  }
  SECTION("output that does not fit is a limit error") {
    auto r = lzvn({0xE5, 'h', 'e', 'l', 'l', 'o', 0x48, 0x05, ' ', 0x06, 0, 0, 0, 0, 0, 0, 0}, 5);
    CHECK(message(r) == "LZVN at 0x6: decoded data exceeds the output buffer of 5 bytes");
    CHECK(r.error().code == ErrorCode::kLimit);
    CHECK(compress::detail::is_output_full(r.error()));
  }
}

TEST_CASE("LZFSE: malformed streams, one per rule", "[lzfse]") {
  SECTION("unknown block magic") {
    auto r = lzfse({'b', 'v', 'x', '9', 0, 0, 0, 0}, 100);
    CHECK(message(r) == "LZFSE stream at 0x0: unknown block magic 0x39787662");
  }
  SECTION("missing bvx$ end marker") {
    Buf s;
    append(s, "bvx-");
    append_u32(s, 2);
    append(s, "hi");
    auto r = lzfse(s, 100);
    CHECK(message(r) == "LZFSE stream at 0xa: ends without the bvx$ end-of-stream block");
    CHECK(r.error().code == ErrorCode::kTruncated);
  }
  SECTION("bvx- payload past the end of input") {
    Buf s;
    append(s, "bvx-");
    append_u32(s, 16);
    append(s, "hello");
    CHECK(message(lzfse(s, 100)) == "LZFSE bvx- block at 0x0: payload extends past the end of input");
  }
  SECTION("bvx- header past the end of input") {
    CHECK(message(lzfse({'b', 'v', 'x', '-', 5, 0}, 100)) ==
          "LZFSE bvx- block at 0x0: header extends past the end of input");
  }
  SECTION("declared size larger than the remaining output") {
    Buf s;
    append(s, "bvx-");
    append_u32(s, 5);
    append(s, "hello");
    auto r = lzfse(with_end(s), 3);
    CHECK(message(r) ==
          "LZFSE bvx- block at 0x0: decoded data exceeds the output buffer of 3 bytes (the block declares 5 bytes at "
          "output offset 0)");
    CHECK(r.error().code == ErrorCode::kLimit);
    CHECK(compress::detail::is_output_full(r.error()));
  }
  SECTION("bvx1: literal lengths beyond the decoded literals") {
    CHECK(message(lzfse(with_end(hand_v1_block(10, 4, 'A', 1, 5, 0, 0)), 100)) ==
          "LZFSE bvx1 block at 0x0: match 0: literal lengths use more than the 4 literals the block holds");
  }
  SECTION("bvx1: a match distance before the start of output") {
    // L = 0, M = 3, D symbol 4 = distance 4 with its one extra bit 0, at output offset 0.
    CHECK(message(lzfse(with_end(hand_v1_block(3, 0, 'A', 1, 0, 3, 4)), 100)) ==
          "LZFSE bvx1 block at 0x0: match 0: distance 4 reaches before the start of output (0 bytes written)");
  }
  SECTION("bvx1: D = 0 (reuse) with no previous distance in the block") {
    CHECK(message(lzfse(with_end(hand_v1_block(7, 4, 'A', 1, 4, 3, 0)), 100)) ==
          "LZFSE bvx1 block at 0x0: match 0: reuses the previous distance but the block has none");
  }
  SECTION("bvx1: output larger than the header promised") {
    CHECK(message(lzfse(with_end(hand_v1_block(9, 4, 'A', 1, 4, 6, 1)), 100)) ==
          "LZFSE bvx1 block at 0x0: decodes to more than the 9 bytes its header declares");
  }
  SECTION("bvx1: output smaller than the header promised") {
    CHECK(message(lzfse(with_end(hand_v1_block(11, 4, 'A', 1, 4, 6, 1)), 100)) ==
          "LZFSE bvx1 block at 0x0: decodes to 10 bytes, fewer than the 11 its header declares");
  }
  SECTION("bvx1: literal state out of range") {
    Buf b = hand_v1_block(10, 4, 'A', 1, 4, 6, 1);
    put_u16(b, 32 + 2 * 2, 1024);
    CHECK(message(lzfse(with_end(b), 100)) ==
          "LZFSE bvx1 block at 0x0: literal_state[2] 1024 is not below the 1024 literal states");
  }
  SECTION("bvx1: literal_bits out of range") {
    Buf b = hand_v1_block(10, 4, 'A', 1, 4, 6, 1);
    put_u32(b, 28, uint32_t(-8));
    CHECK(message(lzfse(with_end(b), 100)) == "LZFSE bvx1 block at 0x0: literal_bits -8 is outside [-7, 0]");
  }
  SECTION("bvx1: lmd_bits out of range") {
    Buf b = hand_v1_block(10, 4, 'A', 1, 4, 6, 1);
    put_u32(b, 40, 1);
    CHECK(message(lzfse(with_end(b), 100)) == "LZFSE bvx1 block at 0x0: lmd_bits 1 is outside [-7, 0]");
  }
  SECTION("bvx1: frequencies that do not sum to the table size") {
    Buf b = hand_v1_block(10, 4, 'A', 1, 4, 6, 1);
    put_u16(b, kV1FreqAt + 2 * 7, 1);  // L symbol 7 gets one state too: 65 of 64
    CHECK(message(lzfse(with_end(b), 100)) ==
          "LZFSE bvx1 block at 0x0: L frequencies sum to 65, not the table size 64");
    Buf d = hand_v1_block(10, 4, 'A', 1, 4, 6, 1);
    put_u16(d, kV1FreqAt + 2 * (40 + 1), 255);  // D: 255 of 256
    CHECK(message(lzfse(with_end(d), 100)) ==
          "LZFSE bvx1 block at 0x0: D frequencies sum to 255, not the table size 256");
  }
  SECTION("bvx1: an empty table that the block needs") {
    Buf b = hand_v1_block(10, 4, 'A', 1, 4, 6, 1);
    put_u16(b, kV1FreqAt + 2 * (104 + 'A'), 0);
    CHECK(message(lzfse(with_end(b), 100)) ==
          "LZFSE bvx1 block at 0x0: literal frequencies are all zero but the block has 4 literals");
  }
  SECTION("bvx1: header past the end of input") {
    Buf b = hand_v1_block(10, 4, 'A', 1, 4, 6, 1);
    b.resize(700);
    CHECK(message(lzfse(b, 100)) == "LZFSE bvx1 block at 0x0: header extends past the end of input");
  }
  SECTION("bvx1: payload past the end of input") {
    Buf b = hand_v1_block(10, 4, 'A', 1, 4, 6, 1);
    b.resize(b.size() - 1);
    CHECK(message(lzfse(b, 100)) == "LZFSE bvx1 block at 0x0: payload extends past the end of input");
  }
}

TEST_CASE("LZFSE: malformed bvx2 blocks made from text.lzfse, one per rule", "[lzfse]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "lzfse/text.lzfse");
  const Buf text = test::read_bytes(path);
  const uint32_t n_raw = load_u32le(&text[4]);
  const uint64_t header_size = get_packed(text, 24, 0, 32);
  const uint64_t block_size =
      header_size + get_packed(text, 8, 20, 20) + get_packed(text, 16, 40, 20);  // header + both payloads
  REQUIRE(std::string(text.begin() + long(block_size), text.begin() + long(block_size) + 4) == "bvx2");
  // The first block alone, then the end marker.
  const Buf first = with_end(Buf(text.begin(), text.begin() + long(block_size)));
  REQUIRE(lzfse(first, n_raw).has_value());
  const std::string at0 = "LZFSE bvx2 block at 0x0: ";

  SECTION("payload past the end of input") {
    const Buf cut(text.begin(), text.begin() + long(block_size) - 10);
    auto r = lzfse(cut, 2000000);
    CHECK(message(r) == at0 + "payload extends past the end of input");
    CHECK(r.error().code == ErrorCode::kTruncated);
  }
  SECTION("fixed header past the end of input") {
    CHECK(message(lzfse(Buf(text.begin(), text.begin() + 20), 2000000)) ==
          at0 + "header extends past the end of input");
  }
  SECTION("frequency tables past the end of input") {
    CHECK(message(lzfse(Buf(text.begin(), text.begin() + 40), 2000000)) ==
          at0 + "header extends past the end of input");
  }
  SECTION("header_size below the fixed header") {
    Buf b = first;
    set_packed(b, 24, 0, 32, 16);
    CHECK(message(lzfse(b, 2000000)) == at0 + "header_size 16 is smaller than the 32-byte fixed header");
  }
  SECTION("frequency tables shorter than header_size") {
    Buf b = first;
    set_packed(b, 24, 0, 32, header_size + 1);
    CHECK(message(lzfse(b, 2000000)) == at0 + "frequency tables leave 1 unused bytes before header_size " +
                                            std::to_string(header_size + 1));
  }
  SECTION("frequency tables longer than header_size") {
    Buf b = first;
    set_packed(b, 24, 0, 32, 40);
    CHECK_THAT(message(lzfse(b, 2000000)),
               Catch::Matchers::StartsWith(at0 + "frequency tables end after ") &&
                   Catch::Matchers::EndsWith(" of 360 values (header_size 40)"));
  }
  SECTION("n_literals above the block maximum") {
    Buf b = first;
    set_packed(b, 8, 0, 20, 40004);
    CHECK(message(lzfse(b, 2000000)) == at0 + "n_literals 40004 exceeds the 40000 literals a block may hold");
  }
  SECTION("n_matches above the block maximum") {
    Buf b = first;
    set_packed(b, 8, 40, 20, 10001);
    CHECK(message(lzfse(b, 2000000)) == at0 + "n_matches 10001 exceeds the 10000 matches a block may hold");
  }
  SECTION("L, M, D states out of range") {
    Buf b = first;
    set_packed(b, 24, 32, 10, 64);
    CHECK(message(lzfse(b, 2000000)) == at0 + "l_state 64 is not below the 64 L states");
    b = first;
    set_packed(b, 24, 42, 10, 100);
    CHECK(message(lzfse(b, 2000000)) == at0 + "m_state 100 is not below the 64 M states");
    b = first;
    set_packed(b, 24, 52, 10, 256);
    CHECK(message(lzfse(b, 2000000)) == at0 + "d_state 256 is not below the 256 D states");
  }
  SECTION("block output larger or smaller than n_raw_bytes") {
    Buf b = first;
    put_u32(b, 4, n_raw - 1);
    CHECK(message(lzfse(b, 2000000)) == at0 + "decodes to more than the " + std::to_string(n_raw - 1) +
                                            " bytes its header declares");
    b = first;
    put_u32(b, 4, n_raw + 1);
    CHECK(message(lzfse(b, 2000000)) == at0 + "decodes to " + std::to_string(n_raw) + " bytes, fewer than the " +
                                            std::to_string(n_raw + 1) + " its header declares");
  }
  SECTION("declared size larger than the remaining output") {
    auto r = lzfse(first, n_raw - 1);
    CHECK(message(r) == at0 + "decoded data exceeds the output buffer of " + std::to_string(n_raw - 1) +
                            " bytes (the block declares " + std::to_string(n_raw) + " bytes at output offset 0)");
    CHECK(r.error().code == ErrorCode::kLimit);
    // The whole stream into a buffer one byte short fails the same way at its last block.
    auto whole = lzfse(text, 999999);
    REQUIRE_FALSE(whole.has_value());
    CHECK(compress::detail::is_output_full(whole.error()));
  }
  SECTION("literal stream consumes more bits than its payload holds") {
    Buf b = first;
    set_packed(b, 8, 0, 20, get_packed(b, 8, 0, 20) + 4000);
    CHECK(message(lzfse(b, 2000000)) == at0 + "literal stream reads past the start of its payload");
  }
  SECTION("literal stream padding bits not zero") {
    // Claim the final literal byte holds only 1 stream bit: its top 7 bits must then be zero.
    Buf b = first;
    set_packed(b, 8, 60, 3, 0);
    CHECK(message(lzfse(b, 2000000)) == at0 + "literal stream's padding bits above literal_bits are not zero");
  }
  SECTION("a later block's match reaching before the start of output") {
    // The second block decoded alone: its first long-distance match points into block 1's output.
    const Buf second(text.begin() + long(block_size), text.end());
    auto r = lzfse(second, 2000000);
    CHECK_THAT(message(r), Catch::Matchers::StartsWith("LZFSE bvx2 block at 0x0: match ") &&
                               Catch::Matchers::Contains(" reaches before the start of output ("));
  }
}

TEST_CASE("LZFSE: malformed bvxn blocks made from small.lzfse, one per rule", "[lzfse]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "lzfse/small.lzfse");
  const Buf small = test::read_bytes(path);
  const uint32_t n_payload = load_u32le(&small[8]);
  REQUIRE(small.size() == 12 + n_payload + 4);
  const std::string at0 = "LZFSE bvxn block at 0x0: ";
  SECTION("payload past the end of input") {
    CHECK(message(lzfse(Buf(small.begin(), small.end() - 10), 4000)) == at0 + "payload extends past the end of input");
  }
  SECTION("header past the end of input") {
    CHECK(message(lzfse(Buf(small.begin(), small.begin() + 10), 4000)) == at0 + "header extends past the end of input");
  }
  SECTION("output larger than n_raw_bytes") {
    Buf b = small;
    put_u32(b, 4, 1999);
    CHECK(message(lzfse(b, 4000)) == at0 + "decodes to more than the 1999 bytes its header declares");
  }
  SECTION("output smaller than n_raw_bytes") {
    Buf b = small;
    put_u32(b, 4, 2001);
    CHECK(message(lzfse(b, 4000)) == at0 + "decodes to 2000 bytes, fewer than the 2001 its header declares");
  }
  SECTION("bytes after the LZVN end-of-stream opcode") {
    Buf b(small.begin(), small.end() - 4);
    b.push_back(0);
    put_u32(b, 8, n_payload + 1);
    CHECK(message(lzfse(with_end(b), 4000)) == at0 + "LZVN payload has 1 bytes after its end-of-stream opcode");
  }
  SECTION("LZVN payload without its end-of-stream opcode") {
    Buf b(small.begin(), small.end() - 4 - 8);
    put_u32(b, 8, n_payload - 8);
    CHECK(message(lzfse(with_end(b), 4000)) ==
          "LZVN at 0x" + [&] {
            char h[16];
            std::snprintf(h, sizeof h, "%x", unsigned(12 + n_payload - 8));
            return std::string(h);
          }() + ": stream ends without the end-of-stream opcode 0x06");
  }
}

TEST_CASE("LZFSE and LZVN through the codec dispatcher: growing buffers and the bomb guard", "[lzfse]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "lzfse/apfs.lzfse");
  const Buf in = test::read_bytes(path);  // 7,052 bytes that decode to 4,153,344 (MANIFEST §8)
  auto grown = compress::decode_to_vector(compress::Codec::kLzfse, bytes_of(in), uint64_t(64) << 20);
  REQUIRE(grown.has_value());
  CHECK(grown->size() == 4153344);
  CHECK(sha256_hex(bytes_of(*grown)) == "e3e3adcbbf189403d892b013d6cba155f2e58e42ff5eb541ec681c37a91a3f29");
  auto capped = compress::decode_to_vector(compress::Codec::kLzfse, bytes_of(in), 1 << 20);
  CHECK(message(capped) == "lzfse stream: decoded data exceeds the limit of 1048576 bytes (decompression bomb guard)");
  CHECK(capped.error().code == ErrorCode::kLimit);

  // 'a', ten more (M=10 at D=1), then 271 more reusing D=1: 282 'a's.
  const Buf vn = {0xE1, 'a', 0x38, 0x01, 0xF0, 0xFF, 0x06, 0, 0, 0, 0, 0, 0, 0};
  auto v = compress::decode_to_vector(compress::Codec::kLzvn, bytes_of(vn), 1 << 20);
  REQUIRE(v.has_value());
  CHECK(*v == Buf(282, 'a'));
}
