#include "aea/checksum.hpp"

namespace upscope::aea {

uint64_t murmur64a(Bytes data, uint64_t seed) {
  constexpr uint64_t m = 0xc6a4a7935bd1e995ull;
  constexpr int r = 47;
  uint64_t h = seed ^ (data.size() * m);
  const size_t blocks = data.size() / 8;
  for (size_t i = 0; i < blocks; ++i) {
    uint64_t k = load_u64le(data.data() + 8 * i);
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const size_t tail = data.size() % 8;
  if (tail) {
    uint64_t k = 0;
    for (size_t i = 0; i < tail; ++i) k |= uint64_t(data[blocks * 8 + i]) << (8 * i);
    h ^= k;
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

}  // namespace upscope::aea
