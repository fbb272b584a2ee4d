// UDIF reader, ImageSource, sparse images: real samples (MANIFEST.md §2-4, §9), 7-Zip as an
// independent reader, the make_udif.py writer, and one malformed case per validation rule.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "inspect/hash.hpp"
#include "partition/partition_map.hpp"
#include "test_support.hpp"
#include "udif/disk_image.hpp"
#include "udif/image_source.hpp"
#include "udif/json.hpp"
#include "udif_test_util.hpp"

using namespace upscope;
using namespace upscope::test;
namespace gen = upscope::test::udifgen;

namespace {

Result<udif::DiskImage> open_path(const std::filesystem::path& p, Diagnostics* d = nullptr) {
  auto src = FileSource::open(p.string());
  if (!src) return fail(src.error());
  return udif::open_disk_image(*src, d);
}

Result<udif::DiskImage> open_bytes(const gen::Bytes& b, const std::string& name, Diagnostics* d = nullptr) {
  return udif::open_disk_image(std::make_shared<MemorySource>(b, name), d);
}

std::string error_of(const gen::Bytes& b, const std::string& name = "bad.dmg") {
  auto r = open_bytes(b, name);
  if (r) return "(no error)";
  return r.error().message();
}

std::vector<uint8_t> read_all(const Source& s) {
  std::vector<uint8_t> out(static_cast<size_t>(s.size()));
  REQUIRE(s.read_at(0, out));
  return out;
}

bool have_7zz() { return run_shell("command -v 7zz >/dev/null 2>&1").exit_code == 0; }

// 7-Zip's view of a dmg: it extracts one file per blkx, named "<n>.<name>"; in order they are the disk.
std::optional<std::vector<uint8_t>> seven_zip_disk(const std::filesystem::path& dmg, const std::string& tag) {
  if (!have_7zz()) {
    WARN("SKIPPED: 7zz (Debian package 7zip) is not installed");
    return std::nullopt;
  }
  auto dir = scratch_dir("7z-" + tag);
  auto r = run_shell("7zz x -tdmg -y -o" + shell_quote(dir.string()) + " " + shell_quote(dmg.string()) + " >/dev/null 2>&1");
  REQUIRE(r.exit_code == 0);
  std::vector<std::pair<long, std::filesystem::path>> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    files.emplace_back(std::stol(e.path().filename().string()), e.path());
  std::sort(files.begin(), files.end());
  std::vector<uint8_t> out;
  for (const auto& [n, p] : files) {
    auto b = read_bytes(p);
    out.insert(out.end(), b.begin(), b.end());
  }
  std::filesystem::remove_all(dir);
  return out;
}

struct SampleTruth {
  const char* path;
  size_t blkx;
  uint64_t sectors;
  uint32_t master;  // 0: not given by MANIFEST
};

const SampleTruth kDmgs[] = {
    {"dfvfs_hfsplus_zlib.dmg", 7, 3817, 0x13be34b8},
    {"imhex_dmg.hexpat.dmg", 8, 20608, 0xc14c99d3},
    {"jb_test.dmg", 8, 20572, 0},
    {"jb_test-readonly.dmg", 8, 20572, 0},
    {"jb_test-signed.dmg", 8, 20572, 0},
    {"jb_license.dmg", 8, 20590, 0},
    {"r2/src.dmg", 8, 13028, 0},
    {"r2/src-compressed.dmg", 8, 13028, 0},
    {"r2/src-ro.dmg", 8, 13028, 0},
};

}  // namespace

TEST_CASE("udif: every blkx CRC and the master checksum verify on the real samples", "[udif]") {
  for (const auto& t : kDmgs) {
    UPSCOPE_REQUIRE_SAMPLE(p, t.path);
    INFO(t.path);
    auto img = open_path(p);
    REQUIRE(img);
    REQUIRE(img->kind == udif::ImageKind::kUdif);
    const udif::Image& im = *img->udif;
    CHECK(im.blkx.size() == t.blkx);
    CHECK(im.koly.sectorCount == t.sectors);
    CHECK(im.koly.version == 4);
    CHECK(im.master_checked());
    CHECK(im.master_ok());
    if (t.master) CHECK(im.koly.masterChecksum.crc32() == t.master);
    auto rep = udif::verify(im, *img->file, 2);
    REQUIRE(rep.blkx.size() == t.blkx);
    for (const auto& b : rep.blkx) {
      INFO("blkx " << b.ordinal);
      CHECK(b.checked);
      CHECK_FALSE(b.error);
      CHECK(b.stored == b.computed);
    }
    CHECK(rep.ok());
  }
}

