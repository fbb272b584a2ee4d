#include "udif/json.hpp"

#include <fmt/format.h>

#include "inspect/text.hpp"

namespace upscope::udif {

using Json = nlohmann::ordered_json;

std::string crc_hex(uint32_t crc) { return fmt::format("{:08x}", crc); }

static Json checksum_json(const Checksum& c) {
  Json j;
  j["type"] = c.type;
  j["bits"] = c.bitCount;
  if (c.is_crc32()) j["crc32"] = crc_hex(c.crc32());
  return j;
}

Json to_json(const Trailer& k) {
  Json j;
  j["version"] = k.version;
  j["header_size"] = k.headerSize;
  j["flags"] = k.flags;
  j["flattened"] = (k.flags & 1) != 0;
  j["internet_enabled"] = (k.flags & 4) != 0;
  j["running_data_fork_offset"] = k.runningDataForkOffset;
  j["data_fork_offset"] = k.dataForkOffset;
  j["data_fork_length"] = k.dataForkLength;
  j["rsrc_fork_offset"] = k.rsrcForkOffset;
  j["rsrc_fork_length"] = k.rsrcForkLength;
  j["segment_number"] = k.segmentNumber;
  j["segment_count"] = k.segmentCount;
  j["segment_id"] = uuid_string(Bytes(k.segmentID));
  j["data_fork_checksum"] = checksum_json(k.dataForkChecksum);
  j["xml_offset"] = k.xmlOffset;
  j["xml_length"] = k.xmlLength;
  j["code_signature_offset"] = k.codeSignatureOffset;
  j["code_signature_length"] = k.codeSignatureLength;
  j["master_checksum"] = checksum_json(k.masterChecksum);
  j["image_variant"] = k.imageVariant;
  j["sector_count"] = k.sectorCount;
  return j;
}

Json to_json(const Blkx& b) {
  Json j;
  j["index"] = b.ordinal;
  j["id"] = b.id;
  j["name"] = b.name;
  j["attributes"] = b.attributes;
  j["first_sector"] = b.header.firstSectorNumber;
  j["sector_count"] = b.header.sectorCount;
  j["data_start"] = b.header.dataStart;
  j["buffers_needed"] = b.header.buffersNeeded;
  j["block_descriptors"] = b.header.blockDescriptors;
  j["checksum"] = checksum_json(b.header.checksum);
  Json counts = Json::object();
  for (const auto& [type, n] : b.type_counts) {
    const char* name = chunk_type_name(type);
    counts[*name ? std::string(name) : fmt::format("{:#010x}", type)] = n;
  }
  j["chunk_counts"] = counts;
  j["decoded_bytes"] = b.header.sectorCount * kSectorSize;
  j["compressed_bytes"] = b.compressed_bytes;
  return j;
}

Json to_json(const Image& img) {
  Json j;
  j["file_size"] = img.file_size;
  j["koly_offset"] = img.koly_offset;
  j["koly"] = to_json(img.koly);
  j["code_signature"] = img.has_code_signature();
  j["raw_data_fork"] = img.raw_data_fork;
  j["resource_keys"] = img.resource_keys;
  j["decoded_size"] = img.size_bytes();
  j["master_checksum_computed"] = crc_hex(img.master_computed);
  j["master_checksum_ok"] = img.master_ok();
  Json arr = Json::array();
  for (const auto& b : img.blkx) arr.push_back(to_json(b));
  j["blkx"] = std::move(arr);
  return j;
}

Json to_json(const SparseHeader& s) {
  Json j;
  j["version"] = s.version;
  j["sectors_per_band"] = s.sectors_per_band;
  j["sector_count"] = s.total_sectors;
  j["bands_stored"] = s.bands.size();
  return j;
}

Json to_json(const DiskImage& d) {
  Json j;
  j["kind"] = to_string(d.kind);
  j["decoded_size"] = d.disk->size();
  if (d.udif) j["udif"] = to_json(*d.udif);
  if (d.sparse) j["sparse"] = to_json(*d.sparse);
  return j;
}

Json to_json(const VerifyReport& rep, const Image& img) {
  Json j;
  Json arr = Json::array();
  for (size_t i = 0; i < rep.blkx.size(); ++i) {
    const BlkxCheck& b = rep.blkx[i];
    Json e;
    e["index"] = b.ordinal;
    e["name"] = i < img.blkx.size() ? img.blkx[i].name : std::string();
    e["checked"] = b.checked;
    e["stored"] = crc_hex(b.stored);
    e["computed"] = crc_hex(b.computed);
    e["ok"] = b.ok();
    if (b.error) e["error"] = b.error->message();
    arr.push_back(std::move(e));
  }
  j["blkx"] = std::move(arr);
  j["master"] = {{"checked", rep.master_checked},
                 {"stored", crc_hex(rep.master_stored)},
                 {"computed", crc_hex(rep.master_computed)},
                 {"ok", !rep.master_checked || rep.master_stored == rep.master_computed}};
  if (rep.data_fork_checked)
    j["data_fork"] = {{"stored", crc_hex(rep.data_fork_stored)},
                      {"computed", crc_hex(rep.data_fork_computed)},
                      {"ok", rep.data_fork_stored == rep.data_fork_computed}};
  j["ok"] = rep.ok();
  return j;
}

}  // namespace upscope::udif
