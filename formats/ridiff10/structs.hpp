// RIDIFF10 raw-image patch header (docs/formats/ridiff10.md §2, after blacktop/ipsw's
// RawImageDiff.bt). Packed little-endian; the variable part (V patch-data offsets) follows.
#pragma once

#include <cstddef>
#include <cstdint>

namespace upscope::ridiff10 {

#pragma pack(push, 1)
struct RawHeaderFixed {
  char magic[8];             // "RIDIFF10"
  uint16_t variants;         // V: alternative patch-data streams (one per accepted input image)
  uint64_t flags;            // meaning unknown
  uint64_t control_count;    // number of control records
  uint32_t excess_space;     // in-place patching budget in bytes
  uint64_t metadata_offset;  // absolute; equals the header end in practice
  uint64_t controls_offset;  // absolute; the metadata stream ends here
  // uint64_t patch_data_offset[V]; uint64_t patch_size;
};
#pragma pack(pop)

static_assert(sizeof(RawHeaderFixed) == 46);
static_assert(offsetof(RawHeaderFixed, excess_space) == 26);
static_assert(offsetof(RawHeaderFixed, controls_offset) == 38);

// Header end for V variants: 46 + 8V + 8 (V = 1 -> 0x3e, V = 2 -> 0x46).
constexpr uint64_t header_size(uint64_t variants) { return sizeof(RawHeaderFixed) + 8 * variants + 8; }
static_assert(header_size(1) == 0x3e && header_size(2) == 0x46);

// Decoded metadata, fixed prefix (docs/formats/ridiff10.md §4, partially understood).
#pragma pack(push, 1)
struct RawMetadataPrefix {
  uint8_t digest[32];     // SHA-256, most likely of the image this variant describes [inference]
  uint64_t total_bytes;   // image size [inference]
  uint64_t unknown_40;    // "UnknownCount"/"Ratio" in blacktop's notes: unknown
  uint64_t extent_count;
  uint64_t fork_count;
};
struct RawExtent {
  uint64_t offset;
  uint64_t size;
};
#pragma pack(pop)
static_assert(sizeof(RawMetadataPrefix) == 64);
static_assert(sizeof(RawExtent) == 16);

}  // namespace upscope::ridiff10
