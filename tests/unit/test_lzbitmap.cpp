// LZBITMAP (docs/formats/lzbitmap.md): hand-assembled streams whose output is derived by hand, one
// malformed stream per validation rule with its exact message, streams made by Apple's library
// (read at run time from UPSCOPE_LZBITMAP_VECTORS, never committed), our writer
// samples/gen/lzbitmap.py checked against those vectors and through every container that carries
// LZBITMAP: raw ZBM streams, pbzb, Apple Archive, decmpfs 13/14 on APFS and HFS+, and a cryptex whose
// dyld shared cache is stored as decmpfs 14 as on iOS 16+.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compress/codec.hpp"
#include "compress/lzbitmap.hpp"
#include "inspect/hash.hpp"
#include "pbzx/pbzx.hpp"
#include "test_support.hpp"

using namespace upscope;
namespace fs = std::filesystem;

namespace {

using Buf = std::vector<uint8_t>;

void put_u24(Buf& b, uint32_t v) {
  for (int i = 0; i < 3; ++i) b.push_back(uint8_t(v >> (8 * i)));
}
void append(Buf& b, const Buf& more) { b.insert(b.end(), more.begin(), more.end()); }
Buf bytes(const std::string& s) { return Buf(s.begin(), s.end()); }
std::string text(const Buf& b) { return std::string(b.begin(), b.end()); }

// A compressed chunk from its parts (§3): the areas in order, the nibbles packed low first, the
// table entries packed 10 bits each.
struct Parts {
  uint32_t decoded = 0;
  Buf literals, distances, bitmaps;
  std::vector<uint8_t> nibbles;
  std::vector<std::pair<uint8_t, uint8_t>> table;  // (bitmap, size code)
};

Buf chunk(const Parts& p) {
  Buf tokens;
  for (size_t i = 0; i < p.nibbles.size(); i += 2)
    tokens.push_back(uint8_t(p.nibbles[i] | (i + 1 < p.nibbles.size() ? p.nibbles[i + 1] << 4 : 0)));
  Buf table(17, 0);
  for (size_t k = 0; k < p.table.size(); ++k) {
    const unsigned v = p.table[k].first | unsigned(p.table[k].second) << 8, bit = unsigned(k) * 10;
    table[bit / 8] |= uint8_t(v << (bit % 8));
    table[bit / 8 + 1] |= uint8_t(v >> (8 - bit % 8));
  }
  const uint32_t a = 15 + uint32_t(p.literals.size()), b = a + uint32_t(p.distances.size()),
                 c = b + uint32_t(p.bitmaps.size());
  Buf out;
  put_u24(out, c + uint32_t(tokens.size()) + 17);
  put_u24(out, p.decoded);
  put_u24(out, a);
  put_u24(out, b);
  put_u24(out, c);
  append(out, p.literals);
  append(out, p.distances);
  append(out, p.bitmaps);
  append(out, tokens);
  append(out, table);
  return out;
}

Buf stored(const std::string& s) {
  Buf out;
  put_u24(out, uint32_t(s.size()) + 6);
  put_u24(out, uint32_t(s.size()));
  append(out, bytes(s));
  return out;
}

const Buf kEnd = {6, 0, 0, 0, 0, 0};

Buf stream(const std::vector<Buf>& chunks, bool end = true) {
  Buf out = {'Z', 'B', 'M', 0x09};
  for (const auto& c : chunks) append(out, c);
  if (end) append(out, kEnd);
  return out;
}

Result<Buf> decode(const Buf& in, size_t cap = 1 << 20) {
  Buf out(cap);
  auto n = compress::lzbitmap_decode(Bytes(in), std::span<uint8_t>(out));
  if (!n) return fail(n.error());
  out.resize(*n);
  return out;
}

std::string error_of(const Buf& in, size_t cap = 1 << 20) {
  auto r = decode(in, cap);
  REQUIRE_FALSE(r);
  return r.error().message();
}

// "abcabcab" (token 1: bitmap 0x07 from the bitmap area, 1-byte distance 3), "cabcabca" (token 3:
// table entry 0 = all copies, distance kept), "XYca" (token 4: table entry 1 = bitmap 0x03 with a
// 2-byte distance 16, the chunk's short last group).
Parts three_groups() {
  Parts p;
  p.decoded = 20;
  p.literals = bytes("abcXY");
  p.distances = {3, 16, 0};
  p.bitmaps = {0x07};
  p.nibbles = {1, 3, 4};
  p.table = {{0x00, 0}, {0x03, 2}};
  return p;
}

std::optional<fs::path> vectors_dir() {
  const char* env = std::getenv("UPSCOPE_LZBITMAP_VECTORS");
  if (!env || !*env || !fs::is_directory(env)) {
    WARN("SKIPPED: UPSCOPE_LZBITMAP_VECTORS is not set (or not a directory): the LZBITMAP streams made by Apple's "
         "library (libzbitmap test/files) are not checked");
    return std::nullopt;
  }
  return fs::path(env);
}

test::RunResult python(const std::string& script, const std::string& args) {
  return test::run_shell("python3 " + test::shell_quote((test::source_dir() / "samples/gen" / script).string()) + " " +
                         args + " 2>&1");
}

Buf writer_encode(const fs::path& dir, const Buf& data, const std::string& mode = "encode") {
  static int n = 0;
  auto in = dir / fmt::format("w{}.in", n), out = dir / fmt::format("w{}.out", n);
  ++n;
  test::write_bytes(in, data);
  auto r = python("lzbitmap.py", mode + " " + test::shell_quote(in.string()) + " " + test::shell_quote(out.string()));
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return test::read_bytes(out);
}

// Deterministic inputs of the kinds real payloads hold: text, zero runs, code-like words, noise.
Buf mixed_data(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Buf out;
  const char* words[] = {"dyld", "cache", "__TEXT", "__DATA_CONST", "objc_msgSend", "\x00\x00\x00\x00", "ret\xd6"};
  while (out.size() < n) {
    switch (rng() % 5) {
      case 0: out.insert(out.end(), rng() % 300, 0); break;
      case 1:
        for (int i = 0; i < 40; ++i) out.push_back(uint8_t(rng()));
        break;
      default: {
        std::string w = words[rng() % 7];
        out.insert(out.end(), w.begin(), w.end());
        out.push_back(uint8_t(' ' + rng() % 3));
      }
    }
  }
  out.resize(n);
  return out;
}

}  // namespace

