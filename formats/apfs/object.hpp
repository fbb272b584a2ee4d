// APFS objects: a block read from the container, its obj_phys_t header and Fletcher-64 check.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "apfs/structs.hpp"
#include "inspect/byte_reader.hpp"

namespace upscope::apfs {

// Apple's Fletcher-64 over a whole block, skipping the stored checksum (bytes 0-7).
uint64_t fletcher64(Bytes block);

// One block of the container: a zero-copy view of a mapped input, or an owned copy.
struct Block {
  uint64_t paddr = 0;
  std::vector<uint8_t> owned;
  Bytes bytes;
  obj_phys_t header{};  // copied out of bytes[0..32)

  uint32_t type() const { return header.o_type & OBJECT_TYPE_MASK; }
  uint32_t storage() const { return header.o_type & OBJ_STORAGETYPE_MASK; }
  ByteReader reader(std::string_view label = {}) const;
};
using BlockPtr = std::shared_ptr<const Block>;

const char* object_type_name(uint32_t type);  // "btree node", "omap", ...

}  // namespace upscope::apfs
