// Raw on-disk APFS structures (Apple File System Reference names), all little-endian. They are
// copied out of blocks with ByteReader::read<T> (memcpy), never cast over file bytes.
#pragma once

#include <cstdint>

namespace upscope::apfs {

#pragma pack(push, 1)

struct obj_phys_t {
  uint64_t o_cksum;
  uint64_t o_oid;
  uint64_t o_xid;
  uint32_t o_type;
  uint32_t o_subtype;
};
static_assert(sizeof(obj_phys_t) == 32);

// The leading part of nx_superblock_t a reader needs (up to nx_fs_oid[100]).
struct nx_superblock_head_t {
  obj_phys_t nx_o;
  uint32_t nx_magic;
  uint32_t nx_block_size;
  uint64_t nx_block_count;
  uint64_t nx_features;
  uint64_t nx_readonly_compatible_features;
  uint64_t nx_incompatible_features;
  uint8_t nx_uuid[16];
  uint64_t nx_next_oid;
  uint64_t nx_next_xid;
  uint32_t nx_xp_desc_blocks;
  uint32_t nx_xp_data_blocks;
  uint64_t nx_xp_desc_base;
  uint64_t nx_xp_data_base;
  uint32_t nx_xp_desc_next;
  uint32_t nx_xp_data_next;
  uint32_t nx_xp_desc_index;
  uint32_t nx_xp_desc_len;
  uint32_t nx_xp_data_index;
  uint32_t nx_xp_data_len;
  uint64_t nx_spaceman_oid;
  uint64_t nx_omap_oid;
  uint64_t nx_reaper_oid;
  uint32_t nx_test_type;
  uint32_t nx_max_file_systems;
  uint64_t nx_fs_oid[100];
};
static_assert(sizeof(nx_superblock_head_t) == 984);

struct omap_phys_t {
  obj_phys_t om_o;
  uint32_t om_flags;
  uint32_t om_snap_count;
  uint32_t om_tree_type;
  uint32_t om_snapshot_tree_type;
  uint64_t om_tree_oid;
  uint64_t om_snapshot_tree_oid;
  uint64_t om_most_recent_snap;
  uint64_t om_pending_revert_min;
  uint64_t om_pending_revert_max;
};
static_assert(sizeof(omap_phys_t) == 88);

struct nloc_t {
  uint16_t off;
  uint16_t len;
};

struct btree_node_phys_head_t {
  obj_phys_t btn_o;
  uint16_t btn_flags;
  uint16_t btn_level;
  uint32_t btn_nkeys;
  nloc_t btn_table_space;
  nloc_t btn_free_space;
  nloc_t btn_key_free_list;
  nloc_t btn_val_free_list;
};
static_assert(sizeof(btree_node_phys_head_t) == 56);

struct btree_info_t {
  uint32_t bt_flags;
  uint32_t bt_node_size;
  uint32_t bt_key_size;
  uint32_t bt_val_size;
  uint32_t bt_longest_key;
  uint32_t bt_longest_val;
  uint64_t bt_key_count;
  uint64_t bt_node_count;
};
static_assert(sizeof(btree_info_t) == 40);

struct j_inode_val_head_t {
  uint64_t parent_id;
  uint64_t private_id;
  int64_t create_time;
  int64_t mod_time;
  int64_t change_time;
  int64_t access_time;
  uint64_t internal_flags;
  int32_t nchildren_or_nlink;
  uint32_t default_protection_class;
  uint32_t write_generation_counter;
  uint32_t bsd_flags;
  uint32_t owner;
  uint32_t group;
  uint16_t mode;
  uint16_t pad1;
  uint64_t uncompressed_size;
};
static_assert(sizeof(j_inode_val_head_t) == 92);

struct j_dstream_t {
  uint64_t size;
  uint64_t alloced_size;
  uint64_t default_crypto_id;
  uint64_t total_bytes_written;
  uint64_t total_bytes_read;
};
static_assert(sizeof(j_dstream_t) == 40);

struct j_file_extent_val_t {
  uint64_t len_and_flags;
  uint64_t phys_block_num;
  uint64_t crypto_id;
};
static_assert(sizeof(j_file_extent_val_t) == 24);

struct integrity_meta_phys_t {
  obj_phys_t im_o;
  uint32_t im_version;
  uint32_t im_flags;
  uint32_t im_hash_type;
  uint32_t im_root_hash_offset;
  uint64_t im_broken_xid;
};
static_assert(sizeof(integrity_meta_phys_t) == 56);

#pragma pack(pop)

// Object types and storage bits (obj_phys_t.o_type).
inline constexpr uint32_t OBJECT_TYPE_MASK = 0x0000ffff;
inline constexpr uint32_t OBJ_STORAGETYPE_MASK = 0xc0000000;
inline constexpr uint32_t OBJ_VIRTUAL = 0x00000000;
inline constexpr uint32_t OBJ_EPHEMERAL = 0x80000000;
inline constexpr uint32_t OBJ_PHYSICAL = 0x40000000;
inline constexpr uint32_t OBJECT_TYPE_NX_SUPERBLOCK = 0x1;
inline constexpr uint32_t OBJECT_TYPE_BTREE = 0x2;
inline constexpr uint32_t OBJECT_TYPE_BTREE_NODE = 0x3;
inline constexpr uint32_t OBJECT_TYPE_OMAP = 0xb;
inline constexpr uint32_t OBJECT_TYPE_CHECKPOINT_MAP = 0xc;
inline constexpr uint32_t OBJECT_TYPE_FS = 0xd;
inline constexpr uint32_t OBJECT_TYPE_FSTREE = 0xe;
inline constexpr uint32_t OBJECT_TYPE_SNAPMETATREE = 0x10;
inline constexpr uint32_t OBJECT_TYPE_INTEGRITY_META = 0x1e;
inline constexpr uint32_t OBJECT_TYPE_FEXT_TREE = 0x1f;

inline constexpr uint32_t NX_MAGIC = 0x4253584e;    // "NXSB"
inline constexpr uint32_t APFS_MAGIC = 0x42535041;  // "APSB"
inline constexpr uint32_t NX_MINIMUM_BLOCK_SIZE = 4096;
inline constexpr uint32_t NX_MAXIMUM_BLOCK_SIZE = 65536;
inline constexpr uint32_t NX_MAX_FILE_SYSTEMS = 100;

// B-tree node flags.
inline constexpr uint16_t BTNODE_ROOT = 0x1;
inline constexpr uint16_t BTNODE_LEAF = 0x2;
inline constexpr uint16_t BTNODE_FIXED_KV_SIZE = 0x4;
inline constexpr uint16_t BTNODE_HASHED = 0x8;
inline constexpr uint16_t BTNODE_NOHEADER = 0x10;
inline constexpr uint16_t BTREE_NODE_HASH_SIZE_MAX = 64;

// omap value flags.
inline constexpr uint32_t OMAP_VAL_DELETED = 0x1;
inline constexpr uint32_t OMAP_VAL_ENCRYPTED = 0x4;
inline constexpr uint32_t OMAP_VAL_NOHEADER = 0x8;

// Volume features and flags.
inline constexpr uint64_t APFS_INCOMPAT_CASE_INSENSITIVE = 0x1;
inline constexpr uint64_t APFS_INCOMPAT_DATALESS_SNAPS = 0x2;
inline constexpr uint64_t APFS_INCOMPAT_ENC_ROLLED = 0x4;
inline constexpr uint64_t APFS_INCOMPAT_NORMALIZATION_INSENSITIVE = 0x8;
inline constexpr uint64_t APFS_INCOMPAT_INCOMPLETE_RESTORE = 0x10;
inline constexpr uint64_t APFS_INCOMPAT_SEALED_VOLUME = 0x20;
inline constexpr uint64_t APFS_FS_UNENCRYPTED = 0x1;
inline constexpr uint64_t APFS_FS_ONEKEY = 0x8;

// File-system record types (high 4 bits of obj_id_and_type).
inline constexpr uint64_t OBJ_ID_MASK = 0x0fffffffffffffffULL;
inline constexpr unsigned OBJ_TYPE_SHIFT = 60;
enum RecordType : uint8_t {
  APFS_TYPE_SNAP_METADATA = 1,
  APFS_TYPE_EXTENT = 2,
  APFS_TYPE_INODE = 3,
  APFS_TYPE_XATTR = 4,
  APFS_TYPE_SIBLING_LINK = 5,
  APFS_TYPE_DSTREAM_ID = 6,
  APFS_TYPE_CRYPTO_STATE = 7,
  APFS_TYPE_FILE_EXTENT = 8,
  APFS_TYPE_DIR_REC = 9,
  APFS_TYPE_DIR_STATS = 10,
  APFS_TYPE_SNAP_NAME = 11,
  APFS_TYPE_SIBLING_MAP = 12,
  APFS_TYPE_FILE_INFO = 13,
};

// Inode xfield types.
inline constexpr uint8_t INO_EXT_TYPE_NAME = 4;
inline constexpr uint8_t INO_EXT_TYPE_DSTREAM = 8;
inline constexpr uint8_t INO_EXT_TYPE_SPARSE_BYTES = 13;
inline constexpr uint8_t INO_EXT_TYPE_RDEV = 14;

inline constexpr uint64_t INODE_IS_SPARSE = 0x200;
inline constexpr uint64_t INODE_HAS_RSRC_FORK = 0x4000;
inline constexpr uint32_t UF_COMPRESSED = 0x20;

inline constexpr uint16_t XATTR_DATA_STREAM = 0x1;
inline constexpr uint16_t XATTR_DATA_EMBEDDED = 0x2;

inline constexpr uint64_t J_FILE_EXTENT_LEN_MASK = 0x00ffffffffffffffULL;
inline constexpr uint64_t ROOT_DIR_PARENT = 1;
inline constexpr uint64_t ROOT_DIR_INO_NUM = 2;

}  // namespace upscope::apfs