TEST_CASE("udif: dfvfs_hfsplus_zlib.dmg koly and blkx fields (MANIFEST §2)", "[udif]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "dfvfs_hfsplus_zlib.dmg");
  auto img = open_path(p);
  REQUIRE(img);
  const auto& im = *img->udif;
  CHECK(im.koly.flags == 1);
  CHECK(im.koly.dataForkOffset == 0);
  CHECK(im.koly.dataForkLength == 0x2ED0);
  CHECK(im.koly.xmlOffset == 0x2ED0);
  CHECK(im.koly.xmlLength == 0x1D88);
  CHECK(im.koly.dataForkChecksum.type == 0);
  CHECK(im.koly.imageVariant == 1);
  CHECK_FALSE(im.has_code_signature());
  CHECK(im.resource_keys == std::vector<std::string>{"blkx", "plst"});
  const auto& hfs = im.blkx[4];
  CHECK(hfs.name == "disk image (Apple_HFS : 4)");
  CHECK(hfs.header.firstSectorNumber == 40);
  CHECK(hfs.type_counts.at(udif::kChunkZlib) == 3);
  CHECK(hfs.type_counts.at(udif::kChunkZero) == 2);
  CHECK(hfs.type_counts.at(udif::kChunkIgnore) == 2);
  CHECK(hfs.type_counts.at(udif::kChunkTerminator) == 1);
  auto j = udif::to_json(*img);
  CHECK(j["udif"]["koly"]["master_checksum"]["crc32"] == "13be34b8");
  CHECK(j["udif"]["blkx"][4]["chunk_counts"]["zlib"] == 3);
  CHECK(j["udif"]["code_signature"] == false);
}

TEST_CASE("udif: imhex sample, raw chunks and APFS at sector 40 (MANIFEST §3)", "[udif]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "imhex_dmg.hexpat.dmg");
  auto img = open_path(p);
  REQUIRE(img);
  const auto& apfs = img->udif->blkx[4];
  CHECK(apfs.name == "disk image (Apple_APFS : 4)");
  CHECK(apfs.header.firstSectorNumber == 40);
  CHECK(apfs.header.sectorCount == 20528);
  CHECK(apfs.type_counts.at(udif::kChunkRaw) == 26);
  CHECK(apfs.type_counts.at(udif::kChunkZero) == 2);
  CHECK(apfs.type_counts.at(udif::kChunkIgnore) == 1);
  size_t free_entries = 0;
  for (const auto& b : img->udif->blkx) free_entries += b.name.find("Apple_Free") != std::string::npos;
  CHECK(free_entries == 2);
  auto map = partition::read_partition_map(img->disk, nullptr);
  REQUIRE(map);
  REQUIRE(map->partitions.size() == 1);
  CHECK(map->partitions[0].first_lba == 40);
  CHECK(map->partitions[0].filesystem == "apfs");
}

// MANIFEST §4 calls these "same content": the same files, but they were made by two hdiutil runs,
// so GPT GUIDs and APFS metadata differ (7-Zip's extractions differ in the same 1744 bytes of the
// APFS partition). Each decodes exactly as 7-Zip decodes it; the layouts are identical.
TEST_CASE("udif: jb_test.dmg (UDZO) and jb_test-readonly.dmg (UDRO) decode alike", "[udif]") {
  UPSCOPE_REQUIRE_SAMPLE(a, "jb_test.dmg");
  UPSCOPE_REQUIRE_SAMPLE(b, "jb_test-readonly.dmg");
  auto ia = open_path(a), ib = open_path(b);
  REQUIRE(ia);
  REQUIRE(ib);
  CHECK(ia->disk->size() == 20572ull * 512);
  REQUIRE(ia->disk->size() == ib->disk->size());
  auto ma = partition::read_partition_map(ia->disk, nullptr), mb = partition::read_partition_map(ib->disk, nullptr);
  REQUIRE(ma);
  REQUIRE(mb);
  REQUIRE(ma->partitions.size() == 1);
  REQUIRE(mb->partitions.size() == 1);
  CHECK(ma->partitions[0].first_lba == mb->partitions[0].first_lba);
  CHECK(ma->partitions[0].sector_count == mb->partitions[0].sector_count);
  auto da = read_all(*ia->disk), db = read_all(*ib->disk);
  size_t differing = 0;
  for (size_t i = 0; i < da.size(); ++i) differing += da[i] != db[i];
  CHECK(differing > 0);  // see above: not byte-identical
  // Both equal 7-Zip's output.
  auto sa = seven_zip_disk(a, "jba"), sb = seven_zip_disk(b, "jbb");
  if (sa && sb) {
    CHECK(*sa == da);
    CHECK(*sb == db);
  }
  // The streaming path (parallel decode) gives the same bytes as random access.
  auto* is = dynamic_cast<const udif::ImageSource*>(ia->disk.get());
  REQUIRE(is);
  std::vector<uint8_t> streamed;
  REQUIRE(is->stream(0, is->size(), 2, [&](Bytes piece) {
    streamed.insert(streamed.end(), piece.begin(), piece.end());
    return true;
  }));
  CHECK(streamed == da);
}

TEST_CASE("udif: code signature presence (MANIFEST §4)", "[udif]") {
  UPSCOPE_REQUIRE_SAMPLE(s, "jb_test-signed.dmg");
  UPSCOPE_REQUIRE_SAMPLE(u, "jb_test.dmg");
  UPSCOPE_REQUIRE_SAMPLE(l, "jb_license.dmg");
  auto is = open_path(s), iu = open_path(u), il = open_path(l);
  REQUIRE(is);
  REQUIRE(iu);
  REQUIRE(il);
  CHECK(is->udif->has_code_signature());
  CHECK(is->udif->koly.codeSignatureOffset == 0x446b);
  CHECK(is->udif->koly.codeSignatureLength == 0x14dc);
  CHECK_FALSE(iu->udif->has_code_signature());
  CHECK_FALSE(il->udif->has_code_signature());
}

