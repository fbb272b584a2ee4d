#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::bxdiff50 {
// BXDIFF50 per-file patches and the older BXDIFF40/41.
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::bxdiff50