TEST_CASE("lzbitmap: hand-assembled streams", "[lzbitmap]") {
  SECTION("tokens 0-2 and table tokens, 1- and 2-byte distances, a short last group") {
    auto out = decode(stream({chunk(three_groups())}));
    REQUIRE(out);
    CHECK(text(*out) == "abcabcabcabcabcaXYca");
  }
  SECTION("a repeat count: F 8 = 12 groups") {
    Parts p;
    p.decoded = 100;
    p.literals = bytes("z");
    p.distances = {1};
    p.nibbles = {3, 4, 15, 8};
    p.table = {{0x01, 1}, {0x00, 0}};
    auto out = decode(stream({chunk(p)}));
    REQUIRE(out);
    CHECK(text(*out) == std::string(100, 'z'));
    // A run longer than the chunk stops at its end: Apple's writer emits such runs (vector 004).
    p.nibbles = {3, 4, 15, 15, 0};
    out = decode(stream({chunk(p)}));
    REQUIRE(out);
    CHECK(text(*out) == std::string(100, 'z'));
    // Without the repeat the stream runs out of tokens after 16 bytes.
    p.nibbles = {3, 4};
    CHECK(error_of(stream({chunk(p)})) ==
          "LZBITMAP chunk 0 at 0x16: tokens run out at output byte 16 (the tokens area holds 1 bytes)");
  }
  SECTION("a repeat of tokens 0-2 takes a fresh bitmap and distance each group") {
    Parts p;
    p.decoded = 32;
    p.literals = bytes("ABCDEFGH");
    p.distances = {8, 8, 8, 8};
    p.bitmaps = {0xff, 0x00, 0x00, 0x00};
    p.nibbles = {1, 15, 0};
    auto out = decode(stream({chunk(p)}));
    REQUIRE(out);
    CHECK(text(*out) == "ABCDEFGHABCDEFGHABCDEFGHABCDEFGH");
  }
  SECTION("stored chunks, and matches reaching into the previous chunk") {
    Parts p;
    p.decoded = 5;
    p.distances = {11, 0};
    p.bitmaps = {0x00};
    p.nibbles = {2};
    auto out = decode(stream({stored("hello world"), chunk(p)}));
    REQUIRE(out);
    CHECK(text(*out) == "hello worldhello");
  }
  SECTION("empty stream; bytes after the end-of-stream chunk are not read") {
    auto s = stream({});
    auto out = decode(s);
    REQUIRE(out);
    CHECK(out->empty());
    s.push_back(0xee);
    CHECK(decode(s));
  }
  SECTION("layout: chunk headers only") {
    auto s = stream({stored("hello world"), chunk(three_groups())});
    auto l = compress::lzbitmap_layout(ByteReader(s));
    REQUIRE(l);
    REQUIRE(l->chunks.size() == 2);
    CHECK(l->chunks[0].stored);
    CHECK(l->chunks[0].offset == 4);
    CHECK(l->chunks[1].offset == 4 + 17);
    CHECK_FALSE(l->chunks[1].stored);
    CHECK(l->decoded_size == 31);
    CHECK(l->end_offset == s.size());
  }
}

