// On-disk layout of a BOMStore file (docs/formats/bom.md). Every field is big-endian, so the reader
// takes each one through ByteReader/Cursor at these offsets instead of copying structs.
#pragma once

#include <cstdint>
#include <string_view>

namespace upscope::bom {

inline constexpr std::string_view kMagic = "BOMStore";
inline constexpr uint32_t kVersion = 1;

// §1 header
inline constexpr uint64_t kHeaderSize = 32;
inline constexpr uint64_t kHeaderVersion = 8;
inline constexpr uint64_t kHeaderBlocksInUse = 12;
inline constexpr uint64_t kHeaderTable = 16;      // offset, length
inline constexpr uint64_t kHeaderVariables = 24;  // offset, length

// §2 block table: u32 count, then {u32 address, u32 length} per block
inline constexpr uint64_t kTableEntrySize = 8;

// §3 variables: u32 count, then {u32 block, u8 name length, name}
inline constexpr uint64_t kMinVariableSize = 5;

// §4 trees
inline constexpr std::string_view kTreeMagic = "tree";
inline constexpr uint64_t kTreeHeaderSize = 21;   // magic, version, root, node size, entries, u8
inline constexpr uint64_t kNodeHeaderSize = 12;   // u16 leaf, u16 count, u32 forward, u32 backward
inline constexpr uint64_t kNodeEntrySize = 8;     // u32 value block, u32 key block
inline constexpr uint64_t kVIndexSize = 13;       // u32 version, u32 tree block, u32, u8

// §5 Paths tree
inline constexpr uint64_t kPathRecordSize = 8;    // u32 file id, u32 path-info block
inline constexpr uint64_t kPathInfoHead = 4;      // type, u8, u16 flags (a path-only record ends here)
inline constexpr uint64_t kPathInfoCommon = 23;   // ... mode, uid, gid, mtime, size, u8
inline constexpr uint64_t kArchRecordSize = 16;   // cpu type, cpu subtype, bytes, checksum

// §5.1 flags
inline constexpr uint16_t kFlagsFullRecord = 0x000f;
inline constexpr uint16_t kFlagDigest = 0x0010;
inline constexpr unsigned kFlagsBinaryShift = 12;

// BomInfo: u32 version, u32 paths, u32 entry count, then 16-byte entries
inline constexpr uint64_t kBomInfoHead = 12;
inline constexpr uint64_t kBomInfoEntrySize = 16;

}  // namespace upscope::bom
