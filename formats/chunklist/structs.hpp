// Raw on-disk layout of a chunklist (docs/formats/chunklist.md §1, §2), little-endian, packed.
// Private to formats/chunklist: the tools see only chunklist.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace upscope::chunklist {

#pragma pack(push, 1)
struct RawHeader {
  char magic[4];              // "CNKL"
  uint32_t header_size;       // 36: the size of this struct
  uint8_t file_version;       // 1
  uint8_t chunk_method;       // 1: SHA-256 per chunk
  uint8_t signature_method;   // 1: RSA-2048 (256 bytes); 3: a certificate (808 bytes)
  uint8_t reserved;           // 0
  uint64_t chunk_count;
  uint64_t chunk_table_offset;
  uint64_t signature_offset;
};

struct RawChunk {
  uint32_t size;              // bytes of the image this chunk covers
  uint8_t sha256[32];
};
#pragma pack(pop)

static_assert(sizeof(RawHeader) == 36);
static_assert(offsetof(RawHeader, file_version) == 8);
static_assert(offsetof(RawHeader, chunk_count) == 12);
static_assert(offsetof(RawHeader, chunk_table_offset) == 20);
static_assert(offsetof(RawHeader, signature_offset) == 28);
static_assert(sizeof(RawChunk) == 36);

inline constexpr uint64_t kHeaderSize = sizeof(RawHeader);
inline constexpr uint64_t kChunkSize = sizeof(RawChunk);

}  // namespace upscope::chunklist