TEST_CASE("udif: encrypted images are refused with a precise error", "[udif]") {
  for (const char* rel : {"jb_test-encrypted-aes256.dmg", "r2/src-aes-256.dmg"}) {
    UPSCOPE_REQUIRE_SAMPLE(p, rel);
    auto img = open_path(p);
    REQUIRE_FALSE(img);
    CHECK(img.error().code == ErrorCode::kUnsupported);
    CHECK(img.error().message() == p.filename().string() +
                                       ": encrcdsa header at 0x0: encrypted disk image: not supported (no key handling)");
  }
  gen::Bytes v1(4096, 0);
  std::memcpy(&v1[4096 - 8], "cdsaencr", 8);
  CHECK(error_of(v1, "v1.dmg") == "v1.dmg: cdsaencr trailer at 0xff8: encrypted disk image: not supported (no key handling)");
  auto r = run_upscope({"inspect", (*samples_dir() / "jb_test-encrypted-aes256.dmg").string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("encrypted disk image: not supported (no key handling)") != std::string::npos);
}

TEST_CASE("udif: decoded disks match 7-Zip's extraction of the real samples", "[udif]") {
  for (const char* rel : {"dfvfs_hfsplus_zlib.dmg", "imhex_dmg.hexpat.dmg", "jb_test.dmg", "jb_license.dmg",
                          "r2/src.dmg", "r2/src-ro.dmg"}) {
    UPSCOPE_REQUIRE_SAMPLE(p, rel);
    INFO(rel);
    auto img = open_path(p);
    REQUIRE(img);
    auto ours = read_all(*img->disk);
    auto theirs = seven_zip_disk(p, "sample");
    if (!theirs) return;
    CHECK(theirs->size() == ours.size());
    CHECK(*theirs == ours);
  }
}

TEST_CASE("udif: raw disks, no-map volumes and partition lookup of samples", "[udif][partition]") {
  UPSCOPE_REQUIRE_SAMPLE(raw, "r2/apfs.img");
  auto img = open_path(raw);
  REQUIRE(img);
  CHECK(img->kind == udif::ImageKind::kRaw);
  CHECK(img->disk->size() == 2097152);
  auto map = partition::read_partition_map(img->disk, nullptr);
  REQUIRE(map);
  CHECK(map->scheme == partition::Scheme::kGpt);
  REQUIRE(map->partitions.size() == 1);
  CHECK(map->partitions[0].first_lba == 40);
  CHECK(map->partitions[0].first_lba + map->partitions[0].sector_count - 1 == 4055);
  CHECK(map->partitions[0].type_name == "Apple_APFS");
  CHECK(map->partitions[0].filesystem == "apfs");

  UPSCOPE_REQUIRE_SAMPLE(nomap, "dfvfs_apfs.raw");
  auto img2 = open_path(nomap);
  REQUIRE(img2);
  auto map2 = partition::read_partition_map(img2->disk, nullptr);
  REQUIRE(map2);
  CHECK(map2->scheme == partition::Scheme::kNone);
  CHECK(map2->filesystem_at_zero == "apfs");

  for (const char* rel : {"dfvfs_hfsplus_zlib.dmg", "r2/src.dmg", "jb_license.dmg"}) {
    UPSCOPE_REQUIRE_SAMPLE(p, rel);
    auto im = open_path(p);
    REQUIRE(im);
    auto m = partition::read_partition_map(im->disk, nullptr);
    REQUIRE(m);
    REQUIRE(m->partitions.size() == 1);
    CHECK(m->gpt->header_crc_ok);
    CHECK(m->gpt->table_crc_ok);
    CHECK(m->gpt->backup_ok);
    CHECK(m->partitions[0].first_lba == 40);
    CHECK(m->partitions[0].filesystem == (std::string(rel) == "jb_license.dmg" ? "apfs" : "hfs+"));
    CHECK(m->partitions[0].type_name == (std::string(rel) == "jb_license.dmg" ? "Apple_APFS" : "Apple_HFS"));
  }
}

TEST_CASE("udif: ImageSource random access is exact, cached and thread-safe", "[udif]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "dfvfs_hfsplus_zlib.dmg");
  auto img = open_path(p);
  REQUIRE(img);
  const auto full = read_all(*img->disk);
  auto* is = dynamic_cast<const udif::ImageSource*>(img->disk.get());
  REQUIRE(is);
  std::atomic<int> bad{0};
  auto worker = [&](unsigned seed) {
    std::mt19937_64 rng(seed);
    std::vector<uint8_t> buf;
    for (int i = 0; i < 300; ++i) {
      uint64_t off = rng() % full.size();
      uint64_t n = 1 + rng() % std::min<uint64_t>(full.size() - off, 70000);
      buf.resize(n);
      if (!is->read_at(off, buf) || !std::equal(buf.begin(), buf.end(), full.begin() + off)) ++bad;
    }
  };
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < 4; ++t) ts.emplace_back(worker, t + 1);
  for (auto& t : ts) t.join();
  CHECK(bad == 0);
  CHECK(is->cache_hits() > 0);
  std::vector<uint8_t> past(10);
  CHECK_FALSE(is->read_at(full.size() - 5, past));

  // A cache of one chunk: every read evicts, and the next decode reuses an evicted chunk's buffer
  // (chunks of different sizes among them), which must never show a previous chunk's bytes.
  udif::ImageSource tiny(img->udif, img->file, 1);
  is = &tiny;
  ts.clear();
  for (unsigned t = 0; t < 4; ++t) ts.emplace_back(worker, t + 11);
  for (auto& t : ts) t.join();
  CHECK(bad == 0);
  CHECK(tiny.cache_misses() > 100);
}

