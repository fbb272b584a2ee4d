// UDIF on-disk structures (Apple's names, DiskImages framework), private to the reader: the
// 512-byte `koly` trailer (UDIFResourceFile), the `mish` block table (BLKXTable) and its 40-byte chunk
// entries (BLKXChunkEntry). Every integer is big-endian, so the packed structs below only document
// the layout (their sizes are checked); structs.cpp reads the fields through a Cursor into the public
// model (udif/model.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"
#include "udif/model.hpp"

namespace upscope::udif {

inline constexpr uint64_t kKolySize = 512;
inline constexpr uint64_t kMishHeaderSize = 204;  // up to and including the chunk count
inline constexpr uint64_t kChunkEntrySize = 40;

// koly trailer, offsets as in docs/formats/udif.md §2. Packed only so sizeof documents the layout.
#pragma pack(push, 1)
struct UDIFResourceFile {
  char signature[4];              // 0   'koly'
  uint32_t version;               // 4   4
  uint32_t headerSize;            // 8   512
  uint32_t flags;                 // 12  0x1 flattened, 0x4 internet-enabled
  uint64_t runningDataForkOffset; // 16
  uint64_t dataForkOffset;        // 24
  uint64_t dataForkLength;        // 32
  uint64_t rsrcForkOffset;        // 40
  uint64_t rsrcForkLength;        // 48
  uint32_t segmentNumber;         // 56
  uint32_t segmentCount;          // 60
  uint8_t segmentID[16];          // 64
  Checksum dataForkChecksum;  // 80
  uint64_t xmlOffset;             // 216
  uint64_t xmlLength;             // 224
  uint8_t reserved1[64];          // 232
  uint64_t codeSignatureOffset;   // 296
  uint64_t codeSignatureLength;   // 304
  uint8_t reserved2[40];          // 312
  Checksum masterChecksum;    // 352
  uint32_t imageVariant;          // 488
  uint64_t sectorCount;           // 492
  uint8_t reserved3[12];          // 500
};
static_assert(sizeof(UDIFResourceFile) == kKolySize);

// mish header (BLKXTable without the variable chunk array).
struct BLKXTable {
  char signature[4];         // 0   'mish'
  uint32_t version;          // 4   1
  uint64_t firstSectorNumber;// 8   in the whole image
  uint64_t sectorCount;      // 16
  uint64_t dataStart;        // 24  base added to chunk offsets
  uint32_t buffersNeeded;    // 32  decoder hint
  uint32_t blockDescriptors; // 36
  uint32_t reserved[6];      // 40
  Checksum checksum;     // 64
  uint32_t numberOfBlockChunks;  // 200
};
#pragma pack(pop)
static_assert(sizeof(BLKXTable) == kMishHeaderSize);

struct BLKXChunkEntry {
  uint32_t entryType;         // 0
  uint32_t comment;           // 4
  uint64_t sectorNumber;      // 8   relative to the table's first sector
  uint64_t sectorCount;       // 16
  uint64_t compressedOffset;  // 24  plus dataStart
  uint64_t compressedLength;  // 32
};
static_assert(sizeof(BLKXChunkEntry) == kChunkEntrySize);

// Big-endian reads of each structure from the cursor's position, every field bounds-checked where it
// is read: a short input leaves the cursor failed (c.ok() false, c.error() naming the offset).
Checksum read_checksum(Cursor& c);
Trailer read_koly(Cursor& c);
TableHeader read_mish_header(Cursor& c);
BLKXChunkEntry read_chunk(Cursor& c);

// Writers, used by the sparse-image / UDIF fixture code in tests (big-endian).
void store_u32be(uint8_t* p, uint32_t v);
void store_u64be(uint8_t* p, uint64_t v);

}  // namespace upscope::udif
