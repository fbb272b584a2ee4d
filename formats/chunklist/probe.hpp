#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::chunklist {
// Chunklists (`CNKL`): the SHA-256 of every chunk of a disk image, signed, shipped beside it.
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::chunklist
