#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::plist {
// Property lists: binary (`bplist00`) and XML (`<?xml` ... `<plist`).
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::plist
