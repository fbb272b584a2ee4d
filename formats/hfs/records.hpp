// The HFS+ records a reader's user sees, decoded field by field from the on-disk layouts
// (structs.hpp, private to the reader): extents, forks and the volume header.
#pragma once

#include <array>
#include <cstdint>

namespace upscope::hfs {

// A run of allocation blocks (HFSPlusExtentDescriptor).
struct Extent {
  uint32_t start_block = 0;
  uint32_t block_count = 0;
};

// A fork's size and first eight extents (HFSPlusForkData); more are in the extents-overflow tree.
struct Fork {
  uint64_t logical_size = 0;
  uint32_t clump_size = 0;
  uint32_t total_blocks = 0;
  std::array<Extent, 8> extents{};
};

// The volume header's fields (HFSPlusVolumeHeader); dates are seconds since 1904 (unix_time converts).
struct VolumeHeader {
  uint16_t signature = 0;
  uint16_t version = 0;
  uint32_t attributes = 0;
  uint32_t last_mounted_version = 0;
  uint32_t journal_info_block = 0;
  uint32_t create_date = 0, modify_date = 0, backup_date = 0, checked_date = 0;
  uint32_t file_count = 0;
  uint32_t folder_count = 0;
  uint32_t block_size = 0;
  uint32_t total_blocks = 0;
  uint32_t free_blocks = 0;
  uint32_t next_catalog_id = 0;
  uint32_t write_count = 0;
  uint64_t encodings_bitmap = 0;
  std::array<uint32_t, 8> finder_info{};
  Fork allocation_file, extents_file, catalog_file, attributes_file, startup_file;

  bool hfsx() const;  // signature 'HX' (whether names compare case-sensitively is the catalog's)
};

// The shape of a B-tree, from its header record (BTHeaderRec).
struct BTreeShape {
  uint16_t depth = 0;
  uint32_t root_node = 0;
  uint32_t leaf_records = 0;
  uint16_t node_size = 0;
  uint32_t total_nodes = 0;
  uint32_t free_nodes = 0;
  uint8_t key_compare_type = 0;  // HFSX catalog: 0xCF case folding, 0xBC binary
};

}  // namespace upscope::hfs
