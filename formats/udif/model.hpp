// The UDIF model the reader fills (image.hpp holds it): the koly trailer's and each mish table's
// fields under Apple's names (docs/formats/udif.md §2-§3), chunk types and the sector size. The
// on-disk layouts stay private to the reader (structs.hpp).
#pragma once

#include <array>
#include <cstdint>

#include "inspect/byte_reader.hpp"

namespace upscope::udif {

inline constexpr uint64_t kSectorSize = 512;

// A UDIF checksum: {type, bits, data[128]} (type 2 = CRC32 in the first 4 bytes, big-endian).
struct Checksum {
  uint32_t type = 0;
  uint32_t bitCount = 0;
  std::array<uint8_t, 128> data{};
  static constexpr uint32_t kNone = 0;
  static constexpr uint32_t kCrc32 = 2;
  static constexpr uint32_t kMd5 = 4;
  bool is_crc32() const { return type == kCrc32; }
  uint32_t crc32() const { return load_u32be(data.data()); }
};
static_assert(sizeof(Checksum) == 136);

// The koly trailer's fields.
struct Trailer {
  std::array<char, 4> signature{};  // "koly"
  uint32_t version = 0;
  uint32_t headerSize = 0;
  uint32_t flags = 0;  // 0x1 flattened, 0x4 internet-enabled
  uint64_t runningDataForkOffset = 0;
  uint64_t dataForkOffset = 0;
  uint64_t dataForkLength = 0;
  uint64_t rsrcForkOffset = 0;
  uint64_t rsrcForkLength = 0;
  uint32_t segmentNumber = 0;
  uint32_t segmentCount = 0;
  std::array<uint8_t, 16> segmentID{};
  Checksum dataForkChecksum;
  uint64_t xmlOffset = 0;
  uint64_t xmlLength = 0;
  uint64_t codeSignatureOffset = 0;
  uint64_t codeSignatureLength = 0;
  Checksum masterChecksum;
  uint32_t imageVariant = 0;
  uint64_t sectorCount = 0;
};

// A mish table's header fields (its chunk entries become Blkx::chunks).
struct TableHeader {
  std::array<char, 4> signature{};  // "mish"
  uint32_t version = 0;
  uint64_t firstSectorNumber = 0;  // in the whole image
  uint64_t sectorCount = 0;
  uint64_t dataStart = 0;  // base added to chunk offsets
  uint32_t buffersNeeded = 0;
  uint32_t blockDescriptors = 0;
  Checksum checksum;
  uint32_t numberOfBlockChunks = 0;
};

// Chunk entry types.
enum ChunkType : uint32_t {
  kChunkZero = 0x00000000,
  kChunkRaw = 0x00000001,
  kChunkIgnore = 0x00000002,
  kChunkAdc = 0x80000004,
  kChunkZlib = 0x80000005,
  kChunkBzip2 = 0x80000006,
  kChunkLzfse = 0x80000007,
  kChunkLzma = 0x80000008,
  kChunkComment = 0x7ffffffe,
  kChunkTerminator = 0xffffffff,
};
// "zlib", "raw", ... or "" for an unknown type.
const char* chunk_type_name(uint32_t type);
bool chunk_type_known(uint32_t type);
bool chunk_is_compressed(uint32_t type);

}  // namespace upscope::udif
