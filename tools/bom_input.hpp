// A BOM file's bytes for `upscope ls` and `upscope inspect` (reports/package_listing.hpp renders the
// listing).
#pragma once

#include <vector>

#include "inspect/limits.hpp"
#include "inspect/source.hpp"

namespace upscope::cli {

// A BOM file's bytes: the mapped file, or a copy (within --max-memory) when the source is not contiguous.
inline Result<Bytes> bom_bytes(const Source& src, std::vector<uint8_t>& copy) {
  if (auto b = src.contiguous()) return *b;
  UPSCOPE_CHECK(check_memory(src.size(), "BOM file"));
  UPSCOPE_TRY(copy, src.read_vector(0, src.size()));
  return Bytes(copy);
}

}  // namespace upscope::cli