TEST_CASE("udif: ImageSource decodes a chunk wanted by many threads once, and releases its file span", "[udif]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "dfvfs_hfsplus_zlib.dmg");
  auto img = open_path(p);
  REQUIRE(img);
  const auto full = read_all(*img->disk);
  const udif::Image& u = *img->udif;
  auto log = std::make_shared<ReleaseLog>(img->file);
  udif::ImageSource src(img->udif, log, 1ull << 30);  // room for every chunk: nothing evicted
  size_t compressed = 0;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const auto& e : u.map) {
    const udif::Chunk& c = u.chunk(e);
    if (c.type != udif::kChunkRaw && c.type != udif::kChunkZero && c.type != udif::kChunkIgnore) ++compressed;
    if (c.type == udif::kChunkZero || c.type == udif::kChunkIgnore || c.length == 0) continue;
    lo = std::min(lo, c.offset);
    hi = std::max(hi, c.offset + c.length);
  }
  REQUIRE(compressed > 1);
  // Eight threads read the whole disk at once, front to back, in 4 KiB reads: each chunk is
  // wanted by several of them at the same moment.
  std::atomic<int> bad{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&] {
      std::vector<uint8_t> buf(4096);
      for (uint64_t off = 0; off < full.size(); off += buf.size()) {
        std::span<uint8_t> part(buf.data(), std::min<uint64_t>(buf.size(), full.size() - off));
        if (!src.read_at(off, part) || !std::equal(part.begin(), part.end(), full.begin() + off)) ++bad;
      }
    });
  for (auto& t : ts) t.join();
  CHECK(bad == 0);
  CHECK(src.cache_misses() == compressed);  // decoded once each
  // Each chunk's payload is released from the process once it has been decoded.
  std::set<std::pair<uint64_t, uint64_t>> payloads;
  for (const auto& e : u.map) {
    const udif::Chunk& c = u.chunk(e);
    if (c.type != udif::kChunkRaw && c.type != udif::kChunkZero && c.type != udif::kChunkIgnore)
      payloads.emplace(c.offset, c.length);
  }
  CHECK(log->calls.size() == compressed);
  CHECK(std::set<std::pair<uint64_t, uint64_t>>(log->calls.begin(), log->calls.end()) == payloads);
  log->calls.clear();
  // Releasing the whole disk releases the file from the first chunk's payload to the last one's end.
  src.release(0, src.size());
  REQUIRE(log->calls.size() == 1);
  CHECK(log->calls[0] == std::pair<uint64_t, uint64_t>(lo, hi - lo));
  // A range inside one chunk releases a span inside that chunk's payload.
  const udif::Chunk& first = u.chunk(u.map.front());
  src.release(first.sector * udif::kSectorSize + 1, 10);
  if (first.type != udif::kChunkZero && first.type != udif::kChunkIgnore && first.length) {
    REQUIRE(log->calls.size() == 2);
    CHECK(log->calls[1] == std::pair<uint64_t, uint64_t>(first.offset, first.length));
  }
  src.release(src.size(), 10);  // past the end: nothing
  CHECK(log->calls.size() <= 2);
  // Releases keep the decoded chunks (a volume being listed reads its metadata chunks again and
  // again); drop_caches lets them go, through a window too, and each is decoded again.
  std::vector<uint8_t> again(full.size());
  REQUIRE(src.read_at(0, again));
  CHECK(src.cache_misses() == compressed);
  std::shared_ptr<const udif::ImageSource> shared(&src, [](const udif::ImageSource*) {});
  auto window = SliceSource::make(shared, 0, src.size(), "window");
  REQUIRE(window);
  (*window)->drop_caches();
  REQUIRE(src.read_at(0, again));
  CHECK(again == full);
  CHECK(src.cache_misses() == 2 * compressed);
}

TEST_CASE("udif: make_udif.py images read identically by upscope and 7-Zip", "[udif]") {
  auto dir = scratch_dir("udif-gen");
  const std::string script = (source_dir() / "samples/gen/make_udif.py").string();
  struct Case { const char* codec; const char* layout; const char* fs; };
  for (Case c : {Case{"mixed", "gpt", "apfs"}, Case{"zlib", "none", "hfs"}, Case{"bzip2", "gpt", "hfs"},
                 Case{"lzma", "gpt", "none"}, Case{"raw", "none", "none"}}) {
    INFO(c.codec << " " << c.layout);
    auto dmg = dir / (std::string(c.codec) + "-" + c.layout + ".dmg");
    auto raw = dir / (std::string(c.codec) + "-" + c.layout + ".raw");
    auto r = run_shell("python3 " + shell_quote(script) + " " + shell_quote(dmg.string()) + " --size 3M --codec " +
                       c.codec + " --layout " + c.layout + " --fs " + c.fs + " --chunk-sectors 512 --data-fork-crc --raw-out " +
                       shell_quote(raw.string()) + " 2>/dev/null");
    REQUIRE(r.exit_code == 0);
    auto img = open_path(dmg);
    REQUIRE(img);
    auto ours = read_all(*img->disk);
    CHECK(ours == read_bytes(raw));
    auto rep = udif::verify(*img->udif, *img->file, 2);
    CHECK(rep.ok());
    CHECK(rep.data_fork_checked);
    auto map = partition::read_partition_map(img->disk, nullptr);
    REQUIRE(map);
    if (std::string(c.layout) == "gpt") {
      REQUIRE(map->partitions.size() == 1);
      CHECK(map->partitions[0].first_lba == 40);
      CHECK(map->partitions[0].filesystem == (std::string(c.fs) == "apfs" ? "apfs" : std::string(c.fs) == "hfs" ? "hfs+" : ""));
    } else {
      CHECK(map->scheme == partition::Scheme::kNone);
      CHECK(map->filesystem_at_zero == (std::string(c.fs) == "hfs" ? "hfs+" : ""));
    }
    if (have_7zz()) {
      CHECK(run_shell("7zz t -tdmg " + shell_quote(dmg.string()) + " >/dev/null 2>&1").exit_code == 0);
      auto theirs = seven_zip_disk(dmg, "gen");
      REQUIRE(theirs);
      CHECK(*theirs == ours);
    } else {
      WARN("SKIPPED: 7zz (Debian package 7zip) is not installed");
    }
  }
}