TEST_CASE("lzbitmap: one malformed stream per rule", "[lzbitmap]") {
  SECTION("truncated header") {
    CHECK(error_of({'Z', 'B'}) == "LZBITMAP stream at 0x0: stream is 2 bytes, shorter than the 4-byte ZBM header");
  }
  SECTION("bad magic") {
    CHECK(error_of({'Z', 'B', 'X', 9, 6, 0, 0, 0, 0, 0}) == "LZBITMAP stream at 0x0: bad magic 'ZBX' (expected 'ZBM')");
  }
  SECTION("unknown format byte") {
    auto s = stream({});
    s[3] = 0x0c;
    auto r = decode(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kUnsupported);
    CHECK(r.error().message() == "LZBITMAP stream at 0x3: format byte 0x0c is not 0x09, the only one known");
  }
  SECTION("no end-of-stream chunk") {
    CHECK(error_of(stream({stored("abc")}, false)) ==
          "LZBITMAP stream at 0xd: stream ends without its end-of-stream chunk");
  }
  SECTION("chunk header past the end") {
    CHECK(error_of({'Z', 'B', 'M', 9, 6, 0, 0}) ==
          "LZBITMAP chunk 0 at 0x4: chunk header runs past the end of the input (3 bytes left, 6 needed)");
  }
  SECTION("chunk length shorter than its header") {
    CHECK(error_of({'Z', 'B', 'M', 9, 5, 0, 0, 1, 0, 0}) ==
          "LZBITMAP chunk 0 at 0x4: chunk length 5 is shorter than its 6-byte header");
  }
  SECTION("chunk length past the end") {
    auto s = stream({stored("abc"), chunk(three_groups())});
    s.resize(s.size() - 10);
    CHECK(error_of(s) == "LZBITMAP chunk 1 at 0xd: chunk length 43 runs past the end of the input (39 bytes left)");
  }
  SECTION("decoded length over the chunk limit") {
    Buf c;
    put_u24(c, 6);
    put_u24(c, 40000);
    CHECK(error_of(stream({c})) == "LZBITMAP chunk 0 at 0x4: decoded length 40000 exceeds the 32768-byte chunk limit");
  }
  SECTION("compressed chunk too short for its header and table") {
    Buf c;
    put_u24(c, 20);
    put_u24(c, 100);
    c.resize(20);
    CHECK(error_of(stream({c})) == "LZBITMAP chunk 0 at 0x4: compressed chunk of 20 bytes is shorter than its 15-byte "
                                   "header and 17-byte bitmap table");
  }
  SECTION("area offsets out of order") {
    auto c = chunk(three_groups());
    c[9] = 30;  // bitmaps after the tokens
    CHECK(error_of(stream({c})) == "LZBITMAP chunk 0 at 0xa: area offsets (distances 20, bitmaps 30, tokens 24) are not "
                                   "in order between 15 and 26");
  }
  SECTION("each area running out") {
    auto p = three_groups();
    p.literals.pop_back();
    CHECK(error_of(stream({chunk(p)})) ==
          "LZBITMAP chunk 0 at 0x1c: literals run out at output byte 16 (the literals area holds 4 bytes)");
    p = three_groups();
    p.distances.pop_back();
    CHECK(error_of(stream({chunk(p)})) ==
          "LZBITMAP chunk 0 at 0x1c: distances run out at output byte 16 (the distances area holds 2 bytes)");
    p = three_groups();
    p.bitmaps.clear();
    CHECK(error_of(stream({chunk(p)})) ==
          "LZBITMAP chunk 0 at 0x1b: bitmaps run out at output byte 0 (the bitmaps area holds 0 bytes)");
    p = three_groups();
    p.nibbles.pop_back();
    CHECK(error_of(stream({chunk(p)})) ==
          "LZBITMAP chunk 0 at 0x1d: tokens run out at output byte 16 (the tokens area holds 1 bytes)");
  }
  SECTION("a repeat marker where a token belongs") {
    auto p = three_groups();
    p.nibbles[0] = 15;
    CHECK(error_of(stream({chunk(p)})) ==
          "LZBITMAP chunk 0 at 0x1c: nibble 0xf at output byte 0 starts a repeat count with no token before it");
  }
  SECTION("a table entry with distance size 3") {
    auto p = three_groups();
    p.table[1].second = 3;
    CHECK(error_of(stream({chunk(p)})) ==
          "LZBITMAP chunk 0 at 0x1e: bitmap table entry 1 has distance size 3 (only 0, 1 or 2 bytes are defined)");
  }
  SECTION("match distance 0") {
    auto p = three_groups();
    p.distances[0] = 0;
    CHECK(error_of(stream({chunk(p)})) == "LZBITMAP chunk 0 at 0x1c: match distance 0 at output byte 0");
  }
  SECTION("match distance before the start of the output") {
    auto p = three_groups();
    p.distances[0] = 4;  // the first copy is output byte 3: 4 back is before byte 0
    CHECK(error_of(stream({chunk(p)})) ==
          "LZBITMAP chunk 0 at 0x1c: match distance 4 at output byte 3 reaches before the start of the output");
    // The chunk's initial distance 8 counts as well: an all-copy first group has nothing to copy.
    Parts q;
    q.decoded = 8;
    q.bitmaps = {0x00};
    q.nibbles = {0};
    CHECK(error_of(stream({chunk(q)})) ==
          "LZBITMAP chunk 0 at 0x14: match distance 8 at output byte 0 reaches before the start of the output");
  }
  SECTION("output larger than the destination") {
    auto r = decode(stream({stored("0123456789"), stored("abc")}), 12);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kLimit);
    CHECK(r.error().message() == "LZBITMAP chunk 1 at 0x14: decoded data exceeds the output buffer of 12 bytes");
    // The codec layer turns that into the decompression-bomb cap.
    auto s = stream({stored("0123456789"), stored("abc")});
    auto v = compress::decode_to_vector(compress::Codec::kLzbitmap, Bytes(s), 12);
    REQUIRE_FALSE(v);
    CHECK(v.error().message() ==
          "lzbitmap stream: decoded data exceeds the limit of 12 bytes (decompression bomb guard)");
  }
  SECTION("the layout reports the framing errors the decoder does") {
    for (const Buf& s : {Buf{'Z', 'B'}, stream({stored("abc")}, false), Buf{'Z', 'B', 'M', 9, 5, 0, 0, 1, 0, 0}}) {
      auto l = compress::lzbitmap_layout(ByteReader(s, 0x100));
      REQUIRE_FALSE(l);
      auto d = decode(s);
      REQUIRE_FALSE(d);
      CHECK(l.error().message() == d.error().shifted(0x100).message());
    }
  }
}

