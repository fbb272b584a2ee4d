// Raw on-disk layout of a trust cache module (docs/formats/trustcache.md §1), little-endian, packed.
// Private to formats/trustcache.
#pragma once

#include <cstddef>
#include <cstdint>

namespace upscope::trustcache {

#pragma pack(push, 1)
struct RawHeader {
  uint32_t version;     // 0, 1 or 2: decides the entry layout
  uint8_t uuid[16];
  uint32_t entry_count;
};

// Version 1 entry; version 2 appends a constraint category and a reserved byte, version 0 is the
// cdhash alone.
struct RawEntry2 {
  uint8_t cdhash[20];
  uint8_t hash_type;
  uint8_t flags;
  uint8_t constraint_category;
  uint8_t reserved;
};
#pragma pack(pop)

static_assert(sizeof(RawHeader) == 24);
static_assert(offsetof(RawHeader, entry_count) == 20);
static_assert(sizeof(RawEntry2) == 24);

inline constexpr uint64_t kHeaderSize = sizeof(RawHeader);
inline constexpr uint64_t kCdhashSize = 20;

}  // namespace upscope::trustcache