TEST_CASE("udif: CLI inspect, verify and extract", "[udif]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "jb_test.dmg");
  auto r = run_upscope({"inspect", p.string()});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("disk image (Apple_APFS : 4)") != std::string::npos);
  CHECK(r.out.find("code signature: none") != std::string::npos);
  CHECK(r.out.find("Apple_APFS  disk image") != std::string::npos);
  auto j = run_upscope({"--json", "inspect", p.string()});
  CHECK(j.exit_code == 0);
  auto doc = nlohmann::json::parse(j.out);
  CHECK(doc["inputs"][0]["report"]["udif"]["blkx"].size() == 8);
  CHECK(doc["inputs"][0]["report"]["partition_map"]["partitions"][0]["first_lba"] == 40);

  auto v = run_upscope({"verify", p.string()});
  CHECK(v.exit_code == 0);
  CHECK(v.out.find("verdict: all checksums match") != std::string::npos);

  auto dir = scratch_dir("udif-extract");
  auto out = dir / "disk.img";
  auto e = run_upscope({"-o", out.string(), "-j", "2", "extract", p.string()});
  CHECK(e.exit_code == 0);
  auto img = open_path(p);
  REQUIRE(img);
  CHECK(read_bytes(out) == read_all(*img->disk));
  auto part = dir / "p1.img";
  auto e2 = run_upscope({"-o", part.string(), "extract", p.string(), "--partition", "1"});
  CHECK(e2.exit_code == 0);
  auto bytes = read_bytes(part);
  CHECK(bytes.size() == 20496ull * 512);
  CHECK(std::string(bytes.begin() + 32, bytes.begin() + 36) == "NXSB");
  auto e3 = run_upscope({"--overwrite", "-o", part.string(), "extract", p.string(), "--partition", "7"});
  CHECK(e3.exit_code == 2);
  CHECK(e3.err.find("no partition 7 (gpt map with 1 partitions)") != std::string::npos);
  // IMAGE:/path extracts files out of the APFS volume inside the image into -o DIR.
  auto files = dir / "files";
  auto e4 = run_upscope({"-o", files.string(), "extract", p.string() + ":/hello.txt"});
  CHECK(e4.exit_code == 0);
  CHECK(read_file(files / "hello.txt") == "Hello world\n");
  auto e5 = run_upscope({"-o", "-", "extract", p.string() + ":/hello.txt"});
  CHECK(e5.exit_code == 2);
  CHECK(e5.err.find("IMAGE:/path needs an output directory: -o DIR") != std::string::npos);
  auto e6 = run_upscope({"-o", files.string(), "extract", p.string() + ":/no-such-file"});
  CHECK(e6.exit_code == 2);

  // verify exits 2 on a mismatch.
  gen::TDmg d;
  d.blkx.push_back({"disk image (Apple_HFS : 0)", 0, 4, {gen::raw(0, gen::pattern(2048, 1))}, "mish", {}, 0x1234, false});
  auto bad = dir / "crc.dmg";
  write_bytes(bad, d.build());
  auto vb = run_upscope({"verify", bad.string()});
  CHECK(vb.exit_code == 2);
  CHECK(vb.out.find("MISMATCH") != std::string::npos);
}

