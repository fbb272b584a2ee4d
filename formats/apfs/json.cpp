#include "apfs/json.hpp"
#include "apfs/structs.hpp"

#include <fmt/format.h>

namespace upscope::apfs {

using Json = nlohmann::ordered_json;

namespace {
std::string hex(uint64_t v) { return fmt::format("0x{:x}", v); }
}  // namespace

Json to_json(const ContainerInfo& c) {
  Json j;
  j["uuid"] = c.uuid;
  j["block_size"] = c.block_size;
  j["block_count"] = c.block_count;
  j["device_blocks"] = c.device_blocks;
  j["truncated"] = c.device_blocks < c.block_count;
  j["xid"] = c.xid;
  j["superblock_block"] = c.superblock_paddr;
  j["checkpoints_seen"] = c.checkpoints_seen;
  j["next_xid"] = c.next_xid;
  j["omap_oid"] = c.omap_oid;
  j["features"] = hex(c.features);
  j["readonly_compatible_features"] = hex(c.readonly_compatible_features);
  j["incompatible_features"] = hex(c.incompatible_features);
  j["max_file_systems"] = c.max_file_systems;
  return j;
}

Json to_json(const VolumeInfo& v) {
  Json j;
  j["index"] = v.index;
  j["oid"] = v.oid;
  if (!v.error.empty() && v.name.empty()) {
    j["error"] = v.error;
    return j;
  }
  j["name"] = v.name;
  j["uuid"] = v.uuid;
  j["role"] = v.role_name;
  j["role_value"] = v.role;
  j["block"] = v.paddr;
  j["xid"] = v.xid;
  j["fs_index"] = v.fs_index;
  j["case_sensitive"] = v.case_sensitive;
  j["normalization_insensitive"] = v.normalization_insensitive;
  j["encrypted"] = v.encrypted;
  j["sealed"] = v.sealed;
  j["features"] = hex(v.features);
  j["readonly_compatible_features"] = hex(v.readonly_compatible_features);
  j["incompatible_features"] = hex(v.incompatible_features);
  j["fs_flags"] = hex(v.fs_flags);
  j["formatted_by"] = v.formatted_by;
  j["file_count"] = v.num_files;
  j["directory_count"] = v.num_directories;
  j["symlink_count"] = v.num_symlinks;
  j["other_count"] = v.num_other;
  j["snapshot_count"] = v.num_snapshots;
  j["alloc_blocks"] = v.alloc_blocks;
  j["root_tree_oid"] = v.root_tree_oid;
  j["omap_oid"] = v.omap_oid;
  j["snap_meta_tree_oid"] = v.snap_meta_tree_oid;
  j["volume_group_id"] = v.volume_group_id.empty() ? Json(nullptr) : Json(v.volume_group_id);
  j["unmount_time"] = v.unmount_time;
  j["last_mod_time"] = v.last_mod_time;
  if (v.sealed) {
    Json s;
    s["integrity_meta_oid"] = v.integrity_meta_oid;
    s["fext_tree_oid"] = v.fext_tree_oid;
    if (v.integrity) {
      s["version"] = v.integrity->version;
      s["flags"] = hex(v.integrity->flags);
      s["seal_broken"] = (v.integrity->flags & 1) != 0;
      s["hash_type"] = v.integrity->hash_type_name;
      s["root_hash_offset"] = v.integrity->root_hash_offset;
      s["root_hash"] = v.integrity->root_hash;
      s["broken_xid"] = v.integrity->broken_xid;
    }
    s["verified_on_real_bytes"] = false;
    j["seal"] = s;
  }
  if (!v.cryptex_role.empty()) j["cryptex_role"] = v.cryptex_role;
  if (!v.error.empty()) j["error"] = v.error;
  return j;
}

Json to_json(const Inode& ino) {
  Json j;
  j["inode"] = ino.id;
  j["parent"] = ino.parent_id;
  j["mode"] = fmt::format("{:06o}", ino.mode);
  j["uid"] = ino.uid;
  j["gid"] = ino.gid;
  j["nlink"] = ino.nlink();
  j["size"] = ino.compressed() ? ino.uncompressed_size : (ino.dstream ? ino.dstream->size : 0);
  j["alloced_size"] = ino.dstream ? ino.dstream->alloced_size : 0;
  j["private_id"] = ino.private_id;
  j["create_time"] = ino.create_time;
  j["mod_time"] = ino.mod_time;
  j["change_time"] = ino.change_time;
  j["access_time"] = ino.access_time;
  j["bsd_flags"] = hex(ino.bsd_flags);
  j["internal_flags"] = hex(ino.internal_flags);
  if (ino.sparse_bytes) j["sparse_bytes"] = ino.sparse_bytes;
  return j;
}

Json to_json(const Snapshot& s) {
  return Json{{"xid", s.xid}, {"name", s.name}, {"sblock_oid", s.sblock_oid}, {"create_time", s.create_time},
              {"change_time", s.change_time}, {"inum", s.inum}, {"flags", hex(s.flags)}};
}

Json to_json(const Compression& c) {
  return Json{{"type", c.type}, {"method", c.method}, {"uncompressed_size", c.uncompressed_size},
              {"resource_fork", c.in_resource_fork}};
}

Json to_json(const Container& c) {
  Json j = to_json(c.info());
  Json vols = Json::array();
  for (const auto& v : c.volumes()) vols.push_back(to_json(v));
  j["volumes"] = vols;
  return j;
}

}  // namespace upscope::apfs
