#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::apfs {
// An APFS container (`NXSB` at offset 32 of block 0) or a lone volume superblock (`APSB`).
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::apfs
