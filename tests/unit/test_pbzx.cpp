// pbz* chunked streams: the real BXDIFF50 sample's sections, streams from samples/gen/make_pbzx.py
// checked against an independent python3 lzma/zlib reader and `xz -d` per chunk, and one case per
// framing rule with its exact message.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <zlib.h>

#include <cstring>

#include "codec_test_util.hpp"
#include "compress/codec.hpp"
#include "inspect/hash.hpp"
#include "pbzx/pbzx.hpp"
#include "pbzx/stream.hpp"
#include "test_support.hpp"

using namespace upscope;
using upscope::test::pipe_through;
using upscope::test::shell_quote;

namespace {

void put_be64(std::vector<uint8_t>& v, uint64_t x) {
  for (int i = 7; i >= 0; --i) v.push_back(uint8_t(x >> (8 * i)));
}

std::vector<uint8_t> header(const char* magic, uint64_t block) {
  std::vector<uint8_t> v(magic, magic + 4);
  put_be64(v, block);
  return v;
}

void add_chunk(std::vector<uint8_t>& v, uint64_t raw, const std::vector<uint8_t>& payload) {
  put_be64(v, raw);
  put_be64(v, payload.size());
  v.insert(v.end(), payload.begin(), payload.end());
}

std::string gen_script(const char* name) { return (test::source_dir() / "samples/gen" / name).string(); }

Result<std::vector<uint8_t>> decode_all(const std::vector<uint8_t>& s, uint64_t max = 1 << 30, unsigned jobs = 2) {
  return pbzx::decode_to_vector(ByteReader(s), max, jobs);
}

std::string error_of(const std::vector<uint8_t>& s, uint64_t max = 1 << 30) {
  auto r = decode_all(s, max);
  REQUIRE_FALSE(r);
  return r.error().message();
}

}  // namespace

TEST_CASE("pbzx: the real BXDIFF50 sections", "[pbzx]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "bxdiff50_sharingd.patch");
  auto file = test::read_bytes(path);
  ByteReader all(file);
  // Section sizes from the 88-byte header (docs/formats/ota.md §5): control, diff, extra in that order.
  uint64_t control = *all.u64le(24), extra = *all.u64le(32), diff = *all.u64le(60);
  struct Section { const char* name; uint64_t off, len, decoded; size_t chunks; };
  const Section sections[] = {
      {"control", 88, control, 1752, 0},
      {"diff", 88 + control, diff, 4781368, 5},
      {"extra", 88 + control + diff, extra, 52232, 0},
  };
  auto dir = test::scratch_dir("pbzx-real");
  for (const auto& s : sections) {
    INFO(s.name);
    auto r = *all.sub(s.off, s.len);
    Diagnostics diags;
    auto stream = pbzx::parse(r, diags);
    REQUIRE(stream);
    CHECK(diags.empty());
    CHECK(stream->magic == "pbzx");
    CHECK(stream->block_size == 0x100000);
    CHECK(stream->decoded_size == s.decoded);
    if (s.chunks) CHECK(stream->chunks.size() == s.chunks);
    CHECK(stream->end_offset == s.len);
    auto ours = pbzx::decode_to_vector(r, 1 << 30, 2);
    REQUIRE(ours);
    CHECK(ours->size() == s.decoded);
    // Independent reader: python3's lzma on each chunk.
    auto out = dir / (std::string(s.name) + ".ref");
    auto ref = test::run_shell("python3 " + shell_quote(gen_script("pbzx_reference_decode.py")) + " " +
                               shell_quote(path.string()) + " " + shell_quote(out.string()) +
                               fmt::format(" --offset {} --length {}", s.off, s.len));
    REQUIRE(ref.exit_code == 0);
    CHECK(*ours == test::read_bytes(out));
    // And `xz -d` on each chunk payload.
    for (size_t i = 0; i < stream->chunks.size(); ++i) {
      const auto& c = stream->chunks[i];
      if (c.stored) continue;
      auto payload = *r.bytes(c.data_offset, c.stored_size);
      auto ref_chunk = pipe_through("xz -dc", std::vector<uint8_t>(payload.begin(), payload.end()), "pbzx");
      auto our_chunk = pbzx::decode_chunk(r, *stream, i);
      REQUIRE(our_chunk);
      CHECK(*our_chunk == ref_chunk);
    }
  }
}

