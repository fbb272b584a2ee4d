// UDIF LZMA chunks (type 0x80000008) that are not xz streams: the "lzma alone" fallback
// (13-byte LZMA1 header: properties, dictionary size, u64 decoded size) with the size unknown
// (what xz --format=lzma and python's FORMAT_ALONE write) and with the size stated. The images
// come from samples/gen/make_udif.py, whose --raw-out is the disk before compression (python3's
// lzma module encodes it), so a wrong decode cannot match.
#include <fmt/format.h>

#include "test_support.hpp"
#include "udif/chunk_stream.hpp"
#include "udif/disk_image.hpp"
#include "udif/image_source.hpp"

using namespace upscope;
using namespace upscope::test;

namespace {

struct Generated {
  std::filesystem::path dmg, raw;
};

Generated make_lzma_udif(const std::filesystem::path& dir, const std::string& container) {
  Generated g{dir / (container + ".dmg"), dir / (container + ".raw")};
  const std::string script = (source_dir() / "samples/gen/make_udif.py").string();
  auto r = run_shell("python3 " + shell_quote(script) + " " + shell_quote(g.dmg.string()) +
                     " --size 2M --codec lzma --layout none --chunk-sectors 512 --jobs 1 --data-fork-crc --lzma-format " +
                     container + " --raw-out " + shell_quote(g.raw.string()) + " 2>/dev/null");
  REQUIRE(r.exit_code == 0);
  return g;
}

Result<udif::DiskImage> open_path(const std::filesystem::path& p) {
  auto src = FileSource::open(p.string());
  if (!src) return fail(src.error());
  return udif::open_disk_image(*src, nullptr);
}

}  // namespace

TEST_CASE("udif: LZMA chunks in the lzma-alone form decode through the LZMA1 fallback", "[udif][udif-lzma]") {
  auto dir = scratch_dir("udif-lzma-alone");
  for (const std::string container : {"alone", "alone-sized"}) {
    INFO(container);
    auto g = make_lzma_udif(dir, container);
    const auto file = read_bytes(g.dmg);
    const auto expect = read_bytes(g.raw);
    REQUIRE(expect.size() == 2u << 20);
    auto img = open_path(g.dmg);
    REQUIRE(img);
    const udif::Blkx& blk = img->udif->blkx.at(0);
    REQUIRE(blk.chunks.size() == 8);  // 2 MiB in chunks of 512 sectors (the terminator is not a chunk)
    for (const auto& c : blk.chunks) {
      REQUIRE(c.type == udif::kChunkLzma);
      // Not an xz stream: the fallback path is the one under test. 0x5d = lc 3, lp 0, pb 2.
      REQUIRE(c.offset + 13 <= file.size());
      CHECK(file[c.offset] == 0x5d);
      const uint64_t declared = uint64_t(file[c.offset + 5]) | uint64_t(file[c.offset + 6]) << 8 |
                                uint64_t(file[c.offset + 7]) << 16 | uint64_t(file[c.offset + 8]) << 24 |
                                uint64_t(file[c.offset + 9]) << 32 | uint64_t(file[c.offset + 10]) << 40 |
                                uint64_t(file[c.offset + 11]) << 48 | uint64_t(file[c.offset + 12]) << 56;
      CHECK(declared == (container == "alone" ? ~uint64_t{0} : c.bytes()));
    }
    // Random access (one chunk at a time) and streaming (the whole disk on two threads).
    std::vector<uint8_t> got(expect.size());
    REQUIRE(img->disk->read_at(0, got));
    CHECK(got == expect);
    std::vector<uint8_t> mid(100000);
    REQUIRE(img->disk->read_at(700000, mid));
    CHECK(std::equal(mid.begin(), mid.end(), expect.begin() + 700000));
    auto rep = udif::verify(*img->udif, *img->file, 2);
    CHECK(rep.ok());
    // The CLI writes the same disk.
    auto out = dir / (container + ".out");
    auto e = run_upscope({"-q", "-j", "2", "-o", out.string(), "extract", g.dmg.string()});
    CHECK(e.exit_code == 0);
    CHECK(read_bytes(out) == expect);
  }
}

TEST_CASE("udif: a corrupt lzma-alone chunk is an error naming the chunk, not wrong bytes", "[udif][udif-lzma]") {
  auto dir = scratch_dir("udif-lzma-bad");
  auto g = make_lzma_udif(dir, "alone-sized");
  auto file = read_bytes(g.dmg);
  auto img = open_path(g.dmg);
  REQUIRE(img);
  const udif::Chunk c = img->udif->blkx.at(0).chunks.at(2);
  std::vector<uint8_t> ok(static_cast<size_t>(c.bytes()));
  REQUIRE(udif::decode_chunk(*img->udif, *img->file, 0, 2, ok));

  std::string rule;
  SECTION("a header asking for more than the chunk holds") {
    // The end marker comes before the stated size.
    rule = "LZMA stream: corrupt compressed data";
    // The stated decoded size is one byte more than the chunk's sectors: the output buffer fills.
    const uint64_t wrong = c.bytes() + 1;
    for (int i = 0; i < 8; ++i) file[c.offset + 5 + i] = static_cast<uint8_t>(wrong >> (8 * i));
  }
  SECTION("a dictionary-size byte that asks for 4 GiB") {
    file[c.offset + 4] = 0xFF;  // dictionary 0xFF000010: over the 256 MiB decoder limit
    rule = "LZMA stream: dictionary needs more than 256 MiB of memory";
  }
  SECTION("a flipped byte in the compressed data") {
    file[c.offset + 200] ^= 0x55;  // LZMA1 has no check: this flip happens to break the stream
    rule = "LZMA stream: corrupt compressed data";
  }
  auto bad = dir / "bad.dmg";
  {
    std::FILE* f = std::fopen(bad.string().c_str(), "wb");
    REQUIRE(f);
    REQUIRE(std::fwrite(file.data(), 1, file.size(), f) == file.size());
    std::fclose(f);
  }
  auto bimg = open_path(bad);
  REQUIRE(bimg);
  std::vector<uint8_t> out(static_cast<size_t>(c.bytes()));
  auto st = udif::decode_chunk(*bimg->udif, *bimg->file, 0, 2, out);
  REQUIRE_FALSE(st);
  const std::string msg = st.error().message();
  INFO(msg);
  CHECK(msg.rfind("bad.dmg: mish block 0: chunk 2 (lzma) at 0x", 0) == 0);
  CHECK(msg.size() > rule.size());
  CHECK(msg.substr(msg.size() - rule.size()) == rule);
  REQUIRE(st.error().offset);
  CHECK(*st.error().offset >= c.offset);
  CHECK(*st.error().offset <= c.offset + c.length);
  // Neighbouring chunks still decode.
  std::vector<uint8_t> next(static_cast<size_t>(c.bytes()));
  CHECK(udif::decode_chunk(*bimg->udif, *bimg->file, 0, 3, next));
}
