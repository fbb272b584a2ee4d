#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::aea {
// Apple Encrypted Archive (`AEA1`): the profile decides whether the contents are readable.
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::aea
