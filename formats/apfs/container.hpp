// An APFS container (nx_superblock_t) read through any Source: a raw image, a GPT partition
// (SliceSource), a UDIF image. Picks the newest valid checkpoint superblock, verifies the
// Fletcher-64 of every object it reads, resolves virtual oids through the object map, and lists
// the volumes. The device may be shorter than nx_block_count (carved or truncated images): blocks
// past its end are a precise error when, and only when, something needs them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "apfs/btree.hpp"
#include "apfs/object.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope::apfs {

class Volume;

struct IntegrityInfo {  // integrity_meta_phys_t of a sealed volume
  uint64_t oid = 0;
  uint32_t version = 0;
  uint32_t flags = 0;  // 0x1 APFS_SEAL_BROKEN
  uint32_t hash_type = 0;
  std::string hash_type_name;  // "sha256", "sha512_256", "sha384", "sha512"
  uint32_t root_hash_offset = 0;
  std::string root_hash;  // hex, when the offset lies inside the object
  uint64_t broken_xid = 0;
};

struct VolumeInfo {
  size_t index = 0;        // slot in nx_fs_oid
  uint64_t oid = 0;        // virtual oid of the APSB
  uint64_t paddr = 0;      // where the omap put it
  uint64_t xid = 0;
  uint32_t fs_index = 0;
  std::string name;
  std::string uuid;
  uint16_t role = 0;
  std::string role_name;   // "system", "data", "preboot", ... ("" for none)
  uint64_t features = 0, readonly_compatible_features = 0, incompatible_features = 0;
  uint64_t fs_flags = 0;
  bool case_sensitive = true;
  bool normalization_insensitive = false;
  bool sealed = false;
  bool encrypted = false;
  std::string formatted_by;
  uint64_t num_files = 0, num_directories = 0, num_symlinks = 0, num_other = 0, num_snapshots = 0;
  uint64_t alloc_blocks = 0;
  uint64_t omap_oid = 0, root_tree_oid = 0, extentref_tree_oid = 0, snap_meta_tree_oid = 0;
  uint64_t integrity_meta_oid = 0, fext_tree_oid = 0;
  uint32_t root_tree_type = 0, fext_tree_type = 0;
  uint64_t unmount_time = 0, last_mod_time = 0;
  std::string volume_group_id;  // "" when zero
  std::optional<IntegrityInfo> integrity;
  std::string cryptex_role;     // "os", "app", ... when the image says so (unverified heuristics)
  std::string error;            // set when the volume superblock could not be read
};

struct ContainerInfo {
  std::string uuid;
  uint32_t block_size = 0;
  uint64_t block_count = 0;
  uint64_t device_blocks = 0;  // what the Source actually holds
  uint64_t features = 0, readonly_compatible_features = 0, incompatible_features = 0;
  uint64_t xid = 0;            // of the superblock in use
  uint64_t superblock_paddr = 0;  // 0 = block 0 copy
  uint64_t next_xid = 0;
  uint64_t omap_oid = 0;
  uint32_t xp_desc_blocks = 0;
  uint64_t xp_desc_base = 0;
  uint32_t max_file_systems = 0;
  uint64_t checkpoints_seen = 0;  // valid NXSB copies found in the descriptor ring
};

class Container : public std::enable_shared_from_this<Container> {
 public:
  // Reads block 0 and the checkpoint ring, then every volume superblock (failures per volume are
  // kept in VolumeInfo::error and in the diagnostics; the container still opens).
  static Result<std::shared_ptr<Container>> open(SourcePtr src);

  const ContainerInfo& info() const { return info_; }
  const std::vector<VolumeInfo>& volumes() const { return volumes_; }
  const Diagnostics& diagnostics() const { return diags_; }
  const Source& source() const { return *src_; }
  const SourcePtr& source_ptr() const { return src_; }
  uint32_t block_size() const { return info_.block_size; }

  // The volume at `index` in volumes(), ready to walk.
  Result<std::shared_ptr<const Volume>> open_volume(size_t index) const;
  // By name (exact) or by decimal index into volumes().
  Result<std::shared_ptr<const Volume>> open_volume(const std::string& name_or_index) const;

  // Block `paddr`, unverified (data blocks).
  Result<BlockPtr> read_block(uint64_t paddr, const std::string& what) const;
  // An object at `paddr` whose Fletcher-64 must verify and whose header must name `expect_oid`
  // (0 = any) and type `expect_type` (0 = any). Cached.
  Result<BlockPtr> read_object(uint64_t paddr, uint64_t expect_oid, uint32_t expect_type,
                               const std::string& what, bool checksum = true) const;
  // The paddr of virtual object `oid` as of transaction `xid` (largest ok_xid <= xid).
  struct OmapHit { uint64_t paddr; uint32_t flags; uint64_t xid; };
  Result<OmapHit> omap_lookup(const OmapRef& omap, uint64_t oid, const std::string& what) const;
  // The omap_phys_t at `paddr` as an OmapRef at `xid`.
  Result<OmapRef> load_omap(uint64_t paddr, uint64_t xid, const std::string& what) const;
  // Device byte range [paddr*bs, +len) checked against the device and the container.
  Status check_extent(uint64_t paddr, uint64_t length, const std::string& what) const;

  // Caps used by readers: no allocation may exceed what the container could hold.
  uint64_t container_bytes() const;

 private:
  Container() = default;
  Status load_superblock();
  void load_volumes();
  Result<VolumeInfo> read_volume_info(size_t index, uint64_t oid) const;

  SourcePtr src_;
  ContainerInfo info_;
  std::vector<uint64_t> fs_oids_;  // the chosen superblock's nx_fs_oid[] (up to nx_max_file_systems)
  OmapRef omap_;
  std::vector<VolumeInfo> volumes_;
  Diagnostics diags_;

  // Shared for lookups, which both workers of a listing make for every file; exclusive to insert.
  mutable std::shared_mutex cache_mu_;
  mutable std::unordered_map<uint64_t, BlockPtr> objects_;
  mutable std::map<std::pair<uint64_t, uint64_t>, std::unordered_map<uint64_t, OmapHit>> omap_cache_;  // (root, xid)
};

const char* volume_role_name(uint16_t role);
const char* hash_type_name(uint32_t t);

}  // namespace upscope::apfs
