// Slide info (v2, v3, v5) header checks; the chain walk is Cache::slid_pointers.
#pragma once

#include "dyld_cache/cache.hpp"

namespace upscope::dyld_cache {
// Checks every mapping's slide info header against the file and the mapping; sets Mapping::slide.
void read_slide_headers(CacheFile& f, Diagnostics& diags);
}  // namespace upscope::dyld_cache
