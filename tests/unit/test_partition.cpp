// Partition maps: GPT (CRCs, backup), APM, MBR, "no map" detection; one case per validation rule.
#include <cstring>

#include <fmt/format.h>

#include "partition/partition_map.hpp"
#include "test_support.hpp"
#include "udif_test_util.hpp"

using namespace upscope;
namespace gen = upscope::test::udifgen;

namespace {

SourcePtr disk_of(gen::Bytes b, const std::string& name = "disk.img") {
  return std::make_shared<MemorySource>(std::move(b), name);
}

std::string error_of(gen::Bytes b) {
  auto r = partition::read_partition_map(disk_of(std::move(b)), nullptr);
  return r ? "(no error)" : r.error().message();
}

void put32le(gen::Bytes& d, size_t o, uint32_t v) {
  for (int i = 0; i < 4; ++i) d[o + i] = uint8_t(v >> (8 * i));
}
void put64le(gen::Bytes& d, size_t o, uint64_t v) {
  for (int i = 0; i < 8; ++i) d[o + i] = uint8_t(v >> (8 * i));
}

// Adds the backup header (a copy at the last LBA with my/alternate swapped) to a gpt_disk.
void add_backup(gen::Bytes& d) {
  const uint64_t sectors = d.size() / 512;
  std::memcpy(&d[(sectors - 1) * 512], &d[512], 512);
  const size_t b = (sectors - 1) * 512;
  put64le(d, b + 24, sectors - 1);
  put64le(d, b + 32, 1);
  put32le(d, b + 16, 0);
  put32le(d, b + 16, static_cast<uint32_t>(::crc32(0, &d[b], 92)));
}

}  // namespace

TEST_CASE("partition: a valid GPT disk", "[partition]") {
  auto d = gen::gpt_disk(200, 40, 159);
  std::memcpy(&d[40 * 512 + 1024], "H+", 2);
  add_backup(d);
  Diagnostics diags;
  auto m = partition::read_partition_map(disk_of(d), &diags);
  REQUIRE(m);
  CHECK(diags.empty());
  CHECK(m->scheme == partition::Scheme::kGpt);
  REQUIRE(m->gpt);
  CHECK(m->gpt->header_crc_ok);
  CHECK(m->gpt->table_crc_ok);
  CHECK(m->gpt->backup_present);
  CHECK(m->gpt->backup_ok);
  REQUIRE(m->partitions.size() == 1);
  const auto& p = m->partitions[0];
  CHECK(p.index == 1);
  CHECK(p.type == "7C3457EF-0000-11AA-AA11-00306543ECAC");
  CHECK(p.type_name == "Apple_APFS");
  CHECK(p.name == "disk image");
  CHECK(p.offset == 40 * 512);
  CHECK(p.length == 120 * 512);
  CHECK(p.source->size() == 120 * 512);
  CHECK(p.source->name() == "disk.img[partition 1]");
  CHECK(p.filesystem == "hfs+");
  auto j = partition::to_json(*m);
  CHECK(j["scheme"] == "gpt");
  CHECK(j["partitions"][0]["type_name"] == "Apple_APFS");

  // Without the backup: a warning, not an error.
  Diagnostics d2;
  auto m2 = partition::read_partition_map(disk_of(gen::gpt_disk(200, 40, 159)), &d2);
  REQUIRE(m2);
  CHECK_FALSE(m2->gpt->backup_present);
  REQUIRE(d2.items().size() == 1);
  CHECK(d2.items()[0].text() == "at 0x18e00: backup GPT header: missing at LBA 199");
}

TEST_CASE("partition malformed: GPT rules", "[partition]") {
  {  // header CRC
    auto d = gen::gpt_disk(200, 40, 159);
    d[512 + 40] ^= 1;  // first usable LBA changed after the CRC
    uint32_t stored = load_u32le(&d[528]);
    gen::Bytes copy(d.begin() + 512, d.begin() + 512 + 92);
    std::memset(&copy[16], 0, 4);
    uint32_t computed = static_cast<uint32_t>(::crc32(0, copy.data(), 92));
    CHECK(error_of(d) == fmt::format("disk.img: GPT header at 0x200: header CRC32 {:08x} does not match the computed {:08x}",
                                     stored, computed));
  }
  {  // table CRC
    auto d = gen::gpt_disk(200, 40, 159);
    d[1024 + 100] ^= 1;  // entry 1's name: the header (and its CRC) is unchanged
    uint32_t stored = load_u32le(&d[600]);
    uint32_t computed = static_cast<uint32_t>(::crc32(0, &d[1024], 128 * 128));
    CHECK(error_of(d) == fmt::format("disk.img: GPT header at 0x200: partition table CRC32 {:08x} does not match the computed {:08x}",
                                     stored, computed));
  }
  CHECK(error_of(gen::gpt_disk(200, 40, 500)) ==
        "disk.img: GPT entry 1 at 0x400: LBA 40..500 extends past the end of the disk (200 sectors)");
  CHECK(error_of(gen::gpt_disk(200, 150, 60)) == "disk.img: GPT entry 1 at 0x400: first LBA 150 is after last LBA 60");
  CHECK(error_of(gen::gpt_disk(200, 40, 159, [](gen::Bytes& d) { put32le(d, 596, 100); })) ==
        "disk.img: GPT header at 0x200: entry size 100, expected a multiple of 8 of at least 128");
  CHECK(error_of(gen::gpt_disk(200, 40, 159, [](gen::Bytes& d) { put64le(d, 584, 190); })) ==
        "disk.img: GPT header at 0x200: partition table (LBA 190, 128 entries of 128 bytes) extends past the end of the disk");
  CHECK(error_of(gen::gpt_disk(200, 40, 159, [](gen::Bytes& d) { put32le(d, 592, 100000); })) ==
        "disk.img: GPT header at 0x200: partition table of 100000 entries of 128 bytes is over the 1 MiB limit");
  CHECK(error_of(gen::gpt_disk(200, 40, 159, [](gen::Bytes& d) { put32le(d, 524, 600); }, false)) ==
        "disk.img: GPT header at 0x200: header size 600, expected 92..512");
  {  // lenient: the bad entry is dropped, the CRC mismatch recorded, the good entry kept
    auto d = gen::gpt_disk(200, 40, 159, [](gen::Bytes& disk) {
      std::memcpy(&disk[1024 + 128], &disk[1024], 128);
      put64le(disk, 1024 + 128 + 40, 5000);
    });
    d[1024 + 300] ^= 1;  // table CRC now wrong too (the name of entry 3 area, still empty type)
    Diagnostics diags;
    auto m = partition::read_partition_map(disk_of(d), &diags);
    REQUIRE(m);
    CHECK(m->partitions.size() == 1);
    CHECK_FALSE(m->gpt->table_crc_ok);
    CHECK(diags.has_errors());
    CHECK(diags.items()[1].text() == "at 0x480: GPT entry 2: LBA 40..5000 extends past the end of the disk (200 sectors)");
  }
}

