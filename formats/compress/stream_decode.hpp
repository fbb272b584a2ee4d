// Streaming decoders for the single-stream formats whose decoded size is not in a header (xz,
// gzip, bzip2, zstd, LZ4 frame): output goes to a sink in pieces, so a multi-gigabyte stream never
// sits in memory. Used by `upscope decompress`; containers with known sizes use codec.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope::compress {

enum class StreamKind { kXz, kGzip, kBzip2, kZstd, kLz4Frame };

std::optional<StreamKind> stream_kind_from_format(std::string_view format_id);  // "xz", "gzip", ...
const char* stream_kind_name(StreamKind k);

struct StreamProgress {
  uint64_t consumed = 0;  // input bytes used so far
  uint64_t produced = 0;  // output bytes handed to the sink
};

// Decodes all of `in` (concatenated streams included, as the command-line tools do), handing the
// output to `sink` in pieces of at most ~1 MiB. More than max_output bytes is kLimit.
// `progress`, when set, is called after each piece.
Result<uint64_t> stream_decode(StreamKind kind, Bytes in, uint64_t max_output,
                               const std::function<Status(Bytes)>& sink,
                               const std::function<void(const StreamProgress&)>& progress = {});

}  // namespace upscope::compress
