// Chunklists: the real ones of the macOS 26.2 OTA (MANIFEST.md §10), verify of the real dmg and of
// generated files with a corrupted chunk (samples/gen/make_chunklist.py), and one malformed header per
// rule with its exact message (docs/formats/chunklist.md).
#include <algorithm>
#include <filesystem>
#include <functional>

#include <nlohmann/json.hpp>

#include "chunklist/chunklist.hpp"
#include "inspect/text.hpp"
#include "inspect/thread_pool.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;

namespace {

void make_data(const fs::path& out, size_t size, int seed) {
  auto r = run_shell("python3 " + test::writer_script("make_chunklist.py") + " data " + shell_quote(out.string()) +
                     " --size " + std::to_string(size) + " --seed " + std::to_string(seed));
  REQUIRE(r.exit_code == 0);
}

void make_chunklist(const fs::path& image, const fs::path& out, const std::string& args = "") {
  auto r = run_shell("python3 " + test::writer_script("make_chunklist.py") + " chunklist " + shell_quote(image.string()) + " " +
                     shell_quote(out.string()) + " " + args);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

Result<chunklist::Chunklist> parse_bytes(std::vector<uint8_t> b) {
  MemorySource src(std::move(b), "test.chunklist");
  return chunklist::parse(src);
}

void put(std::vector<uint8_t>& b, size_t off, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b[off + i] = uint8_t(v >> (8 * i));
}

// A well-formed chunklist of two chunks (sizes 100 and 50, zero hashes) and a 256-byte signature: 364 bytes.
std::vector<uint8_t> two_chunks() {
  std::vector<uint8_t> b(36 + 2 * 36 + 256, 0);
  b[0] = 'C', b[1] = 'N', b[2] = 'K', b[3] = 'L';
  put(b, 4, 36, 4);
  b[8] = 1, b[9] = 1, b[10] = 1;
  put(b, 12, 2, 8);
  put(b, 20, 36, 8);
  put(b, 28, 108, 8);
  put(b, 36, 100, 4);
  put(b, 72, 50, 4);
  return b;
}

nlohmann::json json_of(const RunResult& r) {
  INFO(r.out << r.err);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("chunklist: the real chunklists read as MANIFEST.md §10 says", "[chunklist][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(ota, "real/ota-26.2");
  auto src = FileSource::open((ota / "AppleDiagnostics.chunklist").string());
  REQUIRE(src);
  auto cl = chunklist::parse(**src);
  REQUIRE(cl);
  CHECK(cl->header_size == 36);
  CHECK(cl->file_version == 1);
  CHECK(cl->chunk_method == 1);
  CHECK(cl->signature_method == 1);
  CHECK(cl->chunk_table_offset == 36);
  CHECK(cl->signature_offset == 72);
  CHECK(cl->signature_length == 256);
  REQUIRE(cl->chunks.size() == 1);
  CHECK(cl->chunks[0].offset == 0);
  CHECK(cl->chunks[0].size == 2889176);
  CHECK(to_hex(cl->chunks[0].sha256) == "6d6095a62ed243972d14c95ea8e11180afbc4dd17fde66ef07b43e3a10f5ed88");
  CHECK(cl->total_bytes == 2889176);
  CHECK(cl->diagnostics.empty());

  auto base_src = FileSource::open((ota / "BaseSystem.chunklist").string());
  REQUIRE(base_src);
  auto base = chunklist::parse(**base_src);
  REQUIRE(base);
  CHECK(base->chunks.size() == 138);
  CHECK(base->total_bytes == 1441897617);
  CHECK(base->max_chunk == 10485760);  // Apple's 10 MiB chunks
  CHECK(base->signature_length == 256);
  CHECK(base->diagnostics.empty());
  uint64_t off = 0;
  for (const auto& c : base->chunks) {
    CHECK(c.offset == off);
    off += c.size;
  }
}

TEST_CASE("chunklist: our writer reproduces Apple's header and chunk table", "[chunklist][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(ota, "real/ota-26.2");
  auto dir = scratch_dir("chunklist-writer");
  make_chunklist(ota / "AppleDiagnostics.dmg", dir / "ours.chunklist");
  auto ours = read_bytes(dir / "ours.chunklist");
  auto apple = read_bytes(ota / "AppleDiagnostics.chunklist");
  REQUIRE(ours.size() == apple.size());
  // Everything but the signature (which only Apple can make).
  CHECK(std::equal(ours.begin(), ours.begin() + 72, apple.begin()));
}

TEST_CASE("chunklist: inspect shows the methods, the chunks and the unverified signature", "[chunklist][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(ota, "real/ota-26.2");
  auto r = run_upscope({"inspect", (ota / "AppleDiagnostics.chunklist").string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("version 1, chunk method 1 (SHA-256), signature method 1 (RSA-2048 (rev1))") != std::string::npos);
  CHECK(r.out.find("1 chunk covering 2889176 bytes") != std::string::npos);
  CHECK(r.out.find("signature at 0x48, 256 bytes") != std::string::npos);
  CHECK(r.out.find("not verified: upscope does not check Apple's chunklist signature") != std::string::npos);
  CHECK(r.out.find("6d6095a62ed243972d14c95ea8e11180afbc4dd17fde66ef07b43e3a10f5ed88") != std::string::npos);

  auto j = json_of(run_upscope({"inspect", "--json", (ota / "BaseSystem.chunklist").string()}));
  const auto& rep = j["inputs"][0]["report"];
  CHECK(rep["header"]["chunk_count"] == 138);
  CHECK(rep["total_bytes"] == 1441897617);
  CHECK(rep["chunks"].size() == 138);
  CHECK(rep["chunks"][137]["offset"].get<uint64_t>() + rep["chunks"][137]["size"].get<uint64_t>() == 1441897617);
  CHECK(rep["signature"]["verified"] == false);
  // The text table is shortened: the first and last ten rows.
  auto t = run_upscope({"inspect", (ota / "BaseSystem.chunklist").string()});
  CHECK(t.out.find("(118 more chunks: --json lists them all)") != std::string::npos);
  CHECK(t.out.find("\n  137  ") != std::string::npos);
  CHECK(t.out.find("\n   10  ") == std::string::npos);
}

TEST_CASE("chunklist: verify the real dmg, and a copy with one flipped byte", "[chunklist][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(ota, "real/ota-26.2");
  const fs::path dmg = ota / "AppleDiagnostics.dmg", cl = ota / "AppleDiagnostics.chunklist";
  auto ok = run_upscope({"verify", dmg.string(), "--chunklist", cl.string()});
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("given with --chunklist") != std::string::npos);
  CHECK(ok.out.find("all 1 chunk SHA-256s match; the chunks cover all 2889176 bytes") != std::string::npos);
  CHECK(ok.out.find("verdict: all checksums match") != std::string::npos);
  // Beside the image, as NAME.chunklist: found without --chunklist (and the UDIF checks still run).
  auto beside = run_upscope({"verify", dmg.string()});
  CHECK(beside.exit_code == 0);
  CHECK(beside.out.find("AppleDiagnostics.chunklist (found beside the image)") != std::string::npos);
  CHECK(beside.out.find("master checksum") != std::string::npos);

  auto dir = scratch_dir("chunklist-flip");
  auto bytes = read_bytes(dmg);
  bytes[bytes.size() / 2] ^= 0x01;
  write_bytes(dir / "AppleDiagnostics.dmg", bytes);
  fs::copy_file(cl, dir / "AppleDiagnostics.chunklist");
  auto bad = run_upscope({"verify", (dir / "AppleDiagnostics.dmg").string()});
  INFO(bad.out << bad.err);
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.find("chunk 0 at offset 0 (0x0), 2889176 bytes: SHA-256 mismatch: expected 6d6095a6") != std::string::npos);
  CHECK(bad.out.find("FAILED: first bad chunk 0 at offset 0") != std::string::npos);
  auto j = json_of(run_upscope({"verify", "--json", (dir / "AppleDiagnostics.dmg").string()}));
  const auto& c = j["inputs"][0]["chunklist"];
  CHECK(c["source"] == "beside");
  CHECK(c["first_bad_chunk"]["index"] == 0);
  CHECK(c["first_bad_chunk"]["offset"] == 0);
  CHECK(c["result"]["ok"] == false);
  CHECK(c["signature"]["verified"] == false);
}

TEST_CASE("chunklist: a generated file with one corrupted chunk names that chunk and its offset", "[chunklist]") {
  auto dir = scratch_dir("chunklist-gen");
  const fs::path img = dir / "gen.img", cl = dir / "gen.chunklist";
  make_data(img, 100000, 7);
  make_chunklist(img, cl, "--chunk-size 16384");  // 6 chunks of 16384, one of 1696
  auto parsed = FileSource::open(cl.string());
  REQUIRE(parsed);
  auto list = chunklist::parse(**parsed);
  REQUIRE(list);
  REQUIRE(list->chunks.size() == 7);
  CHECK(list->chunks[6].size == 1696);

  // Library level: all match, on a pool.
  auto image = FileSource::open(img.string());
  REQUIRE(image);
  ThreadPool pool(2);
  chunklist::VerifyOptions vo;
  vo.pool = &pool;
  auto rep = chunklist::verify(*list, *image, vo);
  CHECK(rep.ok());
  CHECK(rep.matched == 7);

  // NAME.chunklist beside gen.img.
  auto good = run_upscope({"verify", img.string()});
  INFO(good.out << good.err);
  CHECK(good.exit_code == 0);
  CHECK(good.out.find("gen.chunklist (found beside the image)") != std::string::npos);
  CHECK(good.out.find("all 7 chunk SHA-256s match") != std::string::npos);

  auto bytes = read_bytes(img);
  auto corrupt = bytes;
  corrupt[3 * 16384 + 100] ^= 0x80;
  write_bytes(dir / "corrupt.img", corrupt);
  auto bad = run_upscope({"verify", (dir / "corrupt.img").string(), "--chunklist", cl.string()});
  INFO(bad.out << bad.err);
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.find("chunk 3 at offset 49152 (0xc000), 16384 bytes: SHA-256 mismatch") != std::string::npos);
  CHECK(bad.out.find("FAILED: first bad chunk 3 at offset 49152") != std::string::npos);
  CHECK(bad.out.find("chunk 2 ") == std::string::npos);
  auto rep2 = chunklist::verify(*list, std::make_shared<MemorySource>(corrupt, "corrupt.img"), vo);
  REQUIRE(rep2.failures.size() == 1);
  CHECK(rep2.failures[0].index == 3);
  CHECK(rep2.failures[0].offset == 49152);
  CHECK(rep2.matched == 6);

  // IMAGE.chunklist beside it, and one byte more than the chunks cover: a size mismatch.
  auto longer = bytes;
  longer.push_back(0);
  write_bytes(dir / "long.img", longer);
  fs::copy_file(cl, dir / "long.img.chunklist");
  auto lr = run_upscope({"verify", (dir / "long.img").string()});
  INFO(lr.out << lr.err);
  CHECK(lr.exit_code == 2);
  CHECK(lr.out.find("long.img.chunklist (found beside the image)") != std::string::npos);
  CHECK(lr.out.find("size mismatch: the chunks cover 100000 bytes, " + (dir / "long.img").string() + " has 100001") !=
        std::string::npos);
  CHECK(lr.out.find("FAILED: the chunks do not cover the image exactly") != std::string::npos);

  // One byte fewer: the last chunk runs past the end and is not read.
  bytes.pop_back();
  write_bytes(dir / "short.img", bytes);
  auto sr = run_upscope({"verify", (dir / "short.img").string(), "--chunklist", cl.string()});
  INFO(sr.out << sr.err);
  CHECK(sr.exit_code == 2);
  CHECK(sr.out.find("chunk 6 at offset 98304 (0x18000), 1696 bytes: runs past the end of the image (99999 bytes)") !=
        std::string::npos);
  CHECK(sr.out.find("size mismatch: the chunks cover 100000 bytes") != std::string::npos);

  // --chunklist takes one image.
  CHECK(run_upscope({"verify", img.string(), img.string(), "--chunklist", cl.string()}).exit_code != 0);
}

TEST_CASE("chunklist: malformed headers, one rule each, exact messages", "[chunklist]") {
  CHECK(parse_bytes(two_chunks()));
  struct Case {
    const char* name;
    std::function<void(std::vector<uint8_t>&)> edit;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"short", [](auto& b) { b.resize(20); }, "chunklist header at 0x0: needs 36 bytes, the file has 20"},
      {"magic", [](auto& b) { b[3] = 'X'; }, "chunklist header at 0x0: magic CNKX is not CNKL"},
      {"header size", [](auto& b) { put(b, 4, 32, 4); }, "chunklist header at 0x4: header size 32 is not 36"},
      {"version", [](auto& b) { b[8] = 2; },
       "chunklist header at 0x8: file version 2 is not 1, the only version known"},
      {"chunk method", [](auto& b) { b[9] = 2; },
       "chunklist header at 0x9: chunk method 2 is not 1 (SHA-256), the only method known"},
      {"table in header", [](auto& b) { put(b, 20, 16, 8); },
       "chunk table at 0x14: offset 0x10 lies inside the 36-byte header"},
      {"table past end", [](auto& b) { put(b, 20, 0x10000, 8); },
       "chunk table at 0x14: offset 0x10000 is past the end of the file (364 bytes)"},
      {"count too large", [](auto& b) { put(b, 12, 10, 8); },
       "chunk table at 0x24: 10 chunks of 36 bytes do not fit in the 328 bytes from 0x24 to the end of the file"},
      {"count overflows", [](auto& b) { put(b, 12, uint64_t{1} << 62, 8); },
       "chunk table at 0x24: 4611686018427387904 chunks of 36 bytes do not fit in the 328 bytes from 0x24 to the end "
       "of the file"},
      {"signature in table", [](auto& b) { put(b, 28, 50, 8); },
       "signature at 0x1c: offset 0x32 lies before the end of the chunk table (0x6c)"},
      {"signature past end", [](auto& b) { put(b, 28, 0x1000, 8); },
       "signature at 0x1c: offset 0x1000 is past the end of the file (364 bytes)"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto b = two_chunks();
    c.edit(b);
    auto r = parse_bytes(b);
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == c.message);
  }

