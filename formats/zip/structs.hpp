// Raw on-disk zip records (PKWARE APPNOTE 6.3, §4.3), little-endian and packed. Field names follow
// the APPNOTE's wording.
#pragma once

#include <cstddef>
#include <cstdint>

namespace upscope::zip {

inline constexpr uint32_t kLocalHeaderSig = 0x04034b50;     // "PK\3\4"
inline constexpr uint32_t kCentralHeaderSig = 0x02014b50;   // "PK\1\2"
inline constexpr uint32_t kEndOfCentralDirSig = 0x06054b50; // "PK\5\6"
inline constexpr uint32_t kZip64EndSig = 0x06064b50;        // "PK\6\6"
inline constexpr uint32_t kZip64LocatorSig = 0x07064b50;    // "PK\6\7"
inline constexpr uint16_t kZip64ExtraId = 0x0001;

#pragma pack(push, 1)
struct LocalFileHeader {
  uint32_t signature;
  uint16_t version_needed;
  uint16_t flags;
  uint16_t compression_method;
  uint16_t last_mod_time;
  uint16_t last_mod_date;
  uint32_t crc32;
  uint32_t compressed_size;
  uint32_t uncompressed_size;
  uint16_t file_name_length;
  uint16_t extra_field_length;
};

struct CentralDirectoryHeader {
  uint32_t signature;
  uint16_t version_made_by;
  uint16_t version_needed;
  uint16_t flags;
  uint16_t compression_method;
  uint16_t last_mod_time;
  uint16_t last_mod_date;
  uint32_t crc32;
  uint32_t compressed_size;
  uint32_t uncompressed_size;
  uint16_t file_name_length;
  uint16_t extra_field_length;
  uint16_t file_comment_length;
  uint16_t disk_number_start;
  uint16_t internal_attributes;
  uint32_t external_attributes;
  uint32_t local_header_offset;
};

struct EndOfCentralDirectory {
  uint32_t signature;
  uint16_t disk_number;
  uint16_t central_directory_disk;
  uint16_t entries_this_disk;
  uint16_t entries_total;
  uint32_t central_directory_size;
  uint32_t central_directory_offset;
  uint16_t comment_length;
};

struct Zip64EndLocator {
  uint32_t signature;
  uint32_t zip64_end_disk;
  uint64_t zip64_end_offset;
  uint32_t total_disks;
};

struct Zip64EndOfCentralDirectory {
  uint32_t signature;
  uint64_t record_size;  // size of the rest of the record (excludes these 12 bytes)
  uint16_t version_made_by;
  uint16_t version_needed;
  uint32_t disk_number;
  uint32_t central_directory_disk;
  uint64_t entries_this_disk;
  uint64_t entries_total;
  uint64_t central_directory_size;
  uint64_t central_directory_offset;
};
#pragma pack(pop)

static_assert(sizeof(LocalFileHeader) == 30);
static_assert(sizeof(CentralDirectoryHeader) == 46);
static_assert(offsetof(CentralDirectoryHeader, local_header_offset) == 42);
static_assert(sizeof(EndOfCentralDirectory) == 22);
static_assert(sizeof(Zip64EndLocator) == 20);
static_assert(sizeof(Zip64EndOfCentralDirectory) == 56);

}  // namespace upscope::zip
