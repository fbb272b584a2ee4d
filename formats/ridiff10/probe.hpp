#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::ridiff10 {
// RIDIFF10 raw-image patches (cryptex image patches in RSRs and OTAs).
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::ridiff10
