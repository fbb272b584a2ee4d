#include "hfs/json.hpp"

#include <fmt/format.h>

namespace upscope::hfs {

nlohmann::ordered_json to_json(const HFSPlusForkData& f) {
  nlohmann::ordered_json j;
  j["logical_size"] = f.logicalSize;
  j["total_blocks"] = f.totalBlocks;
  auto ex = nlohmann::ordered_json::array();
  for (const auto& e : f.extents)
    if (e.blockCount) ex.push_back({{"start_block", e.startBlock}, {"block_count", e.blockCount}});
  j["extents"] = ex;
  return j;
}

nlohmann::ordered_json to_json(const VolumeInfo& v) {
  const auto& h = v.header;
  nlohmann::ordered_json j;
  j["name"] = v.name;
  j["kind"] = h.signature == kHFSXSigWord ? "hfsx" : "hfs+";
  j["located_as"] = v.how;
  j["offset"] = v.offset;
  j["signature"] = h.signature == kHFSXSigWord ? "HX" : "H+";
  j["version"] = h.version;
  j["attributes"] = fmt::format("0x{:08x}", h.attributes);
  j["journaled"] = v.journaled;
  j["journal_info_block"] = h.journalInfoBlock;
  j["case_sensitive"] = v.case_sensitive;
  j["last_mounted_version"] = fmt::format("{:08x}", h.lastMountedVersion);
  j["create_date"] = unix_time(h.createDate);
  j["modify_date"] = unix_time(h.modifyDate);
  j["backup_date"] = unix_time(h.backupDate);
  j["checked_date"] = unix_time(h.checkedDate);
  j["file_count"] = h.fileCount;
  j["folder_count"] = h.folderCount;
  j["block_size"] = h.blockSize;
  j["total_blocks"] = h.totalBlocks;
  j["free_blocks"] = h.freeBlocks;
  j["next_catalog_id"] = h.nextCatalogID;
  j["write_count"] = h.writeCount;
  j["catalog_file"] = to_json(h.catalogFile);
  j["extents_file"] = to_json(h.extentsFile);
  j["attributes_file"] = to_json(h.attributesFile);
  j["allocation_file"] = to_json(h.allocationFile);
  return j;
}

nlohmann::ordered_json to_json(const CatalogEntry& e) {
  nlohmann::ordered_json j;
  j["mode"] = fmt::format("{:06o}", e.effective_mode());
  j["uid"] = e.owner_id;
  j["gid"] = e.group_id;
  j["nlink"] = e.is_file() && !e.is_hard_link() && (e.flags & kHFSHasLinkChainMask) && e.special ? e.special : 1;
  j["flags"] = e.flags;
  j["bsd_flags"] = (uint32_t(e.admin_flags) << 16) | e.owner_flags;
  j["create_time"] = unix_time(e.create_date);
  j["mod_time"] = unix_time(e.content_mod_date);
  j["change_time"] = unix_time(e.attribute_mod_date);
  j["access_time"] = unix_time(e.access_date);
  if (e.is_file()) {
    j["finder_type"] = fourcc(e.file_type);
    j["finder_creator"] = fourcc(e.creator);
    j["resource_fork_size"] = e.rsrc.logicalSize;
  } else {
    j["valence"] = e.valence;
  }
  return j;
}

nlohmann::ordered_json to_json(const Compression& c) {
  return {{"type", c.type}, {"method", c.method}, {"uncompressed_size", c.uncompressed_size},
          {"resource_fork", c.in_resource_fork}};
}

}  // namespace upscope::hfs
