#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::zip {
// Zip archives (OTA/RSR assets, IPSWs): a local header at 0 or an end-of-central-directory record
// near the end.
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::zip
