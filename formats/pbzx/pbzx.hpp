// pbz* chunked streams (docs/formats/pbzx.md §1): a 4-byte magic naming the codec, a u64 BE block
// size, then chunks {u64 BE raw_size, u64 BE stored_size, stored_size bytes} to the end. Each
// chunk is a standalone stream, so chunks decode in parallel and are written out in order.
//
//   auto s = pbzx::parse(reader, diags);                 // framing only, validated
//   pbzx::decode(reader, *s, jobs, max_output, sink);    // parallel, in order, bounded memory
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compress/codec.hpp"
#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"

namespace upscope::pbzx {

inline constexpr uint64_t kHeaderSize = 12;       // magic + block size
inline constexpr uint64_t kChunkHeaderSize = 16;  // raw size + stored size
// A chunk is decoded into one buffer: larger raw sizes are refused (Apple writes 1 or 16 MiB).
inline constexpr uint64_t kMaxChunkSize = uint64_t{256} << 20;

struct Chunk {
  uint64_t header_offset = 0;  // of the 16-byte chunk header, relative to the parsed reader
  uint64_t data_offset = 0;    // of the chunk data, relative to the parsed reader
  uint64_t raw_size = 0;       // decoded size
  uint64_t stored_size = 0;    // bytes in the stream
  bool stored = false;         // stored_size == raw_size: copied, not decoded
};

struct Stream {
  std::string magic;                   // "pbzx", "pbze", "pbz4", "pbzz", "pbzb", "pbzm"
  std::string codec_name;              // "xz", "lzfse", "lz4", "zlib", "lzbitmap", "lzraven"
  std::optional<compress::Codec> codec;  // nullopt when we have no decoder (pbzm)
  uint64_t block_size = 0;
  std::vector<Chunk> chunks;           // the chunks whose framing is valid, in order
  uint64_t decoded_size = 0;           // sum of raw sizes of `chunks`
  uint64_t stored_bytes = 0;           // sum of stored sizes of `chunks`
  uint64_t end_offset = 0;             // just past the last valid chunk
  // Set when the framing breaks a rule (chunk past the end, stored_size > raw_size, ...): the
  // chunks before it are listed, and decode() refuses the stream with this error.
  std::optional<Error> framing_error;

  bool supported() const { return codec.has_value(); }
};

// True when the first four bytes are a pbz* magic.
bool is_pbz(Bytes data);

// Reads the header and walks the chunk headers (no decoding). Fails only when the header itself is
// unusable (short, unknown magic); later framing errors land in Stream::framing_error and diags.
Result<Stream> parse(const ByteReader& r, Diagnostics& diags);

using Sink = std::function<Status(Bytes)>;

// Decodes every chunk on `jobs` threads (0 = all cores), handing the decoded bytes to `sink` in
// order, with at most a few chunks in memory. Fails before decoding anything when the framing is
// invalid, the codec is unsupported ("unsupported codec lzraven", kUnsupported) or the decoded
// size exceeds max_output (kLimit). Returns the number of bytes handed to the sink.
Result<uint64_t> decode(const ByteReader& r, const Stream& s, unsigned jobs, uint64_t max_output, const Sink& sink);

// parse + decode into one buffer (BXDIFF50 sections, small payloads).
Result<std::vector<uint8_t>> decode_to_vector(const ByteReader& r, uint64_t max_output, unsigned jobs = 0);

// Decodes one chunk (exposed for tests and tools): a stored chunk is copied.
Result<std::vector<uint8_t>> decode_chunk(const ByteReader& r, const Stream& s, size_t index);

}  // namespace upscope::pbzx
