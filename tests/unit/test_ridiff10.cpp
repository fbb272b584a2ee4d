#include <fmt/format.h>
// RIDIFF10: synthetic files from samples/gen/make_ridiff10.py (built from the notes; no real
// sample exists) and one case per header validation rule with its exact message.
#include "inspect/hash.hpp"
#include "inspect/text.hpp"
#include "ridiff10/ridiff10.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;

namespace {

std::vector<uint8_t> make(const std::string& args) {
  auto dir = scratch_dir("ridiff");
  auto out = dir / "p.bin";
  auto r = run_shell("python3 " + shell_quote((source_dir() / "samples/gen/make_ridiff10.py").string()) + " " +
                     shell_quote(out.string()) + " " + args);
  REQUIRE(r.exit_code == 0);
  return read_bytes(out);
}

Result<ridiff10::Patch> parse(std::vector<uint8_t> b) {
  MemorySource s(std::move(b), "p.bin");
  return ridiff10::parse(s);
}

void put_u64(std::vector<uint8_t>& b, size_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[off + i] = uint8_t(v >> (8 * i));
}
uint64_t get_u64(const std::vector<uint8_t>& b, size_t off) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[off + i];
  return v;
}

}  // namespace

TEST_CASE("RIDIFF10 with one and two variants", "[ridiff10]") {
  for (int v : {1, 2}) {
    INFO("variants " << v);
    auto bytes = make("--variants " + std::to_string(v) + " --controls 5 --extents 3");
    auto p = parse(bytes);
    REQUIRE(p);
    CHECK(p->diagnostics.empty());
    CHECK(p->header.variants == v);
    CHECK(p->header.header_size == (v == 1 ? 0x3e : 0x46));
    CHECK(p->header.metadata_offset == p->header.header_size);
    CHECK(p->header.control_count == 5);
    CHECK(p->header.excess_space == 4096);
    CHECK(p->header.patch_size == bytes.size());
    REQUIRE(p->streams.size() == size_t(2 + v));
    for (const auto& s : p->streams) {
      CHECK(s.layout.container == "pbzx");
      CHECK(s.status == "decoded");
    }
    CHECK(*p->streams[2].decoded_size == 25000);
    REQUIRE(p->metadata.parsed);
    CHECK(p->metadata.total_bytes == (1u << 20));
    CHECK(p->metadata.extent_count == 3);
    CHECK(p->metadata.fork_count == 2);
    CHECK(p->metadata.fork_bytes == 40);
    CHECK(to_hex(p->metadata.digest) == sha256_hex({reinterpret_cast<const uint8_t*>("synthetic image"), 15}));
    CHECK(p->metadata.extents[1].offset == 0x10000);
    CHECK(p->metadata.extents[1].size == 0x2000);
    REQUIRE(p->controls.split);
    CHECK(p->controls.records.size() == 5);
    CHECK(p->controls.records[4].offset == 4 * 0x2000);
  }
  auto j = ridiff10::to_json(*parse(make("--variants 2")));
  CHECK(j["metadata"]["unknown_40_meaning"] == "unknown");
  CHECK(j["header"]["flags_meaning"] == "unknown");
}

TEST_CASE("RIDIFF10 streams: xz decoded, pbzm reported as unsupported", "[ridiff10]") {
  auto p = parse(make("--codec xz"));
  REQUIRE(p);
  CHECK(p->streams[0].layout.container == "xz");
  CHECK(*p->streams[2].decoded_size == 25000);
  auto m = parse(make("--codec pbzm --variants 2"));
  REQUIRE(m);
  for (const auto& s : m->streams) {
    CHECK(s.layout.container == "pbzm");
    CHECK(s.status == "unsupported codec lzraven");
  }
  CHECK(texts(m->diagnostics).front() == "at 0x46: metadata stream: unsupported codec lzraven");
  CHECK(!m->metadata.parsed);
}

TEST_CASE("malformed RIDIFF10: one case per rule", "[ridiff10]") {
  auto good = make("--variants 2");
  SECTION("truncated header") {
    auto b = good;
    b.resize(60);
    auto p = parse(b);
    REQUIRE(!p);
    CHECK(p.error().message() == "RIDIFF10 header at 0x0: needs 70 bytes for 2 variants, the file has 60");
  }
  SECTION("shorter than the fixed part") {
    auto b = good;
    b.resize(20);
    CHECK(parse(b).error().message() == "RIDIFF10 header at 0x0: needs at least 46 bytes, the file has 20");
  }
  SECTION("variants is 0") {
    auto b = good;
    b[8] = b[9] = 0;
    CHECK(parse(b).error().message() == "RIDIFF10 header at 0x8: variants is 0: no patch-data stream");
  }
  SECTION("metadata offset inside the header") {
    auto b = good;
    put_u64(b, 30, 0x40);
    CHECK(parse(b).error().message() == "RIDIFF10 header at 0x1e: metadata_offset 64 lies inside the header (which ends at 70)");
  }
  SECTION("offsets out of order") {
    auto b = good;
    uint64_t pd0 = get_u64(b, 46), pd1 = get_u64(b, 54);
    put_u64(b, 46, pd1);
    put_u64(b, 54, pd0);
    CHECK(parse(b).error().message() ==
          fmt::format("RIDIFF10 header at 0x1e: offsets out of order: patch_data_offset[1] ({}) < patch_data_offset[0] ({})", pd0, pd1));
  }
  SECTION("patch_size past the end of the file") {
    auto b = good;
    put_u64(b, 62, b.size() + 1);
    CHECK(parse(b).error().message() ==
          fmt::format("RIDIFF10 header at 0x3e: patch_size {} runs past the end of the file ({} bytes)", b.size() + 1, b.size()));
  }
  SECTION("bytes after patch_size") {
    auto b = good;
    b.push_back(0);
    auto p = parse(b);
    REQUIRE(p);
    CHECK(texts(p->diagnostics) == std::vector<std::string>{fmt::format("at {:#x}: RIDIFF10 file: 1 bytes follow patch_size", b.size() - 1)});
  }
  SECTION("controls length is not 16 x control_count") {
    auto b = good;
    put_u64(b, 18, 9);
    auto p = parse(b);
    REQUIRE(p);
    CHECK(!p->controls.split);
    CHECK(texts(p->diagnostics) == std::vector<std::string>{fmt::format(
              "at {:#x}: controls stream: decodes to 64 bytes, not 16 x control_count (144): record layout unknown, not split",
              p->header.controls_offset)});
  }
}
