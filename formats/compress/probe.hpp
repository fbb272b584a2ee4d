#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::compress {
// Single compressed streams: LZFSE (`bvx*`), LZSS kernelcache (`complzss`), LZBITMAP (`ZBM`), xz,
// gzip, bzip2, zstd, LZ4 frame.
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::compress
