// A trust cache in a build (a cryptex's or the system volume's, raw or in Image4) as a component of
// kind trust-cache: one fact per cdhash, so a diff names the entries added, removed or changed
// (docs/diff.md, "trust caches"). The verdict's check that a changed cryptex came with a changed trust
// cache reads these components (analysis/diff.hpp, BuildDiff::trust_cache_notes).
#pragma once

#include <string>

#include "inventory_internal.hpp"
#include "inspect/source.hpp"

namespace upscope::build {

// `base` is the component already hashed and placed; its kind becomes trust-cache. A module that
// cannot be read leaves the component hashed only, with the reason in not_analysed.
FileResult read_trust_cache(const std::string& rel, const Source& src, Component base);

}  // namespace upscope::build
