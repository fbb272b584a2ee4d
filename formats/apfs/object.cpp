#include "apfs/object.hpp"
#include "apfs/structs.hpp"

namespace upscope::apfs {

uint64_t fletcher64(Bytes block) {
  // Sums fit in 64 bits without intermediate reduction for blocks up to 64 KiB (16384 words):
  // s2 <= n(n+1)/2 * (2^32-1) < 2^60.
  constexpr uint64_t kMod = 0xffffffffULL;
  uint64_t s1 = 0, s2 = 0;
  const size_t words = block.size() / 4;
  for (size_t i = 2; i < words; ++i) {
    s1 += load_u32le(block.data() + 4 * i);
    s2 += s1;
  }
  s1 %= kMod;
  s2 %= kMod;
  uint64_t c1 = kMod - ((s1 + s2) % kMod);
  uint64_t c2 = kMod - ((s1 + c1) % kMod);
  return (c2 << 32) | c1;
}

ByteReader Block::reader(std::string_view label) const { return ByteReader(bytes, 0, label); }

uint32_t Block::type() const { return header.type & OBJECT_TYPE_MASK; }
uint32_t Block::storage() const { return header.type & OBJ_STORAGETYPE_MASK; }

ObjectHeader object_header(Bytes block) {
  ObjectHeader h;
  ByteReader r(block);
  h.cksum = r.u64le(0).value_or(0);
  h.oid = r.u64le(8).value_or(0);
  h.xid = r.u64le(16).value_or(0);
  h.type = r.u32le(24).value_or(0);
  h.subtype = r.u32le(28).value_or(0);
  return h;
}

const char* object_type_name(uint32_t type) {
  switch (type) {
    case 0x1: return "container superblock";
    case 0x2: return "B-tree root";
    case 0x3: return "B-tree node";
    case 0x5: return "space manager";
    case 0xb: return "object map";
    case 0xc: return "checkpoint map";
    case 0xd: return "volume superblock";
    case 0xe: return "fs tree";
    case 0xf: return "extent-ref tree";
    case 0x10: return "snapshot metadata tree";
    case 0x11: return "reaper";
    case 0x1e: return "integrity metadata";
    case 0x1f: return "file-extent tree";
    default: return "object";
  }
}

}  // namespace upscope::apfs