TEST_CASE("udif: sparse images (sprs) read through their band table", "[udif]") {
  // 3 bands of 8 sectors (4 KiB); the file stores band 3 then band 1; band 2 reads as zeros.
  auto b3 = gen::pattern(4096, 3), b1 = gen::pattern(4096, 1);
  auto file = gen::sparse_image(8, 24, {3, 1}, {b3, b1});
  auto img = open_bytes(file, "s.sparseimage");
  REQUIRE(img);
  CHECK(img->kind == udif::ImageKind::kSparse);
  REQUIRE(img->disk->size() == 24 * 512);
  auto all = read_all(*img->disk);
  CHECK(std::equal(b1.begin(), b1.end(), all.begin()));
  CHECK(std::all_of(all.begin() + 4096, all.begin() + 8192, [](uint8_t x) { return x == 0; }));
  CHECK(std::equal(b3.begin(), b3.end(), all.begin() + 8192));
  // A read across band boundaries.
  std::vector<uint8_t> mid(5000);
  REQUIRE(img->disk->read_at(3000, mid));
  CHECK(std::equal(mid.begin(), mid.end(), all.begin() + 3000));

  auto past = gen::sparse_image(8, 24, {4}, {b1});
  CHECK(error_of(past, "s.sparseimage") ==
        "s.sparseimage: sparse image header at 0x40: band table slot 0 names band 4, past the image's 3 bands");
  auto twice = gen::sparse_image(8, 24, {2, 2}, {b1, b3});
  CHECK(error_of(twice, "s.sparseimage") == "s.sparseimage: sparse image header at 0x44: band 2 is stored twice (slots 0 and 1)");
  auto zero_band = gen::sparse_image(0, 24, {}, {});
  CHECK(error_of(zero_band, "s.sparseimage") == "s.sparseimage: sparse image header at 0x8: band size of 0 sectors");
}

TEST_CASE("udif: an XML-less koly over a raw data fork (UDRW stub)", "[udif]") {
  auto disk = gen::pattern(8 * 512, 9);
  gen::Bytes f = disk;
  uint8_t k[512] = {};
  std::memcpy(k, "koly", 4);
  udif::store_u32be(k + 4, 4);
  udif::store_u32be(k + 8, 512);
  udif::store_u64be(k + 32, disk.size());
  udif::store_u64be(k + 492, 8);
  f.insert(f.end(), k, k + 512);
  auto img = open_bytes(f, "stub.dmg");
  REQUIRE(img);
  CHECK(img->udif->raw_data_fork);
  CHECK(read_all(*img->disk) == disk);
}

// ---- malformed inputs: one case per validation rule, exact messages ----

namespace {
gen::TDmg valid_dmg() {
  gen::TDmg d;
  gen::TBlkx b;
  b.first = 0;
  b.sectors = 16;
  b.chunks = {gen::raw(0, gen::pattern(4 * 512, 1)), gen::zero(4, 4), gen::zlib(8, gen::pattern(4 * 512, 2)),
              gen::ignore(12, 4)};
  d.blkx.push_back(b);
  return d;
}
}  // namespace

TEST_CASE("udif: the builder's valid image reads back", "[udif]") {
  auto f = valid_dmg().build();
  auto img = open_bytes(f, "ok.dmg");
  REQUIRE(img);
  auto rep = udif::verify(*img->udif, *img->file, 1);
  CHECK(rep.ok());
  auto all = read_all(*img->disk);
  auto p1 = gen::pattern(2048, 1), p2 = gen::pattern(2048, 2);
  CHECK(std::equal(p1.begin(), p1.end(), all.begin()));
  CHECK(std::equal(p2.begin(), p2.end(), all.begin() + 4096));
}

TEST_CASE("udif malformed: koly trailer rules", "[udif]") {
  auto f = valid_dmg().build();
  const uint64_t size = f.size();
  {  // truncated: the file ends 100 bytes short
    gen::Bytes t(f.begin(), f.end() - 100);
    CHECK(error_of(t) == fmt::format("bad.dmg: koly trailer at {:#x}: truncated: the file ends 412 bytes into the 512-byte trailer",
                                     size - 512));
  }
  {
    auto d = valid_dmg();
    d.patch_koly = [](uint8_t* k, uint64_t) { udif::store_u32be(k + 8, 256); };
    CHECK(error_of(d.build()) == fmt::format("bad.dmg: koly trailer at {:#x}: header size 256, expected 512", size - 512));
  }
  {
    auto d = valid_dmg();
    d.patch_koly = [](uint8_t* k, uint64_t file_size) { udif::store_u64be(k + 32, file_size); };
    CHECK(error_of(d.build()) ==
          fmt::format("bad.dmg: koly trailer at {0:#x}: data fork (0x0 + {1:#x}) extends past the koly trailer at {0:#x}",
                      size - 512, size));
  }
  {
    auto d = valid_dmg();
    uint64_t xml_off = 0;
    d.patch_koly = [&](uint8_t* k, uint64_t) {
      xml_off = load_u64be(k + 216);
      udif::store_u64be(k + 224, 0x100000);
    };
    auto b = d.build();
    CHECK(error_of(b) == fmt::format("bad.dmg: koly trailer at {0:#x}: XML plist ({1:#x} + 0x100000) extends past the koly trailer at {0:#x}",
                                     size - 512, xml_off));
  }
  {
    auto d = valid_dmg();
    d.patch_koly = [](uint8_t* k, uint64_t) {
      udif::store_u32be(k + 56, 1);
      udif::store_u32be(k + 60, 3);
    };
    CHECK(error_of(d.build()) ==
          fmt::format("bad.dmg: koly trailer at {:#x}: segmented image (segment 1 of 3): not supported", size - 512));
  }
  {  // no koly at all: a raw disk, not an error
    gen::Bytes raw(4096, 0);
    auto img = open_bytes(raw, "raw.img");
    REQUIRE(img);
    CHECK(img->kind == udif::ImageKind::kRaw);
  }
}

