#include "hfs/json.hpp"

#include <fmt/format.h>

namespace upscope::hfs {

nlohmann::ordered_json to_json(const Fork& f) {
  nlohmann::ordered_json j;
  j["logical_size"] = f.logical_size;
  j["total_blocks"] = f.total_blocks;
  auto ex = nlohmann::ordered_json::array();
  for (const auto& e : f.extents)
    if (e.block_count) ex.push_back({{"start_block", e.start_block}, {"block_count", e.block_count}});
  j["extents"] = ex;
  return j;
}

nlohmann::ordered_json to_json(const VolumeInfo& v) {
  const auto& h = v.header;
  nlohmann::ordered_json j;
  j["name"] = v.name;
  j["kind"] = h.hfsx() ? "hfsx" : "hfs+";
  j["located_as"] = v.how;
  j["offset"] = v.offset;
  j["signature"] = h.hfsx() ? "HX" : "H+";
  j["version"] = h.version;
  j["attributes"] = fmt::format("0x{:08x}", h.attributes);
  j["journaled"] = v.journaled;
  j["journal_info_block"] = h.journal_info_block;
  j["case_sensitive"] = v.case_sensitive;
  j["last_mounted_version"] = fmt::format("{:08x}", h.last_mounted_version);
  j["create_date"] = unix_time(h.create_date);
  j["modify_date"] = unix_time(h.modify_date);
  j["backup_date"] = unix_time(h.backup_date);
  j["checked_date"] = unix_time(h.checked_date);
  j["file_count"] = h.file_count;
  j["folder_count"] = h.folder_count;
  j["block_size"] = h.block_size;
  j["total_blocks"] = h.total_blocks;
  j["free_blocks"] = h.free_blocks;
  j["next_catalog_id"] = h.next_catalog_id;
  j["write_count"] = h.write_count;
  j["catalog_file"] = to_json(h.catalog_file);
  j["extents_file"] = to_json(h.extents_file);
  j["attributes_file"] = to_json(h.attributes_file);
  j["allocation_file"] = to_json(h.allocation_file);
  return j;
}

nlohmann::ordered_json to_json(const CatalogEntry& e) {
  nlohmann::ordered_json j;
  j["mode"] = fmt::format("{:06o}", e.effective_mode());
  j["uid"] = e.owner_id;
  j["gid"] = e.group_id;
  j["nlink"] = e.link_count();
  j["flags"] = e.flags;
  j["bsd_flags"] = (uint32_t(e.admin_flags) << 16) | e.owner_flags;
  j["create_time"] = unix_time(e.create_date);
  j["mod_time"] = unix_time(e.content_mod_date);
  j["change_time"] = unix_time(e.attribute_mod_date);
  j["access_time"] = unix_time(e.access_date);
  if (e.is_file()) {
    j["finder_type"] = fourcc(e.file_type);
    j["finder_creator"] = fourcc(e.creator);
    j["resource_fork_size"] = e.rsrc.logical_size;
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
