#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::macho {
// Thin Mach-O (32/64-bit, either byte order), fat (32/64-bit tables), and MH_FILESET (kernel
// collections). A fat magic is only accepted when its arch table is plausible (Java class files
// share 0xcafebabe).
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::macho
