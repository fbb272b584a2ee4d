// HFS+ / HFSX on-disk layouts (Apple TN1150, hfs_format.h field names), private to the reader.
// Everything is big-endian, so records are decoded field by field with explicit loads; the k*Size
// constants are the raw sizes.
#pragma once

#include <array>
#include <cstdint>

#include "hfs/records.hpp"
#include "inspect/byte_reader.hpp"

namespace upscope::hfs {

constexpr uint64_t kVolumeHeaderOffset = 1024;
constexpr uint64_t kVolumeHeaderSize = 512;
constexpr uint16_t kHFSPlusSigWord = 0x482B;  // 'H+'
constexpr uint16_t kHFSXSigWord = 0x4858;     // 'HX'
constexpr uint16_t kHFSSigWord = 0x4244;      // 'BD': classic HFS master directory block (wrapper)

// HFSPlusVolumeHeader.attributes
constexpr uint32_t kHFSVolumeUnmountedBit = 1u << 8;
constexpr uint32_t kHFSVolumeJournaledBit = 1u << 13;
constexpr uint32_t kHFSVolumeSoftwareLockBit = 1u << 15;

// Reserved catalog node IDs.
constexpr uint32_t kHFSRootParentID = 1;
constexpr uint32_t kHFSRootFolderID = 2;
constexpr uint32_t kHFSExtentsFileID = 3;
constexpr uint32_t kHFSCatalogFileID = 4;
constexpr uint32_t kHFSAllocationFileID = 6;
constexpr uint32_t kHFSStartupFileID = 7;
constexpr uint32_t kHFSAttributesFileID = 8;
constexpr uint32_t kHFSFirstUserCatalogNodeID = 16;

// HFSPlusExtentDescriptor (8 bytes) and HFSPlusForkData (80 bytes), decoded into Extent and Fork
// (records.hpp).
constexpr uint64_t kExtentDescriptorSize = 8;
constexpr uint64_t kForkDataSize = 80;

// One HFSPlusExtentDescriptor at the cursor (a short view leaves the cursor failed).
inline Extent read_extent(Cursor& c) {
  Extent e;
  e.start_block = c.u32be();
  e.block_count = c.u32be();
  return e;
}

// Decodes the kForkDataSize bytes at `off` of the cursor's view; a short view leaves the cursor
// failed (check c.ok()).
inline Fork read_fork_data(Cursor& c, uint64_t off) {
  Fork f;
  f.logical_size = c.at(off).u64be();
  f.clump_size = c.u32be();
  f.total_blocks = c.u32be();
  for (auto& e : f.extents) e = read_extent(c);
  return f;
}

// HFSPlusVolumeHeader: 512 bytes at offset 1024, decoded into VolumeHeader (records.hpp).
// Field offsets inside the volume header.
constexpr uint64_t kVHBlockSize = 40, kVHFinderInfo = 80, kVHAllocationFile = 112, kVHExtentsFile = 192,
                   kVHCatalogFile = 272, kVHAttributesFile = 352, kVHStartupFile = 432;

// HFSMasterDirectoryBlock (classic HFS) fields that locate an embedded HFS+ volume.
constexpr uint64_t kMDBAlBlkSiz = 20, kMDBAlBlSt = 28, kMDBEmbedSigWord = 124, kMDBEmbedExtent = 126;

// BTNodeDescriptor (14 bytes) and BTHeaderRec (106 bytes, after the descriptor of node 0).
constexpr uint64_t kNodeDescriptorSize = 14;
constexpr int8_t kBTLeafNode = -1, kBTIndexNode = 0, kBTHeaderNode = 1, kBTMapNode = 2;
struct BTNodeDescriptor {
  uint32_t fLink = 0;
  uint32_t bLink = 0;
  int8_t kind = 0;
  uint8_t height = 0;
  uint16_t numRecords = 0;
};
struct BTHeaderRec {
  uint16_t treeDepth = 0;
  uint32_t rootNode = 0;
  uint32_t leafRecords = 0;
  uint32_t firstLeafNode = 0;
  uint32_t lastLeafNode = 0;
  uint16_t nodeSize = 0;
  uint16_t maxKeyLength = 0;
  uint32_t totalNodes = 0;
  uint32_t freeNodes = 0;
  uint32_t clumpSize = 0;
  uint8_t btreeType = 0;
  uint8_t keyCompareType = 0;  // HFSX catalog: 0xCF case folding, 0xBC binary
  uint32_t attributes = 0;
};
constexpr uint64_t kHeaderRecSize = 106;
constexpr uint32_t kBTBigKeysMask = 1u << 1;
constexpr uint32_t kBTVariableIndexKeysMask = 1u << 2;
constexpr uint8_t kHFSCaseFolding = 0xCF, kHFSBinaryCompare = 0xBC;

// Catalog record types and sizes.
constexpr uint16_t kHFSPlusFolderRecord = 1, kHFSPlusFileRecord = 2, kHFSPlusFolderThreadRecord = 3,
                   kHFSPlusFileThreadRecord = 4;
constexpr uint64_t kCatalogFolderSize = 88, kCatalogFileSize = 248, kThreadMinSize = 10;
constexpr uint64_t kCatalogKeyMinLength = 6;  // parentID + name length
// HFSPlusCatalogFolder / HFSPlusCatalogFile field offsets.
constexpr uint64_t kCatFlags = 2, kCatValence = 4, kCatID = 8, kCatCreateDate = 12, kCatContentModDate = 16,
                   kCatAttributeModDate = 20, kCatAccessDate = 24, kCatBackupDate = 28, kCatPermissions = 32,
                   kCatUserInfo = 48, kCatFinderInfo = 64, kCatTextEncoding = 80, kCatDataFork = 88,
                   kCatResourceFork = 168;
// HFSPlusCatalogFile.flags
constexpr uint16_t kHFSFileLockedMask = 0x0001, kHFSThreadExistsMask = 0x0002, kHFSHasAttributesMask = 0x0004,
                   kHFSHasLinkChainMask = 0x0020, kHFSHasDateAddedMask = 0x0080;

// Finder types of links.
constexpr uint32_t kHardLinkFileType = 0x686C6E6B;  // 'hlnk'
constexpr uint32_t kHFSPlusCreator = 0x6866732B;    // 'hfs+'
constexpr uint32_t kSymLinkFileType = 0x736C6E6B;   // 'slnk'
constexpr uint32_t kSymLinkCreator = 0x72686170;    // 'rhap'
constexpr uint32_t kHFSAliasType = 0x66647270;      // 'fdrp' (directory hard link)
constexpr uint32_t kHFSAliasCreator = 0x4D414353;   // 'MACS'

// Extents-overflow key: keyLength u16 (10), forkType u8 (0 data, 0xFF resource), pad, fileID u32, startBlock u32.
constexpr uint8_t kDataForkType = 0x00, kResourceForkType = 0xFF;
constexpr uint64_t kExtentKeyLength = 10;

// Attributes B-tree: key = keyLength u16, pad u16, fileID u32, startBlock u32, nameLength u16, name.
constexpr uint32_t kHFSPlusAttrInlineData = 0x10, kHFSPlusAttrForkData = 0x20, kHFSPlusAttrExtents = 0x30;
constexpr uint64_t kAttrKeyMinLength = 12;

// Seconds between 1904-01-01 and 1970-01-01.
constexpr int64_t kHFSEpochDelta = 2082844800;

}  // namespace upscope::hfs
