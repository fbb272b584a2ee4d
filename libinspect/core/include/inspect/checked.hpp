// Overflow-safe arithmetic for offsets and lengths read from untrusted files.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

namespace upscope {

// a + b, or nullopt when it wraps.
inline std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

inline std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// True when [off, off+len) lies inside [0, size). Never overflows: it compares without adding.
constexpr bool range_fits(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

// Narrowing to size_t that cannot silently truncate on 32-bit hosts.
inline std::optional<size_t> to_size(uint64_t v) {
  if (v > std::numeric_limits<size_t>::max()) return std::nullopt;
  return static_cast<size_t>(v);
}

}  // namespace upscope
