// `upscope inspect` of disk images (reports/format_reports.hpp): UDIF (.dmg), .sparseimage and raw
// partitioned disks; the koly summary, every blkx table and the partitions (GPT/APM/MBR) of the disk.
#include <fmt/format.h>

#include "inspect/text.hpp"
#include "reports/format_reports.hpp"
#include "reports/text_table.hpp"
#include "udif/json.hpp"

namespace upscope::reports {

namespace {

std::string blkx_type_counts(const udif::Blkx& b) {
  std::string out;
  for (const auto& [type, n] : b.type_counts) {
    if (type == udif::kChunkTerminator) continue;
    const char* name = udif::chunk_type_name(type);
    if (!out.empty()) out += " ";
    out += fmt::format("{}:{}", *name ? name : fmt::format("{:#x}", type).c_str(), n);
  }
  return out;
}

std::string udif_text(const udif::Image& img) {
  const auto& k = img.koly;
  std::string t;
  t += fmt::format("  koly: v{}, flags {:#x}, data fork {:#x}+{:#x}, XML {:#x}+{:#x}, variant {}\n", k.version, k.flags,
                   k.dataForkOffset, k.dataForkLength, k.xmlOffset, k.xmlLength, k.imageVariant);
  t += fmt::format("  decoded size: {} sectors ({})\n", img.sector_count(), human_size(img.size_bytes()));
  t += img.has_code_signature()
           ? fmt::format("  code signature: present at {:#x} ({} bytes)\n", k.codeSignatureOffset, k.codeSignatureLength)
           : std::string("  code signature: none\n");
  if (img.master_checked())
    t += fmt::format("  master checksum: CRC32 {:08x} ({})\n", k.masterChecksum.crc32(),
                     img.master_ok() ? "matches the blkx checksums" : fmt::format("MISMATCH: computed {:08x}", img.master_computed));
  else
    t += fmt::format("  master checksum: type {} (not checked)\n", k.masterChecksum.type);
  if (img.raw_data_fork) t += "  no XML plist: the data fork is the raw disk\n";
  using A = TextTable::Align;
  TextTable tab({"#", "ID", "NAME", "FIRST", "SECTORS", "CRC32", "CHUNKS", "COMPRESSED"},
                {A::kRight, A::kRight, A::kLeft, A::kRight, A::kRight, A::kLeft, A::kLeft, A::kRight});
  for (const auto& b : img.blkx)
    tab.add_row({std::to_string(b.ordinal), b.id, b.name, std::to_string(b.header.firstSectorNumber),
                 std::to_string(b.header.sectorCount),
                 b.crc_checked() ? fmt::format("{:08x}", b.header.checksum.crc32()) : "-", blkx_type_counts(b),
                 std::to_string(b.compressed_bytes)});
  t += "  blkx tables:\n";
  return t + indent(tab.str(), "    ");
}

std::string partitions_text(const partition::PartitionMap& m) {
  if (m.scheme == partition::Scheme::kNone)
    return fmt::format("  partitions: no partition map{}\n",
                       m.filesystem_at_zero.empty() ? "" : fmt::format("; {} file system at offset 0", m.filesystem_at_zero));
  std::string t = fmt::format("  partitions ({}, {}-byte sectors):\n", partition::to_string(m.scheme), m.sector_size);
  if (m.gpt)
    t += fmt::format("    GPT header CRC {}, table CRC {}, backup header {}\n", m.gpt->header_crc_ok ? "ok" : "BAD",
                     m.gpt->table_crc_ok ? "ok" : "BAD",
                     m.gpt->backup_present ? (m.gpt->backup_ok ? "ok" : "differs") : "missing");
  using A = TextTable::Align;
  TextTable tab({"INDEX", "TYPE", "NAME", "START", "SECTORS", "SIZE", "FS"},
                {A::kRight, A::kLeft, A::kLeft, A::kRight, A::kRight, A::kRight, A::kLeft});
  for (const auto& p : m.partitions)
    tab.add_row({std::to_string(p.index), p.type_name.empty() ? p.type : p.type_name, p.name,
                 std::to_string(p.first_lba), std::to_string(p.sector_count), human_size(p.length),
                 p.filesystem_error ? "unreadable" : p.filesystem});
  return t + indent(tab.str(), "    ");
}

}  // namespace

FormatReport disk_image_report(const udif::DiskImage& img, const std::optional<partition::PartitionMap>& map) {
  FormatReport r{udif::to_json(img), {}};
  if (img.udif) r.text += udif_text(*img.udif);
  if (img.sparse)
    r.text += fmt::format("  sparse image v{}: {} sectors, {}-sector bands, {} bands stored\n", img.sparse->version,
                          img.sparse->total_sectors, img.sparse->sectors_per_band, img.sparse->bands.size());
  if (!map) return r;
  r.json["partition_map"] = partition::to_json(*map);
  r.text += partitions_text(*map);
  return r;
}

FormatReport encrypted_disk_image_report() {
  FormatReport r;
  r.json["encrypted"] = true;
  return r;
}

}  // namespace upscope::reports
