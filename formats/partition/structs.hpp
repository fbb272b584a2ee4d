// Raw partition-map structures (UEFI GPT: little-endian; Apple Partition Map: big-endian; MBR:
// little-endian). Documentation of the layouts; readers load fields explicitly with ByteReader.
#pragma once

#include <cstdint>

namespace upscope::partition {

#pragma pack(push, 1)
struct GptHeader {               // at LBA 1
  char signature[8];             // 0   "EFI PART"
  uint32_t revision;             // 8   0x00010000
  uint32_t header_size;          // 12  92
  uint32_t header_crc32;         // 16  over header_size bytes with this field zeroed
  uint32_t reserved;             // 20
  uint64_t my_lba;               // 24
  uint64_t alternate_lba;        // 32  the backup header
  uint64_t first_usable_lba;     // 40
  uint64_t last_usable_lba;      // 48
  uint8_t disk_guid[16];         // 56
  uint64_t partition_entry_lba;  // 72
  uint32_t num_partition_entries;   // 80
  uint32_t sizeof_partition_entry;  // 84  128
  uint32_t partition_entry_array_crc32;  // 88
};
static_assert(sizeof(GptHeader) == 92);

struct GptEntry {
  uint8_t partition_type_guid[16];  // 0   mixed-endian GUID
  uint8_t unique_partition_guid[16];// 16
  uint64_t starting_lba;            // 32
  uint64_t ending_lba;              // 40  inclusive
  uint64_t attributes;              // 48
  uint16_t partition_name[36];      // 56  UTF-16LE
};
static_assert(sizeof(GptEntry) == 128);

struct ApmDriverDescriptor {  // block 0, big-endian
  char sbSig[2];              // "ER"
  uint16_t sbBlkSize;
  uint32_t sbBlkCount;
};
static_assert(sizeof(ApmDriverDescriptor) == 8);

struct ApmEntry {            // blocks 1.., big-endian
  char pmSig[2];             // 0  "PM"
  uint16_t pmSigPad;         // 2
  uint32_t pmMapBlkCnt;      // 4  entries in the map
  uint32_t pmPyPartStart;    // 8  first block
  uint32_t pmPartBlkCnt;     // 12 blocks
  char pmPartName[32];       // 16
  char pmParType[32];        // 48 "Apple_HFS", "Apple_Free" ...
};
static_assert(sizeof(ApmEntry) == 80);

struct MbrEntry {            // 4 at offset 446, little-endian
  uint8_t status;            // 0x80 bootable, 0x00
  uint8_t chs_first[3];
  uint8_t type;              // 0xEE GPT protective, 0xAF Apple HFS
  uint8_t chs_last[3];
  uint32_t first_lba;
  uint32_t sector_count;
};
static_assert(sizeof(MbrEntry) == 16);
#pragma pack(pop)

}  // namespace upscope::partition