TEST_CASE("udif malformed: XML plist rules", "[udif]") {
  {
    auto d = valid_dmg();
    d.xml = "this is not xml";
    auto b = d.build();
    const uint64_t xml_off = b.size() - 512 - 15;
    CHECK(error_of(b) == fmt::format("bad.dmg: XML plist at {:#x}: not an XML property list with a dictionary at the top", xml_off));
  }
  {
    auto d = valid_dmg();
    d.xml = "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>x</key><string>y</string></dict></plist>";
    auto b = d.build();
    CHECK(error_of(b) == fmt::format("bad.dmg: XML plist at {:#x}: no 'resource-fork' dictionary", b.size() - 512 - d.xml->size()));
  }
  {
    auto d = valid_dmg();
    d.xml = "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>resource-fork</key><dict><key>plst</key><array/></dict></dict></plist>";
    auto b = d.build();
    CHECK(error_of(b) == fmt::format("bad.dmg: XML plist at {:#x}: no 'blkx' array in the resource fork", b.size() - 512 - d.xml->size()));
  }
  {
    auto d = valid_dmg();
    d.xml = "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>resource-fork</key><dict><key>blkx</key><array><dict>"
            "<key>Name</key><string>x</string></dict></array></dict></dict></plist>";
    auto b = d.build();
    CHECK(error_of(b) == fmt::format("bad.dmg: blkx entry 0 at {:#x}: no Data", b.size() - 512 - d.xml->size()));
  }
}

TEST_CASE("udif malformed: mish table and chunk rules", "[udif]") {
  const uint64_t fork = 2048 + valid_dmg().blkx[0].chunks[2].payload.size();  // raw + zlib payloads
  auto xml_at = [&](const gen::Bytes& b) { return load_u64be(b.data() + b.size() - 512 + 216); };
  {
    auto d = valid_dmg();
    d.blkx[0].signature = "MISH";
    auto b = d.build();
    CHECK(error_of(b) == fmt::format("bad.dmg: mish block 0 at {:#x}: bad signature 'MISH', expected 'mish'", xml_at(b)));
  }
  {
    auto d = valid_dmg();
    d.blkx[0].count_override = 50;
    auto b = d.build();
    CHECK(error_of(b) ==
          fmt::format("bad.dmg: mish block 0 at {:#x}: table of 50 chunks needs 2204 bytes, the Data holds 404", xml_at(b)));
  }
  {
    auto d = valid_dmg();
    d.blkx[0].chunks[2].length = 100000;
    CHECK(error_of(d.build()) == "bad.dmg: mish block 0 at 0x800: chunk 2 extends past the data fork");
  }
  {
    auto d = valid_dmg();
    d.blkx[0].chunks[0].offset = fork - 100;
    CHECK(error_of(d.build()) == fmt::format("bad.dmg: mish block 0 at {:#x}: chunk 0 extends past the data fork", fork - 100));
  }
  {
    auto d = valid_dmg();
    d.blkx[0].chunks[3].sectors = 8;  // 12..19 in a 16-sector table
    CHECK(error_of(d.build()) == fmt::format("bad.dmg: mish block 0 at {:#x}: chunk 3 (sectors 12..19) lies outside the table's 16 sectors", fork));
  }
  {
    auto d = valid_dmg();
    d.blkx[0].chunks[1].rel = 2;  // zero chunk 2..5 overlaps the raw chunk 0..3
    CHECK(error_of(d.build()) == "bad.dmg: mish block 0 at 0x800: chunk 1 (sectors 2..5) starts before the end of chunk 0 (sector 4)");
  }
  {
    auto d = valid_dmg();
    d.blkx[0].chunks[1].type = 0x80000009;
    CHECK(error_of(d.build()) == "bad.dmg: mish block 0 at 0x800: chunk 1 has unknown type 0x80000009");
  }
  {
    auto d = valid_dmg();
    d.blkx[0].chunks[0].length = 1000;
    CHECK(error_of(d.build()) == "bad.dmg: mish block 0 at 0x0: chunk 0 is raw but holds 1000 bytes for 4 sectors (2048 bytes)");
  }
  {
    auto d = valid_dmg();
    d.sector_count = 8;
    auto b = d.build();
    CHECK(error_of(b) == fmt::format("bad.dmg: mish block 0 at {:#x}: sectors 0..15 extend past the image's 8 sectors", xml_at(b)));
  }
  {  // two tables whose chunks cover the same sectors
    auto d = valid_dmg();
    gen::TBlkx b2;
    b2.name = "second";
    b2.first = 10;
    b2.sectors = 4;
    b2.chunks = {gen::zero(0, 4)};
    d.blkx.push_back(b2);
    CHECK(error_of(d.build()) == fmt::format("bad.dmg: mish block 1 at {:#x}: chunk 0 (sectors 10..13) overlaps chunk 2 of mish block 0", fork));
  }
  {  // the per-chunk decode limit (decompression-bomb guard)
    auto f = valid_dmg().build();
    udif::ParseOptions opt;
    opt.max_chunk_bytes = 1024;
    auto r = udif::parse(MemorySource(f, "bad.dmg"), nullptr, opt);
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == "bad.dmg: mish block 0 at 0x800: chunk 2 decodes to 2.0 KiB, over the 1.0 KiB per-chunk limit");
  }
  {  // lenient: the bad chunk is dropped with a diagnostic, the rest still reads
    auto d = valid_dmg();
    d.blkx[0].chunks[2].length = 100000;
    Diagnostics diags;
    auto img = open_bytes(d.build(), "bad.dmg", &diags);
    REQUIRE(img);
    REQUIRE(diags.items().size() == 1);
    CHECK(diags.items()[0].text() == "at 0x800: mish block 0: chunk 2 extends past the data fork");
    CHECK(img->udif->blkx[0].chunks.size() == 3);
  }
}

