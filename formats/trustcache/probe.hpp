#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::trustcache {
// A raw (unwrapped) trust cache, versions 0-2. It has no magic: the version, the entry count and the
// exact file size must agree, so the probe runs last.
std::optional<Identification> probe(const ProbeInput& in);

// Entry size of a trust cache version (0 for an unknown version).
uint64_t entry_size(uint32_t version);
}  // namespace upscope::trustcache
