// The block layout of an LZFSE stream (docs/formats/lzfse.md §1-§4), read from block headers only: what
// `upscope inspect` shows, and the exact decoded size a one-shot lzfse_decode needs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope::compress {

struct LzfseBlock {
  uint64_t offset = 0;      // of the block magic, relative to the stream
  std::string magic;        // "bvx2", "bvx1", "bvxn", "bvx-", "bvx$"
  uint64_t raw_size = 0;    // decoded bytes
  uint64_t block_size = 0;  // bytes the block takes in the stream, header included
};

struct LzfseLayout {
  std::vector<LzfseBlock> blocks;  // including the final bvx$
  uint64_t decoded_size = 0;
  uint64_t end_offset = 0;         // just past bvx$
};

// Walks the block headers; an unknown magic, a block past the end or a missing bvx$ is an Error.
// At most max_blocks blocks are listed (a hostile stream of empty blocks is bounded).
Result<LzfseLayout> lzfse_block_layout(const ByteReader& r, size_t max_blocks = 1 << 20);

}  // namespace upscope::compress
