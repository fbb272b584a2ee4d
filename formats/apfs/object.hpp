// APFS objects: a block read from the container, its obj_phys_t header and Fletcher-64 check.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inspect/byte_reader.hpp"

namespace upscope::apfs {

// Apple's Fletcher-64 over a whole block, skipping the stored checksum (bytes 0-7).
uint64_t fletcher64(Bytes block);

// The 32-byte header every object starts with (obj_phys_t).
struct ObjectHeader {
  uint64_t cksum = 0, oid = 0, xid = 0;
  uint32_t type = 0, subtype = 0;  // o_type (type and storage flags), o_subtype
};
// The header of a block of at least 32 bytes (docs/formats/apfs.md: obj_phys_t); zeros when shorter.
ObjectHeader object_header(Bytes block);

// One block of the container: a zero-copy view of a mapped input, or an owned copy.
struct Block {
  uint64_t paddr = 0;
  std::vector<uint8_t> owned;
  Bytes bytes;
  ObjectHeader header;  // read from bytes[0..32)

  uint32_t type() const;     // the object type (low 16 bits of o_type)
  uint32_t storage() const;  // virtual, ephemeral or physical (top 2 bits of o_type)
  ByteReader reader(std::string_view label = {}) const;
};
using BlockPtr = std::shared_ptr<const Block>;

const char* object_type_name(uint32_t type);  // "btree node", "omap", ...

}  // namespace upscope::apfs
