#pragma once
#include <optional>
#include <string>
#include "inspect/probe.hpp"

namespace upscope::trustcache {
// A raw (unwrapped) trust cache, versions 0-2. It has no magic: the version, the entry count and the
// exact file size must agree, so the probe runs last.
std::optional<Identification> probe(const ProbeInput& in);

// Entry size of a trust cache version (0 for an unknown version).
uint64_t entry_size(uint32_t version);

// The header of a module of `size` bytes whose first bytes are in `head`, when its version is known
// and the size is exactly the header plus the declared entries (used for IM4P payloads too).
struct Summary {
  uint32_t version = 0;
  std::string uuid;
  uint32_t entry_count = 0;
};
std::optional<Summary> summarize(const ByteReader& head, uint64_t size);
}  // namespace upscope::trustcache
