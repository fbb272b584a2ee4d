#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::pkg {
// xar archives (`xar!`): "pkg" when the table of contents names a Bom, PackageInfo or Distribution
// (a flat installer package or a product archive), "xar" otherwise (.xip and other xar files).
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::pkg