TEST_CASE("lzbitmap: truncated and mutated streams end cleanly", "[lzbitmap]") {
  auto dir = test::scratch_dir("lzbitmap-mutate");
  auto data = mixed_data(100000, 3);
  auto zbm = writer_encode(dir, data);
  std::mt19937 rng(7);
  size_t failures = 0;
  for (int i = 0; i < 3000; ++i) {
    Buf m = zbm;
    if (i % 3 == 0) {
      m.resize(rng() % m.size());
    } else {
      for (int k = 0; k < 1 + i % 4; ++k) m[4 + rng() % (m.size() - 4)] ^= uint8_t(1 + rng() % 255);
    }
    Buf out(data.size() + 64);
    auto n = compress::lzbitmap_decode(Bytes(m), std::span<uint8_t>(out));
    failures += !n;
  }
  CHECK(failures > 1000);  // truncation always fails; most flips break a rule
}

TEST_CASE("lzbitmap: streams made by Apple's library (UPSCOPE_LZBITMAP_VECTORS)", "[lzbitmap][vectors]") {
  // The vectors are the test files of github.com/eafer/libzbitmap (MIT), commit
  // 574abeae25b25c3319b9b6a9225cc7464e08ae88, path test/files/NNN-compressed and NNN-original.
  // 001-018 were added in the first commit (00a527426ad6), when the library could only decompress:
  // its author made them with Apple's library. 019 is libzbitmap's own output (commit 071de1d5ce80,
  // which says Apple's library reads it). 017's files and 018-original are not in the snapshot; the
  // git tree still names 018-original's blob, so its decoded bytes are checked by their git blob SHA-1.
  auto dir = vectors_dir();
  if (!dir) return;
  size_t checked = 0;
  for (int i = 1; i <= 19; ++i) {
    const auto comp = *dir / fmt::format("{:03}-compressed", i), orig = *dir / fmt::format("{:03}-original", i);
    if (!fs::exists(comp)) continue;
    INFO(comp.string());
    auto in = test::read_bytes(comp);
    auto out = compress::decode_to_vector(compress::Codec::kLzbitmap, Bytes(in), uint64_t{1} << 30);
    REQUIRE(out);
    if (fs::exists(orig)) {
      CHECK(*out == test::read_bytes(orig));
    } else if (i == 18) {
      Buf blob = bytes(fmt::format("blob {}", out->size()));
      blob.push_back(0);
      append(blob, *out);
      CHECK(out->size() == 6799181);
      CHECK(sha1_hex(Bytes(blob)) == "2e9f8612f50a639eb524a21cd5ba41ff94a16414");
    } else {
      continue;
    }
    auto l = compress::lzbitmap_layout(ByteReader(in));
    REQUIRE(l);
    CHECK(l->decoded_size == out->size());
    CHECK(l->end_offset == in.size());
    ++checked;
  }
  CHECK(checked >= 18);
}