TEST_CASE("pbzx: streams from make_pbzx.py agree with the writer's data and an independent reader", "[pbzx]") {
  auto dir = test::scratch_dir("pbzx-gen");
  for (std::string magic : {"pbzx", "pbzz"}) {
    DYNAMIC_SECTION(magic) {
      auto s = dir / (magic + ".bin"), raw = dir / (magic + ".raw"), ref = dir / (magic + ".ref");
      // 9 chunks of 64 KiB plus a short one; every third chunk stored.
      auto gen = test::run_shell("python3 " + shell_quote(gen_script("make_pbzx.py")) + " " + shell_quote(s.string()) +
                                 " --size 600000 --block-size 65536 --stored-every 3 --magic " + magic +
                                 " --raw " + shell_quote(raw.string()));
      REQUIRE(gen.exit_code == 0);
      auto bytes = test::read_bytes(s);
      auto expected = test::read_bytes(raw);
      REQUIRE(expected.size() == 600000);
      auto check = test::run_shell("python3 " + shell_quote(gen_script("pbzx_reference_decode.py")) + " " +
                                   shell_quote(s.string()) + " " + shell_quote(ref.string()));
      REQUIRE(check.exit_code == 0);
      CHECK(check.out == "chunks 10\n");
      CHECK(test::read_bytes(ref) == expected);  // the writer, checked independently

      Diagnostics diags;
      auto stream = pbzx::parse(ByteReader(bytes), diags);
      REQUIRE(stream);
      CHECK(stream->chunks.size() == 10);
      CHECK(stream->chunks[2].stored);
      CHECK_FALSE(stream->chunks[0].stored);
      CHECK(stream->decoded_size == 600000);
      for (unsigned jobs : {1u, 2u, 4u}) {
        auto out = decode_all(bytes, 1 << 30, jobs);
        REQUIRE(out);
        CHECK(*out == expected);
      }
      // The sink sees chunks in order, one call per chunk.
      std::vector<size_t> sizes;
      auto n = pbzx::decode(ByteReader(bytes), *stream, 2, 1 << 30, [&](Bytes b) -> Status {
        sizes.push_back(b.size());
        return {};
      });
      REQUIRE(n);
      CHECK(*n == 600000);
      REQUIRE(sizes.size() == 10);
      CHECK(sizes.back() == 600000 - 9 * 65536);
      // A failing sink stops the decode with its error.
      auto stopped = pbzx::decode(ByteReader(bytes), *stream, 2, 1 << 30, [](Bytes) -> Status {
        return fail(ErrorCode::kIo, "output", "disk full");
      });
      REQUIRE_FALSE(stopped);
      CHECK(stopped.error().message() == "output: disk full");
    }
  }
}

TEST_CASE("pbzz falls back to raw deflate", "[pbzx]") {
  auto data = test::sample_text(50000);
  auto raw_deflate = pipe_through(
      "python3 -c 'import sys,zlib; c=zlib.compressobj(6, zlib.DEFLATED, -15); "
      "sys.stdout.buffer.write(c.compress(sys.stdin.buffer.read()) + c.flush())'",
      data, "pbzx");
  auto s = header("pbzz", 1 << 20);
  add_chunk(s, data.size(), raw_deflate);
  auto out = decode_all(s);
  REQUIRE(out);
  CHECK(*out == data);
}