namespace {
gen::Bytes apm_disk(uint32_t sectors, uint32_t part_start, uint32_t part_blocks) {
  gen::Bytes d(size_t(sectors) * 512);
  d[0] = 'E';
  d[1] = 'R';
  d[2] = 0x02;  // block size 512
  auto put32be = [&](size_t o, uint32_t v) { udif::store_u32be(&d[o], v); };
  auto entry = [&](size_t blk, uint32_t start, uint32_t count, const char* name, const char* type) {
    const size_t o = blk * 512;
    d[o] = 'P';
    d[o + 1] = 'M';
    put32be(o + 4, 2);
    put32be(o + 8, start);
    put32be(o + 12, count);
    std::memcpy(&d[o + 16], name, std::strlen(name));
    std::memcpy(&d[o + 48], type, std::strlen(type));
  };
  entry(1, 1, 63, "Apple", "Apple_partition_map");
  entry(2, part_start, part_blocks, "disk image", "Apple_HFS");
  return d;
}
}  // namespace

TEST_CASE("partition: APM and MBR maps, and no map", "[partition]") {
  {
    auto d = apm_disk(300, 64, 200);
    std::memcpy(&d[64 * 512 + 1024], "HX", 2);
    auto m = partition::read_partition_map(disk_of(d), nullptr);
    REQUIRE(m);
    CHECK(m->scheme == partition::Scheme::kApm);
    REQUIRE(m->partitions.size() == 2);
    CHECK(m->partitions[0].type == "Apple_partition_map");
    CHECK(m->partitions[1].index == 2);
    CHECK(m->partitions[1].type_name == "Apple_HFS");
    CHECK(m->partitions[1].name == "disk image");
    CHECK(m->partitions[1].offset == 64 * 512);
    CHECK(m->partitions[1].length == 200 * 512);
    CHECK(m->partitions[1].filesystem == "hfsx");
    CHECK(error_of(apm_disk(300, 64, 400)) ==
          "disk.img: APM entry 2 at 0x400: blocks 64..463 extend past the end of the disk (300 blocks)");
    auto bad = apm_disk(300, 64, 200);
    bad[1024] = 'X';
    CHECK(error_of(bad) == "disk.img: APM entry 2 at 0x400: no 'PM' signature");
    auto huge = apm_disk(300, 64, 200);
    udif::store_u32be(&huge[512 + 4], 5000);
    CHECK(error_of(huge) == "disk.img: APM entry 1 at 0x200: map of 5000 entries does not fit the disk (1..1024 entries)");
  }
  {
    gen::Bytes d(100 * 512);
    d[510] = 0x55;
    d[511] = 0xAA;
    d[446 + 4] = 0xAF;
    put32le(d, 446 + 8, 10);
    put32le(d, 446 + 12, 50);
    auto m = partition::read_partition_map(disk_of(d), nullptr);
    REQUIRE(m);
    CHECK(m->scheme == partition::Scheme::kMbr);
    REQUIRE(m->partitions.size() == 1);
    CHECK(m->partitions[0].type == "0xaf");
    CHECK(m->partitions[0].type_name == "Apple_HFS");
    CHECK(m->partitions[0].offset == 10 * 512);
    put32le(d, 446 + 12, 500);
    CHECK(error_of(d) == "disk.img: MBR entry 1 at 0x1be: sectors 10..509 extend past the end of the disk (100 sectors)");
  }
  {
    gen::Bytes d(8192);
    std::memcpy(&d[1024], "H+", 2);
    auto m = partition::read_partition_map(disk_of(d), nullptr);
    REQUIRE(m);
    CHECK(m->scheme == partition::Scheme::kNone);
    CHECK(m->filesystem_at_zero == "hfs+");
    CHECK(partition::to_json(*m)["filesystem_at_zero"] == "hfs+");
    gen::Bytes empty(8192);
    auto m2 = partition::read_partition_map(disk_of(empty), nullptr);
    REQUIRE(m2);
    CHECK(m2->scheme == partition::Scheme::kNone);
    CHECK(m2->filesystem_at_zero.empty());
  }
}
