#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::hfs {
// HFS+ (`H+`), HFSX (`HX`) volume header at 1024, or an HFS wrapper (`BD`) embedding one.
std::optional<Identification> probe(const ProbeInput& in);
}  // namespace upscope::hfs