TEST_CASE("pbzx framing rules", "[pbzx]") {
  auto data = test::sample_text(1000);
  auto xz = pipe_through("xz -c", data, "pbzx");
  REQUIRE(xz.size() < 1000);

  SECTION("header shorter than 12 bytes") {
    std::vector<uint8_t> s = {'p', 'b', 'z', 'x', 0, 0, 0, 0};
    CHECK(error_of(s) == "pbz* header at 0x0: stream is 8 bytes, shorter than the 12-byte header");
  }
  SECTION("unknown magic") {
    CHECK(error_of(header("pbzq", 1 << 20)) == "pbz* header at 0x0: unknown magic 'pbzq'");
  }
  SECTION("empty stream is valid") {
    auto out = decode_all(header("pbzx", 1 << 20));
    REQUIRE(out);
    CHECK(out->empty());
  }
  SECTION("chunk header truncated") {
    auto s = header("pbzx", 1 << 20);
    s.resize(s.size() + 10);
    CHECK(error_of(s) == "pbzx chunk 0 at 0xc: chunk header runs past the end of the stream (10 bytes left, 16 needed)");
  }
  SECTION("stored size past the end") {
    auto s = header("pbzx", 1 << 20);
    add_chunk(s, 1000, xz);
    s.resize(s.size() - 5);
    CHECK(error_of(s) == fmt::format("pbzx chunk 0 at 0xc: stored size {} runs past the end of the stream ({} bytes left)",
                                     xz.size(), xz.size() - 5));
  }
  SECTION("stored size larger than raw size") {
    auto s = header("pbzx", 1 << 20);
    add_chunk(s, xz.size() - 1, xz);
    CHECK(error_of(s) == fmt::format("pbzx chunk 0 at 0xc: stored size {} is larger than raw size {}", xz.size(),
                                     xz.size() - 1));
    Diagnostics diags;
    auto st = pbzx::parse(ByteReader(s), diags);
    REQUIRE(st);
    CHECK(st->framing_error);
    CHECK(diags.has_errors());
  }
  SECTION("raw size over the block size") {
    auto s = header("pbzx", 512);
    add_chunk(s, 1000, xz);
    CHECK(error_of(s) == "pbzx chunk 0 at 0xc: raw size 1000 exceeds the block size 512");
  }
  SECTION("raw size over the chunk limit") {
    auto s = header("pbzx", uint64_t{1} << 40);
    add_chunk(s, uint64_t{1} << 30, xz);
    CHECK(error_of(s) == "pbzx chunk 0 at 0xc: raw size 1073741824 exceeds the 268435456-byte chunk limit");
  }
  SECTION("a later chunk is reported with its index and offset") {
    auto s = header("pbzx", 1 << 20);
    add_chunk(s, 1000, xz);
    add_chunk(s, 10, std::vector<uint8_t>(11, 0));
    CHECK(error_of(s) == fmt::format("pbzx chunk 1 at {:#x}: stored size 11 is larger than raw size 10", 12 + 16 + xz.size()));
  }
  SECTION("unsupported codec: pbzm is never decoded (pbzb is: test_lzbitmap.cpp)") {
    for (auto [magic, name] : {std::pair{"pbzm", "lzraven"}}) {
      auto s = header(magic, 1 << 20);
      add_chunk(s, 1000, xz);
      Diagnostics diags;
      auto st = pbzx::parse(ByteReader(s), diags);
      REQUIRE(st);
      CHECK_FALSE(st->supported());
      CHECK(st->codec_name == name);
      auto r = decode_all(s);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == ErrorCode::kUnsupported);
      CHECK(r.error().message() == fmt::format("{} stream at 0x0: unsupported codec {}", magic, name));
    }
  }
  SECTION("decompression bomb cap") {
    auto s = header("pbzx", 1 << 20);
    add_chunk(s, 1000, xz);
    add_chunk(s, 1000, xz);
    auto r = decode_all(s, 1500);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kLimit);
    CHECK(r.error().message() == "pbzx stream at 0x0: decoded size 2000 exceeds the limit of 1500 bytes (decompression bomb guard)");
  }
  SECTION("chunk decodes to more than its raw size") {
    auto s = header("pbzx", 1 << 20);
    add_chunk(s, 900, xz);
    CHECK_THAT(error_of(s), Catch::StartsWith("pbzx chunk 0: xz stream at 0x") &&
                                Catch::EndsWith(": decodes to more than its raw size 900"));
  }
  SECTION("chunk decodes to less than its raw size") {
    auto s = header("pbzx", 1 << 20);
    add_chunk(s, 1200, xz);
    CHECK(error_of(s) == "pbzx chunk 0 at 0x1c: decoded to 1000 bytes, header says 1200");
  }
  SECTION("corrupt chunk names the chunk and the codec") {
    auto s = header("pbzx", 1 << 20);
    auto bad = xz;
    bad[0] = 0;
    add_chunk(s, 1000, bad);
    CHECK(error_of(s) == "pbzx chunk 0: xz stream at 0x1c: bad magic");
  }
}

