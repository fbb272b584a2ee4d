// The chunk layout of an LZBITMAP ("ZBM") stream (docs/formats/lzbitmap.md §1-§2), read from chunk
// headers only: what `upscope inspect` shows and the exact decoded size `upscope decompress` needs.
// The decoder itself is compress::lzbitmap_decode (codec.hpp), Codec::kLzbitmap.
#pragma once

#include <cstdint>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope::compress {

inline constexpr uint8_t kLzbitmapFormatByte = 0x09;     // the only format byte we know (§1)
inline constexpr uint32_t kLzbitmapMaxChunk = 0x8000;    // decoded bytes per chunk (§2)

struct LzbitmapChunk {
  uint64_t offset = 0;        // of the chunk header, relative to the stream
  uint32_t length = 0;        // bytes the chunk takes, header included
  uint32_t decoded_size = 0;
  bool stored = false;        // length == decoded_size + 6: copied, not decoded
};

struct LzbitmapLayout {
  std::vector<LzbitmapChunk> chunks;  // the data chunks, without the end-of-stream chunk
  uint64_t decoded_size = 0;
  uint64_t end_offset = 0;            // just past the end-of-stream chunk
};

// True when the bytes start with "ZBM" (the format byte is checked by the layout and the decoder).
bool is_lzbitmap(Bytes data);

// Walks the chunk headers; a bad header, a chunk past the end or a missing end-of-stream chunk is an
// Error with the same message lzbitmap_decode gives. At most max_chunks chunks are listed.
Result<LzbitmapLayout> lzbitmap_layout(const ByteReader& r, size_t max_chunks = size_t{1} << 22);

}  // namespace upscope::compress