TEST_CASE("udif malformed: checksum and decoding rules", "[udif]") {
  {  // blkx CRC mismatch
    auto d = valid_dmg();
    d.blkx[0].crc_override = 0xdeadbeef;
    auto f = d.build();
    auto img = open_bytes(f, "bad.dmg");
    REQUIRE(img);
    auto rep = udif::verify(*img->udif, *img->file, 1);
    CHECK_FALSE(rep.ok());
    CHECK(rep.blkx[0].stored == 0xdeadbeef);
    CHECK(rep.blkx[0].computed == gen::crc(gen::pattern(2048, 2), gen::crc(gen::Bytes(2048), gen::crc(gen::pattern(2048, 1)))));
    CHECK(rep.master_stored == rep.master_computed);  // the master covers the stored CRCs
  }
  {  // master checksum mismatch: a warning at parse, a failure at verify
    auto d = valid_dmg();
    d.patch_koly = [](uint8_t* k, uint64_t) { udif::store_u32be(k + 360, 0x11111111); };
    Diagnostics diags;
    auto img = open_bytes(d.build(), "bad.dmg", &diags);
    REQUIRE(img);
    CHECK_FALSE(img->udif->master_ok());
    REQUIRE(diags.items().size() == 1);
    CHECK(diags.items()[0].text() ==
          fmt::format("at {:#x}: koly trailer: master checksum 11111111 does not match {:08x}, the CRC32 of the blkx checksums",
                      img->udif->koly_offset + 352, img->udif->master_computed));
    CHECK_FALSE(udif::verify(*img->udif, *img->file, 1).ok());
  }
  {  // a corrupt zlib payload: reading its sectors fails, naming the chunk
    auto d = valid_dmg();
    auto& z = d.blkx[0].chunks[2].payload;
    for (size_t i = 2; i < z.size(); ++i) z[i] ^= 0x5a;
    auto img = open_bytes(d.build(), "bad.dmg");
    REQUIRE(img);
    std::vector<uint8_t> buf(512);
    auto st = img->disk->read_at(8 * 512, buf);
    REQUIRE_FALSE(st);
    CHECK(st.error().message().rfind("bad.dmg: mish block 0: chunk 2 (zlib) at 0x8", 0) == 0);
    auto rep = udif::verify(*img->udif, *img->file, 2);
    CHECK(rep.blkx[0].error);
    CHECK_FALSE(rep.ok());
    // The zero and raw chunks still read.
    REQUIRE(img->disk->read_at(0, buf));
  }
}

TEST_CASE("udif: LZFSE and ADC chunks decode through compress::decode", "[udif]") {
  UPSCOPE_REQUIRE_SAMPLE(apfs_lzfse, "lzfse/apfs.lzfse");
  UPSCOPE_REQUIRE_SAMPLE(random_lzfse, "lzfse/random.lzfse");
  // ADC by hand (docs/formats/udif.md §7): literal 'A', then 7 × (match 67 at distance 1), then match 42.
  gen::Bytes adc = {0x80, 'A'};
  for (int i = 0; i < 7; ++i) adc.insert(adc.end(), {0x3F, 0x00, 0x00});
  adc.insert(adc.end(), {0x26, 0x00, 0x00});
  gen::TDmg d;
  gen::TBlkx b;
  b.first = 0;
  b.sectors = 8112 + 128 + 1;
  // MANIFEST §8: apfs.lzfse decodes to dfvfs_apfs.raw (8112 sectors), random.lzfse to 65536 bytes.
  gen::TChunk c1{udif::kChunkLzfse, 0, 8112, read_bytes(apfs_lzfse), {}, {}, {}};
  gen::TChunk c2{udif::kChunkLzfse, 8112, 128, read_bytes(random_lzfse), {}, {}, {}};
  gen::TChunk c3{udif::kChunkAdc, 8240, 1, adc, gen::Bytes(512, 'A'), {}, {}};
  b.chunks = {c1, c2, c3};
  b.crc_override = 0;
  d.blkx.push_back(b);
  auto img = open_bytes(d.build(), "lzfse.dmg");
  REQUIRE(img);
  auto first = SliceSource::make(img->disk, 0, 8112 * 512, "apfs");
  REQUIRE(first);
  CHECK(*hash_source(HashKind::kSha256, **first) == "e3e3adcbbf189403d892b013d6cba155f2e58e42ff5eb541ec681c37a91a3f29");
  auto second = SliceSource::make(img->disk, 8112 * 512, 65536, "random");
  REQUIRE(second);
  CHECK(*hash_source(HashKind::kSha256, **second) == "228975ac1fb013504f642bf762c3b93460457baada5a4075f14e6595edfbcdec");
  std::vector<uint8_t> sector(512);
  REQUIRE(img->disk->read_at(8240 * 512, sector));
  CHECK(sector == std::vector<uint8_t>(512, 'A'));
  auto map = partition::read_partition_map(img->disk, nullptr);
  REQUIRE(map);
  CHECK(map->scheme == partition::Scheme::kNone);
  CHECK(map->filesystem_at_zero == "apfs");
}
