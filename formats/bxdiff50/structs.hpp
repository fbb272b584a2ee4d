// Raw on-disk headers of the bsdiff-derived Apple patches (all little-endian, packed).
// Field names follow the public appliers (npupyshev/bxdiff, blacktop/ipsw) where they have one.
#pragma once

#include <cstddef>
#include <cstdint>

namespace upscope::bxdiff50 {

#pragma pack(push, 1)
// BXDIFF50: 88 bytes. The size fields are in the order control, extra, diff, but the sections
// follow the header in the order control, diff, extra.
struct RawHeader50 {
  char magic[8];             // "BXDIFF50"
  uint64_t version;          // 1 in every known patch ("unknown" in npupyshev's code)
  uint64_t patched_size;     // size of the output (new) file
  uint64_t control_size;     // compressed length of the control section
  uint64_t extra_size;       // compressed length of the extra section
  uint8_t result_sha1[20];   // SHA-1 of the output
  uint64_t diff_size;        // compressed length of the diff section
  uint8_t target_sha1[20];   // SHA-1 of the input (old) file the patch applies to
};

// BXDIFF40 / BXDIFF41: 32 bytes; BXDIFF41 appends a 20-byte SHA-1 of the input.
struct RawHeader4x {
  char magic[8];             // "BXDIFF40" / "BXDIFF41"
  uint64_t control_size;     // compressed length of the control section (xz)
  uint64_t diff_size;        // compressed length of the diff section (xz)
  uint64_t patched_size;     // size of the output file
};
#pragma pack(pop)

static_assert(sizeof(RawHeader50) == 88);
static_assert(offsetof(RawHeader50, result_sha1) == 40);
static_assert(offsetof(RawHeader50, diff_size) == 60);
static_assert(offsetof(RawHeader50, target_sha1) == 68);
static_assert(sizeof(RawHeader4x) == 32);

inline constexpr uint64_t kHeader50Size = sizeof(RawHeader50);
inline constexpr uint64_t kHeader4xSize = sizeof(RawHeader4x);
inline constexpr uint64_t kSha1Size = 20;
inline constexpr uint64_t kTripleSize = 24;  // three sign-magnitude u64: mix, copy, seek

// bsdiff's "offtin": bit 63 is the sign, bits 0..62 the magnitude (not two's complement).
// The magnitude of a negative zero is 0; values beyond INT64 range cannot occur (63-bit magnitude).
inline int64_t decode_offtin(uint64_t v) {
  auto mag = static_cast<int64_t>(v & 0x7fffffffffffffffULL);
  return (v >> 63) ? -mag : mag;
}
inline uint64_t encode_offtin(int64_t x) {
  return x < 0 ? (static_cast<uint64_t>(-(x + 1)) + 1) | 0x8000000000000000ULL : static_cast<uint64_t>(x);
}

}  // namespace upscope::bxdiff50
