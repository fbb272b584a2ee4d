#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::dyld_cache {
// `dyld_v1` + right-aligned arch name: a main cache file or one of its subcaches.
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::dyld_cache
