// Copy helpers shared by the LZVN and LZFSE decoders. The *_wide forms move whole 8- or 16-byte
// words and may write up to kLzSlop bytes past the end of the copy: callers use them only after a
// block-level check that out_end - dst >= length + kLzSlop, and fall back to the byte forms near
// the end of the buffer. Bytes written past the copy are scratch that later output overwrites.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace upscope::compress::detail {

inline constexpr size_t kLzSlop = 16;

inline uint64_t load_word(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

// Literal bytes: source and destination never overlap. Reads up to 15 bytes past src + n too.
inline void copy_literals_wide(uint8_t* dst, const uint8_t* src, size_t n) {
  for (size_t i = 0; i < n; i += 16) std::memcpy(dst + i, src + i, 16);
}

// For a period d < 8, the smallest multiple of d that is at least 8: a match repeats with period d,
// so after the first 8 bytes it can be continued with 8-byte words read that far back.
inline constexpr uint8_t kPatternStep[8] = {0, 8, 8, 9, 8, 10, 12, 14};

// An LZ match: dst[i] = dst[i - dist] for i in [0, n), so an overlapping source repeats a pattern.
// Requires 1 <= dist <= bytes already written before dst.
inline void copy_match_wide(uint8_t* dst, size_t dist, size_t n) {
  const uint8_t* src = dst - dist;
  if (dist >= 16) {
    for (size_t i = 0; i < n; i += 16) std::memcpy(dst + i, src + i, 16);
  } else if (dist >= 8) {
    for (size_t i = 0; i < n; i += 8) std::memcpy(dst + i, src + i, 8);
  } else {
    for (size_t i = 0; i < 8; ++i) dst[i] = src[i];
    const size_t step = kPatternStep[dist];
    for (size_t i = 8; i < n; i += 8) std::memcpy(dst + i, dst + i - step, 8);
  }
}

// src = dst - dist once: dst[i - dist] would compute dst + (i - dist) with i - dist wrapping around
// for i < dist, a pointer overflow (UBSan, found by the kc fuzzer) even though the sum lands right.
inline void copy_match_bytes(uint8_t* dst, size_t dist, size_t n) {
  const uint8_t* src = dst - dist;
  for (size_t i = 0; i < n; ++i) dst[i] = src[i];
}

}  // namespace upscope::compress::detail