  // Soft rules: the chunk table is read, the diagnostic says what is wrong.
  const std::vector<Case> soft = {
      {"signature length", [](auto& b) { b.erase(b.end() - std::min<std::ptrdiff_t>(56, std::ssize(b)), b.end()); },
       "at 0x6c: signature: 200 bytes, but signature method 1 (RSA-2048 (rev1)) has 256"},
      {"signature method", [](auto& b) { b[10] = 7; },
       "at 0xa: chunklist header: signature method 7 is unknown (1: RSA-2048, 3: certificate)"},
      {"empty chunk", [](auto& b) { put(b, 36, 0, 4); }, "at 0x24: chunk 0: size 0: the chunk covers no bytes"},
      {"gap", [](auto& b) { put(b, 28, 112, 8); b.resize(b.size() + 4); },
       "at 0x6c: chunklist: 4 unused bytes between the chunk table and the signature"},
  };
  for (const auto& c : soft) {
    INFO(c.name);
    auto b = two_chunks();
    c.edit(b);
    auto r = parse_bytes(b);
    REQUIRE(r);
    CHECK(r->chunks.size() == 2);
    CHECK(joined(r->diagnostics) == std::string(c.message) + "\n");
  }

  // Through the CLI the message names the chunklist file.
  auto dir = scratch_dir("chunklist-bad");
  auto b = two_chunks();
  put(b, 4, 32, 4);
  write_bytes(dir / "bad.chunklist", b);
  write_bytes(dir / "image", std::vector<uint8_t>(150, 0));
  auto r = run_upscope({"verify", (dir / "image").string(), "--chunklist", (dir / "bad.chunklist").string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("error: " + (dir / "bad.chunklist").string() + ": chunklist header at 0x4: header size 32 is not 36") !=
        std::string::npos);
}
