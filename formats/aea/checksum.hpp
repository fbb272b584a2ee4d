// The segment checksums an AEA root header can name (docs/formats/aea.md §7). Private to formats/aea.
#pragma once

#include <cstdint>

#include "inspect/byte_reader.hpp"

namespace upscope::aea {

// MurmurHash64A (Austin Appleby's 64-bit MurmurHash2 for 64-bit hosts): not cryptographic, a
// checksum only. AEA uses it with the seed kMurmurSeed and stores the value little-endian.
uint64_t murmur64a(Bytes data, uint64_t seed);

}  // namespace upscope::aea
