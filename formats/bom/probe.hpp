#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::bom {
// Bill of materials (`BOMStore`, version 1): the file lists of installer packages and OTA payloads.
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::bom
