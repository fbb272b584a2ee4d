#include "partition/probe.hpp"

#include <fmt/format.h>

#include "inspect/text.hpp"

namespace upscope::partition {

std::string gpt_guid_string(Bytes b) {
  if (b.size() != 16) return {};
  return fmt::format("{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}", load_u32le(b.data()),
                     load_u16le(b.data() + 4), load_u16le(b.data() + 6), b[8], b[9], b[10], b[11], b[12], b[13],
                     b[14], b[15]);
}

std::string gpt_type_name(const std::string& guid) {
  struct Known { const char* guid; const char* name; };
  static const Known kKnown[] = {
      {"7C3457EF-0000-11AA-AA11-00306543ECAC", "Apple_APFS"},
      {"48465300-0000-11AA-AA11-00306543ECAC", "Apple_HFS"},
      {"426F6F74-0000-11AA-AA11-00306543ECAC", "Apple_Boot"},
      {"52637672-7900-11AA-AA11-00306543ECAC", "Apple_APFS_Recovery"},
      {"69646961-6700-11AA-AA11-00306543ECAC", "Apple_APFS_ISC"},
      {"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI"},
      {"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "Microsoft_Basic_Data"},
      {"0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux_Filesystem"},
  };
  for (const auto& k : kKnown)
    if (guid == k.guid) return k.name;
  return {};
}

std::optional<Identification> probe_gpt(const ProbeInput& in) {
  for (uint64_t sector : {512u, 4096u}) {
    if (!in.head.starts_with("EFI PART", sector)) continue;
    Cursor c(in.head, sector + 72);
    uint64_t entries_lba = c.u64le();
    uint32_t count = c.u32le(), entry_size = c.u32le();
    Identification id;
    id.format = "gpt";
    id.details["sector_size"] = sector;
    id.details["entry_count"] = count;
    nlohmann::ordered_json parts = nlohmann::ordered_json::array();
    // List the partitions the probe window can see; the full reader validates CRCs and bounds.
    auto entries_off = checked_mul(entries_lba, sector);
    if (c.ok() && entry_size >= 128 && entries_off) {
      for (uint32_t i = 0; i < count && i < 128; ++i) {
        auto off = checked_add(*entries_off, uint64_t(i) * entry_size);
        if (!off) break;
        auto e = in.head.sub(*off, 128);
        if (!e) break;
        auto type = e->bytes(0, 16);
        bool empty = true;
        for (uint8_t b : *type) empty &= b == 0;
        if (empty) continue;
        std::string guid = gpt_guid_string(*type);
        std::string name;
        for (uint64_t k = 0; k < 36; ++k) {
          uint16_t ch = *e->u16le(56 + 2 * k);
          if (!ch) break;
          name += ch < 0x80 ? static_cast<char>(ch) : '?';
        }
        nlohmann::ordered_json p;
        p["index"] = i + 1;
        p["type_guid"] = guid;
        p["type"] = gpt_type_name(guid);
        p["name"] = name;
        p["first_lba"] = *e->u64le(32);
        p["last_lba"] = *e->u64le(40);
        parts.push_back(p);
      }
    }
    id.details["partitions"] = parts;
    std::string summary;
    for (const auto& p : parts) {
      if (!summary.empty()) summary += ", ";
      summary += p["type"].get<std::string>().empty() ? p["type_guid"].get<std::string>() : p["type"].get<std::string>();
    }
    id.description = fmt::format("GPT partitioned disk ({}-byte sectors), {} partition{}{}", sector, parts.size(),
                                 parts.size() == 1 ? "" : "s", summary.empty() ? "" : ": " + summary);
    return id;
  }
  return std::nullopt;
}

std::optional<Identification> probe_apm(const ProbeInput& in) {
  if (!in.head.starts_with("ER") || !in.head.starts_with("PM", 512)) return std::nullopt;
  uint32_t block_size = in.head.u16be(2).value_or(512);
  uint32_t map_entries = in.head.u32be(512 + 4).value_or(0);
  Identification id;
  id.format = "apm";
  id.details["block_size"] = block_size;
  id.details["map_entries"] = map_entries;
  id.description = fmt::format("Apple Partition Map disk, {} map entries", map_entries);
  return id;
}

std::optional<Identification> probe_mbr(const ProbeInput& in) {
  auto sig = in.head.u16le(510);
  if (!sig || *sig != 0xAA55) return std::nullopt;
  nlohmann::ordered_json parts = nlohmann::ordered_json::array();
  for (int i = 0; i < 4; ++i) {
    uint64_t e = 446 + 16 * i;
    uint8_t status = *in.head.u8(e), type = *in.head.u8(e + 4);
    if (status != 0 && status != 0x80) return std::nullopt;  // not a partition table (a boot sector)
    if (type == 0) continue;
    nlohmann::ordered_json p;
    p["index"] = i + 1;
    p["type"] = fmt::format("{:#04x}", type);
    p["first_lba"] = *in.head.u32le(e + 8);
    p["sectors"] = *in.head.u32le(e + 12);
    parts.push_back(p);
  }
  if (parts.empty()) return std::nullopt;
  Identification id;
  id.format = "mbr";
  id.details["partitions"] = parts;
  id.description = fmt::format("MBR partitioned disk, {} partition{}", parts.size(), parts.size() == 1 ? "" : "s");
  return id;
}

}  // namespace upscope::partition