TEST_CASE("lzbitmap writer: Apple's bytes where Apple stores and our reader everywhere", "[lzbitmap]") {
  auto dir = test::scratch_dir("lzbitmap-writer");
  // Against Apple: a small file (001) and random data (013) are stored, framing and all, byte for byte.
  if (auto vec = vectors_dir()) {
    for (const char* n : {"001", "013"}) {
      INFO(n);
      auto orig = *vec / fmt::format("{}-original", n);
      if (!fs::exists(orig)) continue;
      CHECK(writer_encode(dir, test::read_bytes(orig)) == test::read_bytes(*vec / fmt::format("{}-compressed", n)));
    }
  }
  // Through our reader (itself checked against Apple's streams above): every kind of data, sizes
  // around the 8-byte group and the 32 KiB chunk.
  std::map<std::string, Buf> inputs;
  inputs["empty"] = {};
  inputs["one byte"] = {'x'};
  inputs["zeros 32769"] = Buf(32769, 0);
  inputs["mixed 200000"] = mixed_data(200000, 1);
  inputs["mixed 32767"] = mixed_data(32767, 2);
  inputs["text 70001"] = Buf();
  for (int i = 0; inputs["text 70001"].size() < 70001; ++i) append(inputs["text 70001"], bytes(fmt::format("line {} of the text\n", i % 97)));
  inputs["text 70001"].resize(70001);
  for (const auto& [name, data] : inputs) {
    INFO(name);
    auto zbm = writer_encode(dir, data);
    auto out = decode(zbm, data.size() + 16);
    REQUIRE(out);
    CHECK(*out == data);
    auto l = compress::lzbitmap_layout(ByteReader(zbm));
    REQUIRE(l);
    CHECK(l->decoded_size == data.size());
    if (data.size() > 1000) CHECK(zbm.size() < data.size());
  }
}

