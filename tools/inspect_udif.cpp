// `upscope inspect` for disk images: UDIF (.dmg), .sparseimage and raw partitioned disks. Lists
// the koly summary, every blkx table and the partitions (GPT/APM/MBR) of the decoded disk.
#include <fmt/format.h>

#include "inspect/text.hpp"
#include "inspect_registry.hpp"
#include "partition/partition_map.hpp"
#include "reports/text_table.hpp"
#include "udif/disk_image.hpp"
#include "udif/json.hpp"

namespace upscope::cli {
namespace {

using reports::TextTable;

std::string type_counts_text(const udif::Blkx& b) {
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
  TextTable tab({"#", "ID", "NAME", "FIRST", "SECTORS", "CRC32", "CHUNKS", "COMPRESSED"},
                {TextTable::Align::kRight, TextTable::Align::kRight, TextTable::Align::kLeft, TextTable::Align::kRight,
                 TextTable::Align::kRight, TextTable::Align::kLeft, TextTable::Align::kLeft, TextTable::Align::kRight});
  for (const auto& b : img.blkx)
    tab.add_row({std::to_string(b.ordinal), b.id, b.name, std::to_string(b.header.firstSectorNumber),
                 std::to_string(b.header.sectorCount),
                 b.crc_checked() ? fmt::format("{:08x}", b.header.checksum.crc32()) : "-", type_counts_text(b),
                 std::to_string(b.compressed_bytes)});
  t += "  blkx tables:\n";
  std::string body = tab.str();
  for (size_t pos = 0; pos < body.size();) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string::npos) nl = body.size();
    t += "    " + body.substr(pos, nl - pos) + "\n";
    pos = nl + 1;
  }
  return t;
}

std::string partitions_text(const partition::PartitionMap& m) {
  std::string t;
  if (m.scheme == partition::Scheme::kNone) {
    t += fmt::format("  partitions: no partition map{}\n",
                     m.filesystem_at_zero.empty() ? "" : fmt::format("; {} file system at offset 0", m.filesystem_at_zero));
    return t;
  }
  t += fmt::format("  partitions ({}, {}-byte sectors):\n", partition::to_string(m.scheme), m.sector_size);
  if (m.gpt)
    t += fmt::format("    GPT header CRC {}, table CRC {}, backup header {}\n", m.gpt->header_crc_ok ? "ok" : "BAD",
                     m.gpt->table_crc_ok ? "ok" : "BAD",
                     m.gpt->backup_present ? (m.gpt->backup_ok ? "ok" : "differs") : "missing");
  TextTable tab({"INDEX", "TYPE", "NAME", "START", "SECTORS", "SIZE", "FS"},
                {TextTable::Align::kRight, TextTable::Align::kLeft, TextTable::Align::kLeft, TextTable::Align::kRight,
                 TextTable::Align::kRight, TextTable::Align::kRight, TextTable::Align::kLeft});
  for (const auto& p : m.partitions)
    tab.add_row({std::to_string(p.index), p.type_name.empty() ? p.type : p.type_name, p.name,
                 std::to_string(p.first_lba), std::to_string(p.sector_count), human_size(p.length),
                 p.filesystem_error ? "unreadable" : p.filesystem});
  std::string body = tab.str();
  for (size_t pos = 0; pos < body.size();) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string::npos) nl = body.size();
    t += "    " + body.substr(pos, nl - pos) + "\n";
    pos = nl + 1;
  }
  return t;
}

InspectResult inspect_disk(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto img = udif::open_disk_image(src, &r.diagnostics);
  if (!img) {
    r.error = img.error();
    return r;
  }
  r.json = udif::to_json(*img);
  if (img->udif) r.text += udif_text(*img->udif);
  if (img->sparse)
    r.text += fmt::format("  sparse image v{}: {} sectors, {}-sector bands, {} bands stored\n", img->sparse->version,
                          img->sparse->total_sectors, img->sparse->sectors_per_band, img->sparse->bands.size());
  auto map = partition::read_partition_map(img->disk, &r.diagnostics);
  if (!map) {
    r.diagnostics.add(map.error());
    return r;
  }
  r.json["partition_map"] = partition::to_json(*map);
  r.text += partitions_text(*map);
  for (const auto& p : map->partitions)
    if (p.filesystem_error) r.diagnostics.add(*p.filesystem_error);
  return r;
}

InspectResult inspect_encrypted(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  if (auto e = udif::detect_encrypted(*src)) r.error = *e;
  r.json["encrypted"] = true;
  return r;
}

const InspectorRegistrar reg_disk({"udif", "sparseimage", "gpt", "apm", "mbr"}, inspect_disk);
const InspectorRegistrar reg_enc({"udif-encrypted"}, inspect_encrypted);

}  // namespace
}  // namespace upscope::cli
