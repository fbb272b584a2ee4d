#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::aa {
// Apple Archive (`AA01`, legacy `YAA1`); `AEA1` is formats/aea/probe.hpp.
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::aa
