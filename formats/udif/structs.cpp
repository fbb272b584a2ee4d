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

Checksum read_checksum(Cursor& c) {
  Checksum k;
  k.type = c.u32be();
  k.bitCount = c.u32be();
  Bytes d = c.bytes(k.data.size());
  if (c.ok()) std::memcpy(k.data.data(), d.data(), d.size());
  return k;
}

namespace {
void read_signature(Cursor& c, std::array<char, 4>& sig) {
  Bytes b = c.bytes(4);
  if (c.ok()) std::memcpy(sig.data(), b.data(), 4);
}
}  // namespace

// Offsets: docs/formats/udif.md §2 (koly) and §3 (mish).
Trailer read_koly(Cursor& c) {
  const uint64_t base = c.tell();
  Trailer k;
  read_signature(c, k.signature);
  k.version = c.u32be();
  k.headerSize = c.u32be();
  k.flags = c.u32be();
  k.runningDataForkOffset = c.u64be();
  k.dataForkOffset = c.u64be();
  k.dataForkLength = c.u64be();
  k.rsrcForkOffset = c.u64be();
  k.rsrcForkLength = c.u64be();
  k.segmentNumber = c.u32be();
  k.segmentCount = c.u32be();
  Bytes id = c.bytes(16);
  if (c.ok()) std::memcpy(k.segmentID.data(), id.data(), 16);
  k.dataForkChecksum = read_checksum(c);
  k.xmlOffset = c.at(base + 216).u64be();
  k.xmlLength = c.u64be();
  k.codeSignatureOffset = c.at(base + 296).u64be();
  k.codeSignatureLength = c.u64be();
  k.masterChecksum = read_checksum(c.at(base + 352));
  k.imageVariant = c.at(base + 488).u32be();
  k.sectorCount = c.u64be();
  c.at(base + kKolySize);
  return k;
}

TableHeader read_mish_header(Cursor& c) {
  const uint64_t base = c.tell();
  TableHeader t;
  read_signature(c, t.signature);
  t.version = c.u32be();
  t.firstSectorNumber = c.u64be();
  t.sectorCount = c.u64be();
  t.dataStart = c.u64be();
  t.buffersNeeded = c.u32be();
  t.blockDescriptors = c.u32be();
  t.checksum = read_checksum(c.at(base + 64));  // after 24 reserved bytes
  t.numberOfBlockChunks = c.at(base + 200).u32be();
  c.at(base + kMishHeaderSize);
  return t;
}

BLKXChunkEntry read_chunk(Cursor& c) {
  BLKXChunkEntry e{};
  e.entryType = c.u32be();
  e.comment = c.u32be();
  e.sectorNumber = c.u64be();
  e.sectorCount = c.u64be();
  e.compressedOffset = c.u64be();
  e.compressedLength = c.u64be();
  return e;
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
