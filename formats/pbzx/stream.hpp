// Sequential, bounded-memory decoding of one compressed section: a pbz* chunked stream (chunks
// decoded ahead on a thread pool, in order, a bounded window at a time), a bare xz stream
// (incremental liblzma), or an empty section. Used by BXDIFF50 apply/parse, RIDIFF10 and Apple
// Archive reading, which all consume their data front to back.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"
#include "inspect/thread_pool.hpp"
#include "pbzx/pbzx.hpp"

namespace upscope::pbzx {

// What a section's first bytes and framing say, without decoding anything.
struct StreamLayout {
  std::string container;                 // "pbzx", "pbze", "pbz4", "pbzz", "pbzb", "pbzm", "xz", "empty", "raw"
  std::string codec;                     // "xz", "lzfse", "lz4", "zlib", "lzbitmap", "lzraven", "none"
  bool supported = true;                 // false for lzraven (no decoder outside Apple)
  std::optional<uint64_t> block_size;    // pbz*: the header's block size
  uint64_t chunk_count = 0;              // pbz*: number of chunks
  uint64_t compressed_chunks = 0;        // pbz*: chunks with stored < raw
  std::optional<uint64_t> decoded_size;  // pbz*: sum of raw sizes (known before decoding); empty: 0

  struct Chunk {
    uint64_t offset;       // of the stored bytes, relative to the section start
    uint64_t raw_size;
    uint64_t stored_size;
  };
  std::vector<Chunk> chunks;
  std::shared_ptr<const Stream> pbz;  // the pbzx::parse() framing, for pbzx::decode_chunk()
};

// Caps against hostile framing: a chunk must not promise more than max_chunk bytes.
struct StreamLimits {
  uint64_t max_chunk = uint64_t{64} << 20;
  uint64_t max_output = UINT64_MAX;  // total decoded bytes allowed (decompression-bomb guard)
};

// Reads the framing (pbz*: pbzx::parse). `allow_raw`: an unknown magic is a raw (stored) section instead of an error.
// Offsets in errors are relative to the section; callers shift them with Error::shifted().
Result<StreamLayout> describe(Bytes section, const StreamLimits& limits = {}, bool allow_raw = false);

class DecodedStream {
 public:
  virtual ~DecodedStream() = default;
  // Fills `out` completely unless the stream ends first; returns the bytes written (0 = end).
  virtual Result<size_t> read(std::span<uint8_t> out) = 0;
  // Decoded bytes handed out so far.
  virtual uint64_t produced() const = 0;
};

// `section` must outlive the stream. `pool` may be null (decode on the calling thread).
Result<std::unique_ptr<DecodedStream>> open(Bytes section, const StreamLayout& layout, ThreadPool* pool,
                                            const StreamLimits& limits = {});

// Decodes a whole (small) section into memory, capped at limits.max_output.
Result<std::vector<uint8_t>> decode_all(Bytes section, const StreamLayout& layout, ThreadPool* pool,
                                        const StreamLimits& limits);

}  // namespace upscope::pbzx
