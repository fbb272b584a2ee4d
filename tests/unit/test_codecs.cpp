// Codecs: library decoders against data made by the command-line tools (independent encoders),
// ADC / LZSS / Apple LZ4 framing against hand-assembled vectors, and one case per validation rule.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "codec_test_util.hpp"
#include "compress/codec.hpp"
#include "compress/complzss.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::compress;
using upscope::test::byte_vector;
using upscope::test::pipe_through;

namespace {

std::vector<uint8_t> hex_bytes(std::initializer_list<int> v) {
  std::vector<uint8_t> out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

// Decodes into an exact-size buffer and returns the bytes (FAILs with the message otherwise).
std::vector<uint8_t> decode_exact(Codec c, const std::vector<uint8_t>& in, size_t size) {
  std::vector<uint8_t> out(size);
  auto n = decode(c, in, out);
  if (!n) FAIL(n.error().message());
  out.resize(*n);
  return out;
}

std::string error_of(Codec c, const std::vector<uint8_t>& in, size_t out_size) {
  std::vector<uint8_t> out(out_size);
  auto n = decode(c, in, out);
  REQUIRE_FALSE(n);
  return n.error().message();
}

ErrorCode code_of(Codec c, const std::vector<uint8_t>& in, size_t out_size) {
  std::vector<uint8_t> out(out_size);
  auto n = decode(c, in, out);
  REQUIRE_FALSE(n);
  return n.error().code;
}

}  // namespace

TEST_CASE("codec names round-trip", "[codec]") {
  for (Codec c : {Codec::kZlib, Codec::kDeflate, Codec::kBzip2, Codec::kXz, Codec::kLzma, Codec::kZstd,
                  Codec::kLz4Frame, Codec::kLz4Block, Codec::kLzfse, Codec::kLzvn, Codec::kAdc, Codec::kLzss,
                  Codec::kLzbitmap}) {
    auto back = codec_from_name(codec_name(c));
    REQUIRE(back);
    CHECK(*back == c);
    CHECK(decoder_for(c) != nullptr);
  }
  CHECK(std::string(codec_name(Codec::kXz)) == "xz");
  CHECK_FALSE(codec_from_name("lzraven"));
}

// ---- library codecs against the command-line encoders -----------------------------------------

TEST_CASE("library codecs decode what the command-line tools wrote", "[codec]") {
  const auto data = test::sample_text(300000);
  struct Case { Codec codec; std::string tool; std::string command; };
  const std::vector<Case> cases = {
      {Codec::kXz, "xz", "xz -c -6"},
      {Codec::kLzma, "xz", "xz -c --format=lzma"},  // "lzma alone" header
      {Codec::kLzma, "xz", "xz -c"},                // ULMO chunks that are xz streams
      {Codec::kBzip2, "bzip2", "bzip2 -c"},
      {Codec::kZstd, "zstd", "zstd -q -c"},
      {Codec::kLz4Frame, "lz4", "lz4 -q -c"},
      {Codec::kZlib, "python3", "python3 -c 'import sys,zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read(), 6))'"},
      {Codec::kDeflate, "python3",
       "python3 -c 'import sys,zlib; c=zlib.compressobj(6, zlib.DEFLATED, -15); "
       "sys.stdout.buffer.write(c.compress(sys.stdin.buffer.read()) + c.flush())'"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.command) {
      if (!test::have_tool(c.tool)) {
        WARN("SKIPPED: " << c.tool << " is not installed");
        continue;
      }
      auto packed = pipe_through(c.command, data);
      REQUIRE(packed.size() < data.size());
      CHECK(decode_exact(c.codec, packed, data.size()) == data);
      // Unknown size: decode_to_vector grows its buffer.
      auto v = decode_to_vector(c.codec, packed, 1 << 20);
      REQUIRE(v);
      CHECK(*v == data);
      // One byte too small: the destination is full (kLimit), never an overrun.
      std::vector<uint8_t> small(data.size() - 1);
      auto n = decode(c.codec, packed, small);
      REQUIRE_FALSE(n);
      CHECK(n.error().code == ErrorCode::kLimit);
      CHECK_THAT(n.error().rule, Catch::Matches(fmt::format("decoded data exceeds the output buffer of {} bytes", data.size() - 1)));
      // Cut in half: an Error, not a short success.
      std::vector<uint8_t> half(packed.begin(), packed.begin() + packed.size() / 2);
      std::vector<uint8_t> out(data.size());
      CHECK_FALSE(decode(c.codec, half, out));
    }
  }
}

TEST_CASE("library codecs: concatenated gzip-free streams", "[codec]") {
  // bzip2(1) and xz(1) accept concatenated streams; so do we.
  auto a = test::sample_text(5000, 1), b = test::sample_text(7000, 2);
  auto both = a;
  both.insert(both.end(), b.begin(), b.end());
  for (std::string cmd : {"bzip2 -c", "xz -c"}) {
    auto pa = pipe_through(cmd, a), pb = pipe_through(cmd, b);
    pa.insert(pa.end(), pb.begin(), pb.end());
    CHECK(decode_exact(cmd[0] == 'b' ? Codec::kBzip2 : Codec::kXz, pa, both.size()) == both);
  }
}

TEST_CASE("library codecs: truncated and corrupt streams", "[codec]") {
  const auto data = test::sample_text(100000);
  auto xz = pipe_through("xz -c", data);
  std::vector<uint8_t> cut(xz.begin(), xz.begin() + 1000);
  CHECK(error_of(Codec::kXz, cut, data.size()) == "xz stream at 0x3e8: stream ends before its end marker");
  CHECK(code_of(Codec::kXz, cut, data.size()) == ErrorCode::kTruncated);
  auto bad_magic = xz;
  bad_magic[1] = 'X';
  CHECK(error_of(Codec::kXz, bad_magic, data.size()) == "xz stream at 0x0: bad magic");
  auto corrupt = xz;
  corrupt[xz.size() / 2] ^= 0xFF;
  CHECK(code_of(Codec::kXz, corrupt, data.size()) == ErrorCode::kMalformed);

  auto bz = pipe_through("bzip2 -c", data);
  std::vector<uint8_t> bz_cut(bz.begin(), bz.begin() + 2000);
  CHECK(error_of(Codec::kBzip2, bz_cut, data.size()) == "bzip2 stream at 0x7d0: stream ends before its end marker");
  CHECK(error_of(Codec::kBzip2, byte_vector("BZx91AY&SY"), 10) == "bzip2 stream at 0x3: missing BZh signature");

  auto z = pipe_through("python3 -c 'import sys,zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))'", data);
  std::vector<uint8_t> z_cut(z.begin(), z.begin() + 500);
  CHECK(error_of(Codec::kZlib, z_cut, data.size()) == "zlib stream at 0x1f4: stream ends before its end marker");
  CHECK(error_of(Codec::kZlib, byte_vector("\x78\x9c\xff\xff"), 10) == "zlib stream at 0x3: invalid block type");

  auto zs = pipe_through("zstd -q -c", data);
  std::vector<uint8_t> zs_cut(zs.begin(), zs.begin() + 300);
  CHECK(error_of(Codec::kZstd, zs_cut, data.size()) == "zstd frame at 0x12c: stream ends before the frame is complete");
  auto lz = pipe_through("lz4 -q -c", data);
  std::vector<uint8_t> lz_cut(lz.begin(), lz.begin() + 300);
  CHECK(error_of(Codec::kLz4Frame, lz_cut, data.size()) == "LZ4 frame at 0x12c: stream ends before the frame is complete");
}

TEST_CASE("decode_to_vector stops at the decompression-bomb cap", "[codec]") {
  std::vector<uint8_t> zeros(4 << 20, 0);  // 4 MiB of zeros: a few hundred bytes of xz
  auto xz = pipe_through("xz -c", zeros);
  REQUIRE(xz.size() < 4096);
  auto v = decode_to_vector(Codec::kXz, xz, 1 << 20);
  REQUIRE_FALSE(v);
  CHECK(v.error().code == ErrorCode::kLimit);
  CHECK(v.error().message() == "xz stream: decoded data exceeds the limit of 1048576 bytes (decompression bomb guard)");
  auto ok = decode_to_vector(Codec::kXz, xz, 4 << 20);
  REQUIRE(ok);
  CHECK(ok->size() == zeros.size());
}

TEST_CASE("xz memory limit refuses a huge dictionary", "[codec]") {
  // xz --lzma2=dict=1GiB writes a header asking for a 1 GiB dictionary: refused, not allocated.
  auto data = test::sample_text(1000);
  auto xz = pipe_through("xz -c --lzma2=preset=1,dict=1GiB", data);
  std::vector<uint8_t> out(data.size());
  auto n = xz_decode(xz, out);
  REQUIRE_FALSE(n);
  CHECK(n.error().code == ErrorCode::kLimit);
  CHECK(n.error().rule == "dictionary needs more than 256 MiB of memory");
}

// ---- ADC -------------------------------------------------------------------------------------

// Hand-assembled from the opcode table (docs/formats/udif.md §7):
//   82 61 62 63   1LLLLLLL L=2: literal "abc"                         -> abc
//   4C 02         01MMMMDD: M=0b0011 -> 6 bytes, D=2 -> distance 3     -> abcabc (overlapping copy)
//   80 58         literal "X"                                          -> X
//   00 00 09      00MMMMMM M=0 -> 4 bytes, D=0x0009 -> distance 10     -> abca (back to the start)
//   80 7A         literal "z"
//   3F 00 00      M=63 -> 67 bytes at distance 1: a run of 67 'z'
// Expected: "abcabcabcX" "abca" "z" + 67 × 'z' = 82 bytes.
TEST_CASE("ADC decodes a hand-assembled stream", "[codec]") {
  auto in = hex_bytes({0x82, 'a', 'b', 'c', 0x4C, 0x02, 0x80, 'X', 0x00, 0x00, 0x09, 0x80, 'z', 0x3F, 0x00, 0x00});
  std::string expected = "abcabcabcXabcaz" + std::string(67, 'z');
  auto out = decode_exact(Codec::kAdc, in, expected.size());
  CHECK(std::string(out.begin(), out.end()) == expected);
}

TEST_CASE("ADC rejects malformed streams", "[codec]") {
  CHECK(error_of(Codec::kAdc, hex_bytes({0x85, 'a', 'b'}), 100) ==
        "ADC stream at 0x0: literal run of 6 bytes runs past the end of the input");
  CHECK(error_of(Codec::kAdc, hex_bytes({0x80, 'a', 0x4C}), 100) ==
        "ADC stream at 0x2: 2-byte match opcode runs past the end of the input");
  CHECK(error_of(Codec::kAdc, hex_bytes({0x80, 'a', 0x00, 0x00}), 100) ==
        "ADC stream at 0x2: 3-byte match opcode runs past the end of the input");
  CHECK(error_of(Codec::kAdc, hex_bytes({0x80, 'a', 0x4C, 0x05}), 100) ==
        "ADC stream at 0x2: match distance 6 reaches before the start of the output (1 bytes written)");
  // Output larger than promised: "abc" + 6-byte match into a 5-byte buffer.
  CHECK(error_of(Codec::kAdc, hex_bytes({0x82, 'a', 'b', 'c', 0x4C, 0x02}), 5) ==
        "ADC stream at 0x4: decoded data exceeds the output buffer of 5 bytes");
}

// ---- LZSS (complzss) ---------------------------------------------------------------------------

// Hand-assembled from the algorithm (ring of 4096 spaces, writes from 4078 = 0xFEE):
//   27            flags, LSB first: 1 1 1 0 0 1 (lit lit lit match match lit), bits 6-7 unused
//   61 62 63      literals "abc" -> ring[0xFEE..0xFF0]
//   EE F3         match: position 0xFEE (EE | F<<8), length 3+3 = 6: overlapping -> "abcabc"
//   00 01         match: position 0x000 (initial spaces), length 1+3 = 4 -> "    "
//   5A            literal "Z"
// Expected: "abcabcabc    Z" (14 bytes); Adler-32 0x2496044d (python3 zlib.adler32).
const std::vector<uint8_t> kLzssVector = {0x27, 'a', 'b', 'c', 0xEE, 0xF3, 0x00, 0x01, 'Z'};
const std::string kLzssExpected = "abcabcabc    Z";

TEST_CASE("LZSS decodes hand-assembled streams", "[codec]") {
  auto out = decode_exact(Codec::kLzss, kLzssVector, 14);
  CHECK(std::string(out.begin(), out.end()) == kLzssExpected);
  // 01: literal 'x' then a maximal match (F<<4 | F: 15+3 = 18 bytes) at 0xFEE repeating it.
  auto run = decode_exact(Codec::kLzss, hex_bytes({0x01, 'x', 0xEE, 0xFF}), 19);
  CHECK(std::string(run.begin(), run.end()) == std::string(19, 'x'));
}

TEST_CASE("LZSS rejects malformed streams", "[codec]") {
  CHECK(error_of(Codec::kLzss, hex_bytes({0x00, 0xEE}), 100) ==
        "LZSS stream at 0x1: 2-byte match token runs past the end of the input");
  CHECK(error_of(Codec::kLzss, kLzssVector, 10) == "LZSS stream at 0x6: decoded data exceeds the output buffer of 10 bytes");
}

namespace {
std::vector<uint8_t> complzss(uint32_t adler, uint32_t decoded, uint32_t encoded, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> f(kComplzssHeaderSize + body.size(), 0);
  std::memcpy(f.data(), "complzss", 8);
  auto put = [&](size_t off, uint32_t v) {
    for (int i = 0; i < 4; ++i) f[off + i] = uint8_t(v >> (24 - 8 * i));
  };
  put(8, adler);
  put(12, decoded);
  put(16, encoded);
  std::memcpy(f.data() + 0x40, "iPhone", 6);
  std::copy(body.begin(), body.end(), f.begin() + kComplzssHeaderSize);
  return f;
}
}  // namespace

TEST_CASE("complzss header and Adler-32", "[codec]") {
  auto file = complzss(0x2496044d, 14, 9, kLzssVector);
  file.push_back(0xAA);  // a trailing byte, as kernelcaches append data after the body
  auto p = decode_complzss(ByteReader(file), 1 << 20);
  REQUIRE(p);
  CHECK(std::string(p->data.begin(), p->data.end()) == kLzssExpected);
  CHECK(p->adler_ok());
  CHECK(p->header.platform_name == "iPhone");
  CHECK(p->header.trailing_bytes == 1);

  auto wrong = complzss(0x12345678, 14, 9, kLzssVector);
  auto q = decode_complzss(ByteReader(wrong), 1 << 20);
  REQUIRE(q);
  CHECK_FALSE(q->adler_ok());
  CHECK(q->computed_adler32 == 0x2496044d);
}

TEST_CASE("complzss rejects malformed headers", "[codec]") {
  auto past = complzss(0, 14, 50, kLzssVector);
  CHECK(decode_complzss(ByteReader(past), 1 << 20).error().message() ==
        "complzss header at 0x10: encoded size 50 runs past the end of the input (9 bytes after the header)");
  std::vector<uint8_t> short_file(100, 0);
  std::memcpy(short_file.data(), "complzss", 8);
  CHECK(decode_complzss(ByteReader(short_file), 1 << 20).error().message() ==
        "complzss header at 0x0: input is 100 bytes, shorter than the 384-byte header");
  auto bad = complzss(0, 14, 9, kLzssVector);
  bad[0] = 'C';
  CHECK(decode_complzss(ByteReader(bad), 1 << 20).error().message() ==
        "complzss header at 0x0: missing \"complzss\" signature");
  auto more = complzss(0, 20, 9, kLzssVector);
  CHECK(decode_complzss(ByteReader(more), 1 << 20).error().message() ==
        "LZSS stream at 0x180: decoded to 14 bytes, header says 20");
  auto less = complzss(0, 10, 9, kLzssVector);
  CHECK(decode_complzss(ByteReader(less), 1 << 20).error().message() ==
        "LZSS stream at 0x186: decodes to more than the 10 bytes the header promises");
  auto bomb = complzss(0, 0x40000000, 9, kLzssVector);
  CHECK(decode_complzss(ByteReader(bomb), 1 << 20).error().message() ==
        "complzss header at 0xc: decoded size 1073741824 exceeds the limit of 1048576 bytes (decompression bomb guard)");
}

// ---- Apple LZ4 block framing -------------------------------------------------------------------

// Hand-assembled LZ4 sequences (token = literal count << 4 | match length - 4, literals, u16le
// offset; the last sequence is literals only):
//   bv41 raw 17 payload 12:  35 "abc" 03 00  -> "abc" + 9 bytes at distance 3 = "abcabcabcabc"
//                            50 "defgh"      -> "defgh"
//   bv4- raw 3: "xyz"
//   bv41 raw 14 payload 14:  00 05 00        -> 4 bytes at distance 5, reaching into the earlier
//                                               blocks: "ghxy"
//                            A0 "0123456789"
//   bv4$
// Expected: "abcabcabcabcdefgh" "xyz" "ghxy" "0123456789" (34 bytes).
namespace {
std::vector<uint8_t> lz4_vector() {
  std::vector<uint8_t> v;
  auto add = [&](std::initializer_list<int> b) { for (int x : b) v.push_back(uint8_t(x)); };
  auto str = [&](const char* s) { v.insert(v.end(), s, s + std::strlen(s)); };
  str("bv41"); add({17, 0, 0, 0, 12, 0, 0, 0, 0x35}); str("abc"); add({3, 0, 0x50}); str("defgh");
  str("bv4-"); add({3, 0, 0, 0}); str("xyz");
  str("bv41"); add({14, 0, 0, 0, 14, 0, 0, 0, 0x00, 5, 0, 0xA0}); str("0123456789");
  str("bv4$");
  return v;
}
}  // namespace

TEST_CASE("Apple LZ4 block stream decodes a hand-assembled stream", "[codec]") {
  auto out = decode_exact(Codec::kLz4Block, lz4_vector(), 34);
  CHECK(std::string(out.begin(), out.end()) == "abcabcabcabcdefghxyzghxy0123456789");
}

TEST_CASE("Apple LZ4 block stream rejects malformed streams", "[codec]") {
  auto v = lz4_vector();
  std::vector<uint8_t> no_end(v.begin(), v.end() - 4);
  CHECK(error_of(Codec::kLz4Block, no_end, 100) ==
        "LZ4 block stream at 0x3d: stream ends without a bv4$ end-of-stream block");
  auto bad = v;
  bad[0] = 'x';
  CHECK(error_of(Codec::kLz4Block, bad, 100) == "LZ4 block stream at 0x0: unknown block magic 78763431");
  auto bad_kind = v;
  bad_kind[3] = '7';
  CHECK(error_of(Codec::kLz4Block, bad_kind, 100) == "LZ4 block stream at 0x0: unknown block magic bv47");
  auto long_payload = v;
  long_payload[8] = 200;
  CHECK(error_of(Codec::kLz4Block, long_payload, 100) ==
        "LZ4 bv41 block at 0x0: payload of 200 bytes runs past the end of the input");
  auto wrong_raw = v;
  wrong_raw[4] = 18;
  CHECK(error_of(Codec::kLz4Block, wrong_raw, 100) == "LZ4 bv41 block at 0x0: decoded to 17 bytes, header says 18");
  CHECK(error_of(Codec::kLz4Block, v, 30) == "LZ4 block stream at 0x23: decoded data exceeds the output buffer of 30 bytes");
  auto stored_past = v;
  stored_past[0x18 + 4] = 100;
  CHECK(error_of(Codec::kLz4Block, stored_past, 200) ==
        "LZ4 bv4- block at 0x18: 100 stored bytes run past the end of the input");
  // A match reaching before the start of the output: distance 5 in the first block.
  auto far = v;
  far[16] = 5;
  CHECK(code_of(Codec::kLz4Block, far, 100) == ErrorCode::kMalformed);
}

TEST_CASE("decoders survive mutated inputs", "[codec]") {
  // Every byte flip and every truncation of the hand-built vectors: an Error or a result within
  // the buffer, never a crash (run under ASan/UBSan in the sanitizer build).
  const std::vector<std::pair<Codec, std::vector<uint8_t>>> vectors = {
      {Codec::kAdc, hex_bytes({0x82, 'a', 'b', 'c', 0x4C, 0x02, 0x80, 'X', 0x00, 0x00, 0x09, 0x80, 'z', 0x3F, 0x00, 0x00})},
      {Codec::kLzss, kLzssVector},
      {Codec::kLz4Block, lz4_vector()},
  };
  size_t runs = 0;
  for (const auto& [codec, v] : vectors) {
    for (size_t len = 0; len <= v.size(); ++len) {
      std::vector<uint8_t> cut(v.begin(), v.begin() + len), out(128);
      auto n = decode(codec, cut, out);
      if (n) CHECK(*n <= out.size());
      ++runs;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      for (uint8_t x : {0x01, 0x80, 0xFF}) {
        auto m = v;
        m[i] ^= x;
        std::vector<uint8_t> out(128);
        auto n = decode(codec, m, out);
        if (n) CHECK(*n <= out.size());
        ++runs;
      }
    }
  }
  CHECK(runs > 200);
}