TEST_CASE("lzbitmap: upscope identify, inspect and decompress of ZBM and pbzb streams", "[lzbitmap]") {
  auto dir = test::scratch_dir("lzbitmap-cli");
  auto data = mixed_data(300000, 5);
  test::write_bytes(dir / "data", data);
  auto zbm = writer_encode(dir, data);
  test::write_bytes(dir / "data.zbm", zbm);
  auto l = compress::lzbitmap_layout(ByteReader(zbm));
  REQUIRE(l);

  auto id = test::run_upscope({"identify", (dir / "data.zbm").string()});
  CHECK(id.exit_code == 0);
  CHECK(id.out == fmt::format("{}: lzbitmap: LZBITMAP stream (ZBM), first chunk {} -> 32768 bytes\n",
                              (dir / "data.zbm").string(), l->chunks[0].length));
  auto ins = test::run_upscope({"inspect", (dir / "data.zbm").string()});
  CHECK(ins.exit_code == 0);
  CHECK_THAT(ins.out, Catch::Contains(fmt::format("  LZBITMAP: {} chunks (", l->chunks.size())));
  auto r = test::run_upscope({"decompress", (dir / "data.zbm").string(), "-o", (dir / "out").string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(test::read_bytes(dir / "out") == data);
  CHECK_THAT(r.err, Catch::Contains(fmt::format("LZBITMAP stream, {} chunks: wrote 300000 bytes", l->chunks.size())));
  auto capped = test::run_upscope({"decompress", (dir / "data.zbm").string(), "-o", (dir / "out2").string(),
                                   "--max-size", "1000"});
  CHECK(capped.exit_code == 2);
  CHECK_THAT(capped.err, Catch::Contains("LZBITMAP stream at 0x0: decoded size 300000 exceeds the limit of 1000 bytes "
                                         "(decompression bomb guard)"));
  CHECK_FALSE(fs::exists(dir / "out2"));

  // pbzb: the same data in 64 KiB chunks, each a ZBM stream.
  auto pbzb = writer_encode(dir, data, "pbzb --block-size 65536");
  test::write_bytes(dir / "data.pbzb", pbzb);
  id = test::run_upscope({"identify", (dir / "data.pbzb").string()});
  CHECK(id.out == (dir / "data.pbzb").string() + ": pbzb: pbzb chunked stream (lzbitmap chunks, block size 0x10000)\n");
  r = test::run_upscope({"decompress", (dir / "data.pbzb").string(), "-o", (dir / "out3").string(), "-j", "2"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(test::read_bytes(dir / "out3") == data);
  auto v = pbzx::decode_to_vector(ByteReader(pbzb), data.size());
  REQUIRE(v);
  CHECK(*v == data);
}

TEST_CASE("lzbitmap: a pbzb chunk decoding to more or less than its raw size", "[lzbitmap]") {
  // 100 bytes of 'z' in a 46-byte stream: one literal, then 12 all-copy groups at distance 1.
  Parts p;
  p.decoded = 100;
  p.literals = bytes("z");
  p.distances = {1};
  p.nibbles = {3, 4, 15, 8};
  p.table = {{0x01, 1}, {0x00, 0}};
  const Buf zbm = stream({chunk(p)});
  REQUIRE(zbm.size() == 46);
  auto with_raw = [&](uint64_t raw) {
    Buf s = {'p', 'b', 'z', 'b', 0, 0, 0, 0, 0, 0, 1, 0};
    for (uint64_t v : {raw, uint64_t(zbm.size())})
      for (int i = 7; i >= 0; --i) s.push_back(uint8_t(v >> (8 * i)));
    append(s, zbm);
    return s;
  };
  auto ok = pbzx::decode_to_vector(ByteReader(with_raw(100)), 1 << 20);
  REQUIRE(ok);
  CHECK(text(*ok) == std::string(100, 'z'));
  auto more = pbzx::decode_to_vector(ByteReader(with_raw(50)), 1 << 20);
  REQUIRE_FALSE(more);
  CHECK(more.error().message() == "pbzb chunk 0: LZBITMAP chunk 0 at 0x20: decodes to more than its raw size 50");
  auto fewer = pbzx::decode_to_vector(ByteReader(with_raw(120)), 1 << 20);
  REQUIRE_FALSE(fewer);
  CHECK(fewer.error().message() == "pbzb chunk 0 at 0x1c: decoded to 100 bytes, header says 120");
}

TEST_CASE("lzbitmap: an Apple Archive wrapped in pbzb", "[lzbitmap]") {
  auto dir = test::scratch_dir("lzbitmap-aa");
  // 1 KiB chunks: the entry headers and the text file land in chunks that compress.
  auto r = python("make_aa.py", "sample --wrap pbzb --block-size 1024 " + test::shell_quote((dir / "s.aar").string()));
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  Diagnostics diags;
  auto bytes_in = test::read_bytes(dir / "s.aar");
  auto s = pbzx::parse(ByteReader(bytes_in), diags);
  REQUIRE(s);
  size_t compressed = 0;
  for (const auto& c : s->chunks) compressed += !c.stored;
  CHECK(compressed >= 1);
  auto x = test::run_upscope({"aa", "extract", (dir / "s.aar").string(), "-o", (dir / "out").string()});
  INFO(x.err);
  CHECK(x.exit_code == 0);
  CHECK(x.out == (dir / "out").string() + ": 3 files (3145835 bytes), 2 directories, 1 symlinks extracted; 0 skipped\n");
  std::string readme;
  for (int i = 0; i < 3; ++i) readme += "upscope Apple Archive fixture\n";
  CHECK(test::read_file(dir / "out/docs/readme.txt") == readme);
}

TEST_CASE("lzbitmap: decmpfs types 13 and 14 on APFS and HFS+", "[lzbitmap]") {
  auto dir = test::scratch_dir("lzbitmap-decmpfs");
  auto r = python("make_apfs.py", test::shell_quote((dir / "a.img").string()) + " --files 0 --lzbitmap --manifest " +
                                      test::shell_quote((dir / "a.json").string()));
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  auto manifest = nlohmann::json::parse(test::read_file(dir / "a.json"));
  std::set<int> types;
  for (const auto& m : manifest["volumes"][0]["files"]) {
    if (!m.contains("decmpfs_type") || m["decmpfs_type"] < 13) continue;
    const std::string path = m["path"];
    INFO(path);
    auto c = test::run_upscope({"cat", (dir / "a.img").string() + ":" + path});
    INFO(c.err);
    REQUIRE(c.exit_code == 0);
    CHECK(c.out.size() == m["size"].get<size_t>());
    CHECK(sha256_hex(Bytes(reinterpret_cast<const uint8_t*>(c.out.data()), c.out.size())) == m["sha256"]);
    types.insert(m["decmpfs_type"].get<int>());
  }
  CHECK(types == std::set<int>{13, 14});
  auto ls = test::run_upscope({"ls", (dir / "a.img").string()});
  CHECK(ls.exit_code == 0);
  CHECK_THAT(ls.out, Catch::Contains("lzbitmap"));

  r = python("make_hfs.py", test::shell_quote((dir / "h.img").string()) + " --lzbitmap --manifest " +
                                test::shell_quote((dir / "h.json").string()));
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  auto hfs = nlohmann::json::parse(test::read_file(dir / "h.json"));
  size_t seen = 0;
  for (const auto& m : hfs["files"]) {
    if (!m.contains("decmpfs_type") || m["decmpfs_type"] < 13) continue;
    const std::string path = m["path"];
    INFO(path);
    auto c = test::run_upscope({"cat", (dir / "h.img").string() + ":" + path});
    INFO(c.err);
    REQUIRE(c.exit_code == 0);
    CHECK(sha256_hex(Bytes(reinterpret_cast<const uint8_t*>(c.out.data()), c.out.size())) == m["sha256"]);
    ++seen;
  }
  CHECK(seen == 2);
}

TEST_CASE("lzbitmap: a cryptex whose dyld shared cache is decmpfs 14, as on iOS 16+", "[lzbitmap][cryptex][dyld]") {
  auto dir = test::scratch_dir("lzbitmap-cryptex");
  auto r = python("make_dyld_cache.py", test::shell_quote((dir / "cache").string()) + " --images 6 --subcaches 2");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  fs::remove(dir / "cache" / "MANIFEST.json");
  const auto dmg = dir / "dmg/System/Volumes/Preboot/0A1B2C3D/cryptex1/current/os.dmg";
  fs::create_directories(dmg.parent_path());
  r = python("make_apfs.py", test::shell_quote((dir / "os.img").string()) +
                                 " --cryptex os --add-tree-decmpfs 14 --add-tree /System/Library/dyld=" +
                                 test::shell_quote((dir / "cache").string()) + " --udif " +
                                 test::shell_quote(dmg.string()));
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  // The cache files really are LZBITMAP-compressed in the image.
  auto ls = test::run_upscope({"ls", "--json", (dir / "os.img").string() + ":/System/Library/dyld"});
  INFO(ls.err);
  REQUIRE(ls.exit_code == 0);
  CHECK(ls.out.find("\"lzbitmap\"") != std::string::npos);

  auto hashes = [](const std::string& json_text) {
    std::map<std::string, std::string> out;
    auto doc = nlohmann::json::parse(json_text);
    CHECK(doc["build"]["not_analysed"].empty());
    for (const auto& c : doc["build"]["components"])
      if (c["kind"] == "dyld-cache-image") out[c["id"]] = c["code_hash"];
    return out;
  };
  auto a = test::run_upscope({"inventory", "--json", (dir / "dmg").string()});
  INFO(a.err);
  REQUIRE(a.exit_code == 0);
  auto in_dmg = hashes(a.out);
  CHECK(in_dmg.size() == 6);
  // The same cache as plain files gives the same images with the same code hashes.
  fs::create_directories(dir / "tree/System/Cryptexes/OS/System/Library");
  fs::copy(dir / "cache", dir / "tree/System/Cryptexes/OS/System/Library/dyld", fs::copy_options::recursive);
  auto t = test::run_upscope({"inventory", "--json", (dir / "tree").string()});
  REQUIRE(t.exit_code == 0);
  CHECK(hashes(t.out) == in_dmg);
}
