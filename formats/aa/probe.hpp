#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::aa {
// Apple Archive (`AA01`, legacy `YAA1`) and Apple Encrypted Archive (`AEA1`).
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::aa
