#include "partition/partition_map.hpp"

#include <cstring>

#include <fmt/format.h>
#include <zlib.h>

#include "partition/probe.hpp"

namespace upscope::partition {

namespace {

uint32_t crc32_of(Bytes b) {
  return static_cast<uint32_t>(::crc32(::crc32(0, nullptr, 0), b.data(), static_cast<uInt>(b.size())));
}

// Reports a broken rule: fails a strict read, or records it and lets the caller go on.
struct Reporter {
  const Source& disk;
  Diagnostics* diags;
  std::optional<Error> err;
  bool report(ErrorCode code, std::string structure, std::string rule, std::optional<uint64_t> off) {
    Error e = make_error(code, std::move(structure), std::move(rule), off);
    if (!diags) {
      e.file = disk.name();
      err = std::move(e);
      return false;
    }
    diags->add(e);
    return true;
  }
  Unexpected failure() { return fail(std::move(*err)); }
};

std::string utf16_name(ByteReader e, uint64_t off, uint64_t chars) {
  std::string out;
  for (uint64_t k = 0; k < chars; ++k) {
    uint32_t ch = e.u16le(off + 2 * k).value_or(0);
    if (!ch) break;
    if (ch >= 0xD800 && ch <= 0xDFFF) ch = 0xFFFD;  // surrogates: names here are BMP
    if (ch < 0x80) {
      out += static_cast<char>(ch);
    } else if (ch < 0x800) {
      out += static_cast<char>(0xC0 | (ch >> 6));
      out += static_cast<char>(0x80 | (ch & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (ch >> 12));
      out += static_cast<char>(0x80 | ((ch >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (ch & 0x3F));
    }
  }
  return out;
}

Status add_partition(PartitionMap& map, const SourcePtr& disk, Partition p) {
  p.offset = p.first_lba * map.sector_size;
  p.length = p.sector_count * map.sector_size;
  UPSCOPE_TRY(p.source, SliceSource::make(disk, p.offset, p.length,
                                          fmt::format("{}[partition {}]", disk->name(), p.index)));
  if (auto fs = probe_filesystem(*p.source)) p.filesystem = std::move(*fs);
  else p.filesystem_error = fs.error();
  map.partitions.push_back(std::move(p));
  return {};
}

// The partition range [first, first+count) in sectors, checked against the disk.
bool fits_disk(uint64_t first, uint64_t count, uint64_t sector_size, uint64_t disk_size) {
  auto off = checked_mul(first, sector_size);
  auto len = checked_mul(count, sector_size);
  return off && len && range_fits(*off, *len, disk_size);
}

}  // namespace

const char* to_string(Scheme s) {
  switch (s) {
    case Scheme::kNone: return "none";
    case Scheme::kGpt: return "gpt";
    case Scheme::kApm: return "apm";
    case Scheme::kMbr: return "mbr";
  }
  return "?";
}

const Partition* PartitionMap::find(uint32_t index) const {
  for (const auto& p : partitions)
    if (p.index == index) return &p;
  return nullptr;
}

Result<std::string> probe_filesystem(const Source& src) {
  uint8_t b[4];
  if (src.size() >= 36) {
    UPSCOPE_CHECK(src.read_at(32, std::span<uint8_t>(b, 4)));
    if (std::memcmp(b, "NXSB", 4) == 0) return std::string("apfs");
  }
  if (src.size() >= 1026) {
    UPSCOPE_CHECK(src.read_at(1024, std::span<uint8_t>(b, 2)));
    if (b[0] == 'H' && b[1] == '+') return std::string("hfs+");
    if (b[0] == 'H' && b[1] == 'X') return std::string("hfsx");
  }
  return std::string();
}

std::string detect_filesystem(const Source& src) {
  auto fs = probe_filesystem(src);
  return fs ? *fs : std::string();
}

Result<std::optional<PartitionMap>> read_gpt(const SourcePtr& disk, Diagnostics* diags) {
  Reporter rep{*disk, diags, std::nullopt};
  const uint64_t disk_size = disk->size();
  for (uint32_t ss : {512u, 4096u}) {
    if (disk_size < 2ull * ss) continue;
    std::vector<uint8_t> scratch;
    UPSCOPE_TRY(ByteReader h, disk->view(ss, ss, scratch, "GPT header"));
    if (!h.starts_with("EFI PART")) continue;
    PartitionMap map;
    map.scheme = Scheme::kGpt;
    map.sector_size = ss;
    map.disk_size = disk_size;
    GptInfo g;
    const uint64_t hoff = ss;
    const uint32_t hsize = *h.u32le(12);
    if (hsize < 92 || hsize > ss) {
      if (!rep.report(ErrorCode::kMalformed, "GPT header", fmt::format("header size {}, expected 92..{}", hsize, ss), hoff))
        return rep.failure();
      continue;
    }
    g.header_crc = *h.u32le(16);
    std::vector<uint8_t> copy(h.data().begin(), h.data().begin() + hsize);
    std::memset(copy.data() + 16, 0, 4);
    const uint32_t hcrc = crc32_of(copy);
    g.header_crc_ok = hcrc == g.header_crc;
    if (!g.header_crc_ok &&
        !rep.report(ErrorCode::kMalformed, "GPT header",
                    fmt::format("header CRC32 {:08x} does not match the computed {:08x}", g.header_crc, hcrc), hoff))
      return rep.failure();
    g.header_lba = *h.u64le(24);
    g.alternate_lba = *h.u64le(32);
    g.first_usable_lba = *h.u64le(40);
    g.last_usable_lba = *h.u64le(48);
    g.disk_guid = gpt_guid_string(*h.bytes(56, 16));
    g.entries_lba = *h.u64le(72);
    g.entry_count = *h.u32le(80);
    g.entry_size = *h.u32le(84);
    g.table_crc = *h.u32le(88);
    if (g.entry_size < 128 || g.entry_size % 8) {
      if (!rep.report(ErrorCode::kMalformed, "GPT header",
                      fmt::format("entry size {}, expected a multiple of 8 of at least 128", g.entry_size), hoff))
        return rep.failure();
      map.gpt = g;
      return std::optional<PartitionMap>(std::move(map));
    }
    const uint64_t table_bytes = uint64_t(g.entry_count) * g.entry_size;
    constexpr uint64_t kMaxTable = 1 << 20;
    auto table_off = checked_mul(g.entries_lba, ss);
    if (table_bytes > kMaxTable) {
      if (!rep.report(ErrorCode::kLimit, "GPT header",
                      fmt::format("partition table of {} entries of {} bytes is over the 1 MiB limit", g.entry_count,
                                  g.entry_size),
                      hoff))
        return rep.failure();
      map.gpt = g;
      return std::optional<PartitionMap>(std::move(map));
    }
    if (!table_off || !range_fits(*table_off, table_bytes, disk_size)) {
      if (!rep.report(ErrorCode::kTruncated, "GPT header",
                      fmt::format("partition table (LBA {}, {} entries of {} bytes) extends past the end of the disk",
                                  g.entries_lba, g.entry_count, g.entry_size),
                      hoff))
        return rep.failure();
      map.gpt = g;
      return std::optional<PartitionMap>(std::move(map));
    }
    std::vector<uint8_t> tscratch;
    UPSCOPE_TRY(ByteReader table, disk->view(*table_off, table_bytes, tscratch, "GPT partition table"));
    const uint32_t tcrc = crc32_of(table.data());
    g.table_crc_ok = tcrc == g.table_crc;
    if (!g.table_crc_ok &&
        !rep.report(ErrorCode::kMalformed, "GPT header",
                    fmt::format("partition table CRC32 {:08x} does not match the computed {:08x}", g.table_crc, tcrc),
                    hoff))
      return rep.failure();
    const uint64_t disk_sectors = disk_size / ss;
    for (uint32_t i = 0; i < g.entry_count; ++i) {
      ByteReader e = *table.sub(uint64_t(i) * g.entry_size, 128);
      Bytes type = *e.bytes(0, 16);
      bool empty = true;
      for (uint8_t b : type) empty &= b == 0;
      if (empty) continue;
      const uint64_t eoff = *table_off + uint64_t(i) * g.entry_size;
      const std::string where = fmt::format("GPT entry {}", i + 1);
      const uint64_t first = *e.u64le(32), last = *e.u64le(40);
      if (last < first) {
        if (!rep.report(ErrorCode::kMalformed, where, fmt::format("first LBA {} is after last LBA {}", first, last), eoff))
          return rep.failure();
        continue;
      }
      if (last >= disk_sectors || !fits_disk(first, last - first + 1, ss, disk_size)) {
        if (!rep.report(ErrorCode::kTruncated, where,
                        fmt::format("LBA {}..{} extends past the end of the disk ({} sectors)", first, last,
                                    disk_sectors),
                        eoff))
          return rep.failure();
        continue;
      }
      Partition p;
      p.index = i + 1;
      p.type = gpt_guid_string(type);
      p.type_name = gpt_type_name(p.type);
      p.unique_guid = gpt_guid_string(*e.bytes(16, 16));
      p.attributes = *e.u64le(48);
      p.name = utf16_name(e, 56, 36);
      p.first_lba = first;
      p.sector_count = last - first + 1;
      UPSCOPE_CHECK(add_partition(map, disk, std::move(p)));
    }
    // The backup header (normally the last sector) is only checked and reported.
    auto boff = checked_mul(g.alternate_lba, ss);
    if (boff && range_fits(*boff, ss, disk_size)) {
      std::vector<uint8_t> bscratch;
      auto bh = disk->view(*boff, ss, bscratch, "backup GPT header");
      if (bh && bh->starts_with("EFI PART")) {
        g.backup_present = true;
        const uint32_t bsize = bh->u32le(12).value_or(0);
        if (bsize >= 92 && bsize <= ss) {
          std::vector<uint8_t> bcopy(bh->data().begin(), bh->data().begin() + bsize);
          std::memset(bcopy.data() + 16, 0, 4);
          g.backup_ok = crc32_of(bcopy) == bh->u32le(16).value_or(0) && bh->u32le(88).value_or(0) == g.table_crc;
        }
      }
    }
    if (diags && !g.backup_present)
      diags->warning(boff, "backup GPT header", fmt::format("missing at LBA {}", g.alternate_lba));
    else if (diags && !g.backup_ok)
      diags->warning(boff, "backup GPT header", "present but its CRC or table CRC differs from the primary");
    map.gpt = g;
    return std::optional<PartitionMap>(std::move(map));
  }
  return std::optional<PartitionMap>();
}

Result<std::optional<PartitionMap>> read_apm(const SourcePtr& disk, Diagnostics* diags) {
  Reporter rep{*disk, diags, std::nullopt};
  const uint64_t disk_size = disk->size();
  if (disk_size < 1024) return std::optional<PartitionMap>();
  std::vector<uint8_t> scratch;
  UPSCOPE_TRY(ByteReader head, disk->view(0, 1024, scratch, "Apple partition map"));
  if (!head.starts_with("ER") || !head.starts_with("PM", 512)) return std::optional<PartitionMap>();
  PartitionMap map;
  map.scheme = Scheme::kApm;
  map.sector_size = 512;  // map entries and their block numbers are in 512-byte blocks on disk images
  map.disk_size = disk_size;
  const uint32_t count = *head.u32be(512 + 4);
  constexpr uint32_t kMaxEntries = 1024;
  if (count == 0 || count > kMaxEntries || !range_fits(512, uint64_t(count) * 512, disk_size)) {
    if (!rep.report(ErrorCode::kMalformed, "APM entry 1",
                    fmt::format("map of {} entries does not fit the disk (1..{} entries)", count, kMaxEntries), 512))
      return rep.failure();
    return std::optional<PartitionMap>(std::move(map));
  }
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t eoff = 512 + uint64_t(i) * 512;
    std::vector<uint8_t> es;
    UPSCOPE_TRY(ByteReader e, disk->view(eoff, 512, es, "APM entry"));
    const std::string where = fmt::format("APM entry {}", i + 1);
    if (!e.starts_with("PM")) {
      if (!rep.report(ErrorCode::kMalformed, where, "no 'PM' signature", eoff)) return rep.failure();
      continue;
    }
    const uint32_t start = *e.u32be(8), blocks = *e.u32be(12);
    if (!fits_disk(start, blocks, 512, disk_size)) {
      if (!rep.report(ErrorCode::kTruncated, where,
                      fmt::format("blocks {}..{} extend past the end of the disk ({} blocks)", start,
                                  uint64_t(start) + blocks - (blocks ? 1 : 0), disk_size / 512),
                      eoff))
        return rep.failure();
      continue;
    }
    Partition p;
    p.index = i + 1;
    p.name = std::string(*e.fixed_string(16, 32));
    p.type = std::string(*e.fixed_string(48, 32));
    p.type_name = p.type;
    p.first_lba = start;
    p.sector_count = blocks;
    UPSCOPE_CHECK(add_partition(map, disk, std::move(p)));
  }
  return std::optional<PartitionMap>(std::move(map));
}

Result<std::optional<PartitionMap>> read_mbr(const SourcePtr& disk, Diagnostics* diags) {
  Reporter rep{*disk, diags, std::nullopt};
  const uint64_t disk_size = disk->size();
  if (disk_size < 512) return std::optional<PartitionMap>();
  std::vector<uint8_t> scratch;
  UPSCOPE_TRY(ByteReader b, disk->view(0, 512, scratch, "MBR"));
  if (*b.u16le(510) != 0xAA55) return std::optional<PartitionMap>();
  for (int i = 0; i < 4; ++i) {
    const uint8_t status = *b.u8(446 + 16 * i);
    if (status != 0 && status != 0x80) return std::optional<PartitionMap>();  // a boot sector, not a table
  }
  PartitionMap map;
  map.scheme = Scheme::kMbr;
  map.disk_size = disk_size;
  for (uint32_t i = 0; i < 4; ++i) {
    const uint64_t eoff = 446 + 16 * i;
    const uint8_t type = *b.u8(eoff + 4);
    if (type == 0) continue;
    const uint32_t first = *b.u32le(eoff + 8), count = *b.u32le(eoff + 12);
    const std::string where = fmt::format("MBR entry {}", i + 1);
    if (!fits_disk(first, count, 512, disk_size)) {
      if (!rep.report(ErrorCode::kTruncated, where,
                      fmt::format("sectors {}..{} extend past the end of the disk ({} sectors)", first,
                                  uint64_t(first) + count - (count ? 1 : 0), disk_size / 512),
                      eoff))
        return rep.failure();
      continue;
    }
    Partition p;
    p.index = i + 1;
    p.type = fmt::format("{:#04x}", type);
    switch (type) {
      case 0xEE: p.type_name = "GPT_Protective"; break;
      case 0xAF: p.type_name = "Apple_HFS"; break;
      case 0xAB: p.type_name = "Apple_Boot"; break;
      case 0x07: p.type_name = "NTFS_exFAT"; break;
      case 0x0B: case 0x0C: p.type_name = "FAT32"; break;
      case 0x83: p.type_name = "Linux"; break;
      default: break;
    }
    p.attributes = *b.u8(eoff);
    p.first_lba = first;
    p.sector_count = count;
    UPSCOPE_CHECK(add_partition(map, disk, std::move(p)));
  }
  if (map.partitions.empty()) return std::optional<PartitionMap>();
  return std::optional<PartitionMap>(std::move(map));
}

Result<PartitionMap> read_partition_map(const SourcePtr& disk, Diagnostics* diags) {
  for (auto reader : {read_gpt, read_apm, read_mbr}) {
    UPSCOPE_TRY(auto m, reader(disk, diags));
    if (m) return std::move(*m);
  }
  PartitionMap none;
  none.disk_size = disk->size();
  none.filesystem_at_zero = detect_filesystem(*disk);
  return none;
}

nlohmann::ordered_json to_json(const PartitionMap& map) {
  nlohmann::ordered_json j;
  j["scheme"] = to_string(map.scheme);
  j["sector_size"] = map.sector_size;
  j["disk_size"] = map.disk_size;
  if (map.scheme == Scheme::kNone) j["filesystem_at_zero"] = map.filesystem_at_zero;
  if (map.gpt) {
    const GptInfo& g = *map.gpt;
    j["gpt"] = {{"disk_guid", g.disk_guid},
                {"header_lba", g.header_lba},
                {"alternate_lba", g.alternate_lba},
                {"first_usable_lba", g.first_usable_lba},
                {"last_usable_lba", g.last_usable_lba},
                {"entries_lba", g.entries_lba},
                {"entry_count", g.entry_count},
                {"entry_size", g.entry_size},
                {"header_crc32", fmt::format("{:08x}", g.header_crc)},
                {"header_crc_ok", g.header_crc_ok},
                {"table_crc32", fmt::format("{:08x}", g.table_crc)},
                {"table_crc_ok", g.table_crc_ok},
                {"backup_present", g.backup_present},
                {"backup_ok", g.backup_ok}};
  }
  auto parts = nlohmann::ordered_json::array();
  for (const auto& p : map.partitions) {
    nlohmann::ordered_json q;
    q["index"] = p.index;
    q["type"] = p.type;
    q["type_name"] = p.type_name;
    q["name"] = p.name;
    if (map.scheme == Scheme::kGpt) {
      q["unique_guid"] = p.unique_guid;
      q["attributes"] = p.attributes;
    }
    q["first_lba"] = p.first_lba;
    q["sector_count"] = p.sector_count;
    q["offset"] = p.offset;
    q["length"] = p.length;
    q["filesystem"] = p.filesystem;
    if (p.filesystem_error) q["filesystem_error"] = p.filesystem_error->message();
    parts.push_back(std::move(q));
  }
  j["partitions"] = std::move(parts);
  return j;
}

}  // namespace upscope::partition