// ---- the CLI: upscope decompress / inspect --------------------------------------------------------

TEST_CASE("upscope decompress: every stream kind, detected by content", "[pbzx]") {
  auto dir = test::scratch_dir("decompress-cli");
  auto data = test::sample_text(400000, 7);
  auto raw = dir / "data.raw";
  test::write_bytes(raw, data);
  struct Case { std::string tool, command; };
  const std::vector<Case> cases = {{"xz", "xz -c"}, {"gzip", "gzip -c"}, {"bzip2", "bzip2 -c"},
                                   {"zstd", "zstd -q -c"}, {"lz4", "lz4 -q -c"}};
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.tool) {
      if (!test::have_tool(c.tool)) {
        WARN("SKIPPED: " << c.tool << " is not installed");
        continue;
      }
      auto in = dir / (c.tool + ".bin"), out = dir / (c.tool + ".out");
      test::write_bytes(in, pipe_through(c.command, data, "cli"));
      auto r = test::run_upscope({"-j", "2", "decompress", in.string(), "-o", out.string()});
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      CHECK(test::read_bytes(out) == data);
      // The cap stops a stream whose size is not in a header.
      auto capped = test::run_upscope({"--overwrite", "decompress", in.string(), "-o", out.string(), "--max-size", "100K"});
      CHECK(capped.exit_code == 2);
      CHECK_THAT(capped.err, Catch::Contains("decoded data exceeds the limit of 102400 bytes (decompression bomb guard)"));
      CHECK_FALSE(std::filesystem::exists(out));  // no partial output left behind
    }
  }
  SECTION("pbzx with stored chunks, -j1 and -j2") {
    auto in = dir / "p.pbzx", expect = dir / "p.raw", out = dir / "p.out";
    REQUIRE(test::run_shell("python3 " + shell_quote(gen_script("make_pbzx.py")) + " " + shell_quote(in.string()) +
                            " --size 300000 --block-size 32768 --stored-every 4 --raw " + shell_quote(expect.string()))
                .exit_code == 0);
    for (std::string j : {"1", "2"}) {
      auto r = test::run_upscope({"--overwrite", "-j", j, "decompress", in.string(), "-o", out.string()});
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      CHECK(test::read_bytes(out) == test::read_bytes(expect));
      CHECK_THAT(r.err, Catch::Contains("pbzx stream, 10 chunks (xz), block size 0x8000") &&
                            Catch::Contains("wrote 300000 bytes"));
    }
    auto capped = test::run_upscope({"--overwrite", "decompress", in.string(), "-o", out.string(), "--max-size", "1000"});
    CHECK(capped.exit_code == 2);
    CHECK_THAT(capped.err, Catch::Contains(in.string() + ": pbzx stream at 0x0: decoded size 300000 exceeds the limit of "
                                                         "1000 bytes (decompression bomb guard)"));
    // --max-size reads sizes as --max-memory does: lower-case units and fractions too.
    auto lower = test::run_upscope({"--overwrite", "-q", "decompress", in.string(), "-o", out.string(), "--max-size", "0.5m"});
    CHECK(lower.exit_code == 0);
    auto tight = test::run_upscope({"--overwrite", "decompress", in.string(), "-o", out.string(), "--max-size", "200k"});
    CHECK(tight.exit_code == 2);
    CHECK_THAT(tight.err, Catch::Contains("exceeds the limit of 204800 bytes"));
    auto bad = test::run_upscope({"--overwrite", "decompress", in.string(), "-o", out.string(), "--max-size", "lots"});
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::Contains("--max-size 'lots' is not a size such as 64G, 512m, 1.5G or 1000"));
    // inspect reports every chunk.
    auto insp = test::run_upscope({"--json", "inspect", in.string()});
    REQUIRE(insp.exit_code == 0);
    auto j = nlohmann::json::parse(insp.out);
    auto rep = j["inputs"][0]["report"];
    CHECK(rep["magic"] == "pbzx");
    CHECK(rep["codec"] == "xz");
    CHECK(rep["chunk_count"] == 10);
    CHECK(rep["decoded_size"] == 300000);
    CHECK(rep["chunks"][3]["stored"] == true);
    CHECK(rep["chunks"][3]["stored_size"] == 32768);
  }
  SECTION("complzss kernelcache: header, Adler-32 and IM4P wrapping") {
    // The hand-assembled LZSS vector of test_codecs.cpp: "abcabcabc    Z", Adler-32 0x2496044d.
    std::vector<uint8_t> f(384, 0);
    std::memcpy(f.data(), "complzss\x24\x96\x04\x4d\x00\x00\x00\x0e\x00\x00\x00\x09", 20);
    for (int b : std::initializer_list<int>{0x27, 'a', 'b', 'c', 0xEE, 0xF3, 0x00, 0x01, 'Z'}) f.push_back(uint8_t(b));
    auto in = dir / "kc.lzss", out = dir / "kc.out";
    test::write_bytes(in, f);
    auto r = test::run_upscope({"decompress", in.string(), "-o", out.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(test::read_file(out) == "abcabcabc    Z");
    auto insp = test::run_upscope({"--json", "inspect", in.string()});
    REQUIRE(insp.exit_code == 0);
    auto rep = nlohmann::json::parse(insp.out)["inputs"][0]["report"];
    CHECK(rep["adler32"] == "0x2496044d");
    CHECK(rep["adler32_matches"] == true);
    CHECK(rep["decoded_size"] == 14);

    // Wrapped as an IM4P: SEQUENCE { "IM4P", "krnl", "KernelCache", OCTET STRING <complzss> }.
    std::vector<uint8_t> body;
    auto ia5 = [&](const std::string& s) { body.push_back(0x16); body.push_back(uint8_t(s.size())); body.insert(body.end(), s.begin(), s.end()); };
    ia5("IM4P"); ia5("krnl"); ia5("KernelCache");
    body.push_back(0x04); body.push_back(0x82); body.push_back(uint8_t(f.size() >> 8)); body.push_back(uint8_t(f.size()));
    body.insert(body.end(), f.begin(), f.end());
    std::vector<uint8_t> im4p = {0x30, 0x82, uint8_t(body.size() >> 8), uint8_t(body.size())};
    im4p.insert(im4p.end(), body.begin(), body.end());
    auto im = dir / "kc.im4p";
    test::write_bytes(im, im4p);
    auto ri = test::run_upscope({"--overwrite", "decompress", im.string(), "-o", out.string()});
    INFO(ri.err);
    REQUIRE(ri.exit_code == 0);
    CHECK(test::read_file(out) == "abcabcabc    Z");

    f[8] = 0x25;  // wrong Adler-32
    test::write_bytes(in, f);
    auto bad = test::run_upscope({"--overwrite", "decompress", in.string(), "-o", out.string()});
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::Contains(in.string() + ": complzss header at 0x8: Adler-32 of the decoded data is "
                                                      "0x2496044d, header says 0x2596044d"));
  }
  SECTION("errors") {
    auto in = dir / "b.pbzm", out = dir / "b.out";
    auto s = header("pbzm", 1 << 20);
    add_chunk(s, 100, std::vector<uint8_t>(50, 1));
    test::write_bytes(in, s);
    auto r = test::run_upscope({"decompress", in.string(), "-o", out.string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(in.string() + ": pbzm stream at 0x0: unsupported codec lzraven"));
    auto noout = test::run_upscope({"decompress", in.string()});
    CHECK(noout.exit_code == 2);
    CHECK_THAT(noout.err, Catch::Contains("no output: give -o OUT"));
    test::write_bytes(in, test::byte_vector("hello, plain text"));
    auto plain = test::run_upscope({"decompress", in.string(), "-o", out.string()});
    CHECK(plain.exit_code == 2);
    CHECK_THAT(plain.err, Catch::Contains("format 'unknown' is not a compressed stream"));
  }
}

// An xz stream whose LZMA2 filter asks for a 1 GiB dictionary (the block header's dictionary byte set
// to 36 and its CRC32 recomputed): every xz decoder refuses it at the 256 MiB liblzma limit, with kLimit.
TEST_CASE("xz streams asking for a dictionary over 256 MiB are refused", "[pbzx][limits]") {
  auto data = test::sample_text(1000);
  auto xz = pipe_through("xz -c", data, "pbzx");
  // Stream header (12 bytes), then the block header: size byte, flags, filter id 0x21, props size 1,
  // the dictionary byte, padding, CRC32 of the header before it.
  REQUIRE(xz.size() > 24);
  const size_t hsize = (size_t(xz[12]) + 1) * 4;
  REQUIRE(xz[14] == 0x21);
  REQUIRE(xz[15] == 0x01);
  xz[16] = 36;  // (2 | 0) << (36 / 2 + 11) = 1 GiB
  const uint32_t crc = static_cast<uint32_t>(crc32(0, xz.data() + 12, static_cast<uInt>(hsize - 4)));
  for (int i = 0; i < 4; ++i) xz[12 + hsize - 4 + i] = uint8_t(crc >> (8 * i));

  std::vector<uint8_t> out(data.size());
  auto lib = compress::xz_decode(Bytes(xz), out);
  REQUIRE(!lib);
  CHECK(lib.error().code == ErrorCode::kLimit);
  CHECK(lib.error().message().find("256 MiB") != std::string::npos);

  auto layout = pbzx::describe(Bytes(xz));
  REQUIRE(layout);
  CHECK(layout->container == "xz");
  auto whole = pbzx::decode_all(Bytes(xz), *layout, nullptr, pbzx::StreamLimits{});
  REQUIRE(!whole);
  CHECK(whole.error().code == ErrorCode::kLimit);
  CHECK(whole.error().message() == "xz stream at 0x18: dictionary needs more than 256 MiB of memory");
}

TEST_CASE("upscope decompress: an IM4P's LZSS payload, read through the IM4P reader, a stored one is refused",
          "[pbzx][img4]") {
  auto dir = test::scratch_dir("decompress-im4p");
  const auto gen = (test::source_dir() / "samples/gen").string();
  auto make = [&](const std::string& name, const std::string& payload_expr) {
    const auto out = dir / name;
    auto r = test::run_shell("python3 -c " +
                             test::shell_quote("import sys; sys.path.insert(0, sys.argv[1]); import make_kc as mk; "
                                               "data = b'kernel text ' * 5000 + bytes(range(256)) * 40; "
                                               "open(sys.argv[2], 'wb').write(mk.im4p('krnl', 'test', " +
                                               payload_expr + ")); open(sys.argv[2] + '.plain', 'wb').write(data)") +
                             " " + test::shell_quote(gen) + " " + test::shell_quote(out.string()));
    REQUIRE(r.exit_code == 0);
    return out;
  };
  const auto lzss = make("kc.im4p", "mk.complzss(data)");
  const auto out = dir / "out.bin";
  auto r = test::run_upscope({"decompress", lzss.string(), "-o", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(test::read_bytes(out) == test::read_bytes(dir / "kc.im4p.plain"));
  CHECK_THAT(r.err, Catch::Contains("IM4P payload: complzss LZSS, Adler-32"));

  const auto stored = make("stored.im4p", "data");
  auto s = test::run_upscope({"--overwrite", "decompress", stored.string(), "-o", out.string()});
  CHECK(s.exit_code == 2);
  CHECK(s.err == "upscope: error: " + stored.string() +
                     ": IM4P payload at 0x1c: the payload is not LZSS or LZFSE compressed (stored as it is); "
                     "nothing to decompress\n");
}
