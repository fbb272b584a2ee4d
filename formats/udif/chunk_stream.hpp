// Streams decoded UDIF chunks in order while decoding the compressed ones on a thread pool with
// a bounded window (memory stays at about 2 × jobs chunks). Shared by verify() and
// ImageSource::stream().
#pragma once

#include <functional>
#include <optional>
#include <span>

#include "udif/image.hpp"

namespace upscope::udif {

// Bytes [skip, skip + take) of a chunk's decoded output, or `take` zero bytes (a gap) when
// entry is empty.
struct Segment {
  std::optional<MapEntry> entry;
  uint64_t skip = 0;
  uint64_t take = 0;
};

// Feeds every segment's bytes to sink in order, in pieces of at most a chunk. Stops early (and
// returns success) when sink returns false.
Status stream_segments(const Image& img, const Source& file, std::span<const Segment> segments, unsigned jobs,
                       const std::function<bool(Bytes)>& sink);

// A read-only block of zeros for gap and zero-chunk output.
Bytes zero_block();

}  // namespace upscope::udif
