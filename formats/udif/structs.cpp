#include "udif/structs.hpp"

#include <cstring>

namespace upscope::udif {

const char* chunk_type_name(uint32_t type) {
  switch (type) {
    case kChunkZero: return "zero";
    case kChunkRaw: return "raw";
    case kChunkIgnore: return "ignore";
    case kChunkAdc: return "adc";
    case kChunkZlib: return "zlib";
    case kChunkBzip2: return "bzip2";
    case kChunkLzfse: return "lzfse";
    case kChunkLzma: return "lzma";
    case kChunkComment: return "comment";
    case kChunkTerminator: return "terminator";
    default: return "";
  }
}

bool chunk_type_known(uint32_t type) { return *chunk_type_name(type) != '\0'; }

bool chunk_is_compressed(uint32_t type) {
  return type == kChunkAdc || type == kChunkZlib || type == kChunkBzip2 || type == kChunkLzfse || type == kChunkLzma;
}

UDIFChecksum load_checksum(const uint8_t* p) {
  UDIFChecksum c;
  c.type = load_u32be(p);
  c.bitCount = load_u32be(p + 4);
  std::memcpy(c.data.data(), p + 8, c.data.size());
  return c;
}

UDIFResourceFile load_koly(Bytes b) {
  const uint8_t* p = b.data();
  UDIFResourceFile k{};
  std::memcpy(k.signature, p, 4);
  k.version = load_u32be(p + 4);
  k.headerSize = load_u32be(p + 8);
  k.flags = load_u32be(p + 12);
  k.runningDataForkOffset = load_u64be(p + 16);
  k.dataForkOffset = load_u64be(p + 24);
  k.dataForkLength = load_u64be(p + 32);
  k.rsrcForkOffset = load_u64be(p + 40);
  k.rsrcForkLength = load_u64be(p + 48);
  k.segmentNumber = load_u32be(p + 56);
  k.segmentCount = load_u32be(p + 60);
  std::memcpy(k.segmentID, p + 64, 16);
  k.dataForkChecksum = load_checksum(p + 80);
  k.xmlOffset = load_u64be(p + 216);
  k.xmlLength = load_u64be(p + 224);
  k.codeSignatureOffset = load_u64be(p + 296);
  k.codeSignatureLength = load_u64be(p + 304);
  k.masterChecksum = load_checksum(p + 352);
  k.imageVariant = load_u32be(p + 488);
  k.sectorCount = load_u64be(p + 492);
  return k;
}

BLKXTable load_mish_header(Bytes b) {
  const uint8_t* p = b.data();
  BLKXTable t{};
  std::memcpy(t.signature, p, 4);
  t.version = load_u32be(p + 4);
  t.firstSectorNumber = load_u64be(p + 8);
  t.sectorCount = load_u64be(p + 16);
  t.dataStart = load_u64be(p + 24);
  t.buffersNeeded = load_u32be(p + 32);
  t.blockDescriptors = load_u32be(p + 36);
  for (int i = 0; i < 6; ++i) t.reserved[i] = load_u32be(p + 40 + 4 * i);
  t.checksum = load_checksum(p + 64);
  t.numberOfBlockChunks = load_u32be(p + 200);
  return t;
}

BLKXChunkEntry load_chunk(Bytes b) {
  const uint8_t* p = b.data();
  return {load_u32be(p), load_u32be(p + 4), load_u64be(p + 8), load_u64be(p + 16), load_u64be(p + 24),
          load_u64be(p + 32)};
}

void store_u32be(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

void store_u64be(uint8_t* p, uint64_t v) {
  store_u32be(p, uint32_t(v >> 32));
  store_u32be(p + 4, uint32_t(v));
}

}  // namespace upscope::udif
