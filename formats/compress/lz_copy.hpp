// Copy helpers shared by the LZVN and LZFSE decoders. The *_wide forms move whole 16-byte words and
// may read and write up to kLzSlop bytes past the end of the copy: callers use them only after a
// check that out_end - dst >= length + kLzSlop (and that the source has as much room), and fall
// back to the byte forms near the end of the buffer. Bytes written past the copy are scratch that
// later output overwrites.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace upscope::compress::detail {

inline constexpr size_t kLzSlop = 32;

inline uint64_t load_word(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

// Literal bytes: source and destination never overlap. At least 16 bytes are copied whatever n
// is (n is mostly 0..3), so the common case is one load and one store with no branch on n.
[[gnu::always_inline]] inline void copy_literals_wide(uint8_t* dst, const uint8_t* src, size_t n) {
  std::memcpy(dst, src, 16);
  if (n > 16) [[unlikely]]
    for (size_t i = 16; i < n; i += 16) std::memcpy(dst + i, src + i, 16);
}

// For a period d < 8, the smallest multiple of d that is at least 8: a match repeats with period d,
// so after the first 8 bytes it can be continued with 8-byte words read that far back.
inline constexpr uint8_t kPatternStep[8] = {0, 8, 8, 9, 8, 10, 12, 14};

// Matches closer than 16 bytes: each word copied must lie wholly before the bytes it writes.
inline void copy_match_near(uint8_t* dst, size_t dist, size_t n) {
  const uint8_t* src = dst - dist;
  if (dist >= 8) {
    for (size_t i = 0; i < n; i += 8) std::memcpy(dst + i, src + i, 8);
  } else {
    for (size_t i = 0; i < 8; ++i) dst[i] = src[i];
    const size_t step = kPatternStep[dist];
    for (size_t i = 8; i < n; i += 8) std::memcpy(dst + i, dst + i - step, 8);
  }
}

// An LZ match: dst[i] = dst[i - dist] for i in [0, n), so an overlapping source repeats a pattern.
// Requires 1 <= dist <= bytes already written before dst. Most matches are at least 16 back and
// at most 32 long: two 16-byte moves, no loop.
[[gnu::always_inline]] inline void copy_match_wide(uint8_t* dst, size_t dist, size_t n) {
  const uint8_t* src = dst - dist;
  if (dist >= 16) [[likely]] {
    std::memcpy(dst, src, 16);
    std::memcpy(dst + 16, src + 16, 16);
    if (n > 32) [[unlikely]]
      for (size_t i = 32; i < n; i += 16) std::memcpy(dst + i, src + i, 16);
  } else {
    copy_match_near(dst, dist, n);
  }
}

// src = dst - dist once: dst[i - dist] would compute dst + (i - dist) with i - dist wrapping around
// for i < dist, a pointer overflow (UBSan, found by the kc fuzzer) even though the sum lands right.
inline void copy_match_bytes(uint8_t* dst, size_t dist, size_t n) {
  const uint8_t* src = dst - dist;
  for (size_t i = 0; i < n; ++i) dst[i] = src[i];
}

}  // namespace upscope::compress::detail
