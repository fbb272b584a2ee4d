// An OTA/RSR package as changes: the package reader (formats/ota) lists the device paths it writes,
// patches or removes; here each is placed (classify.hpp's table, with the two package-specific rules
// below) and the set becomes the BuildDiff that decide_rsr reads.
#pragma once

#include <vector>

#include "analysis/classify.hpp"
#include "analysis/diff.hpp"
#include "ota/ota.hpp"

namespace upscope {

struct PlacedPath : ota::TouchedPath {
  Placement placement;
};

// The table's placement of `t.path`, except: a recovery BaseSystem image patch is boot firmware of no
// known location, and a cryptex image patch of a kind other than OS or App (Rosetta...) is a cryptex
// image of unknown location, never one of the RSR-patchable cryptexes.
Placement place_touched(const ota::TouchedPath& t);

// ota::touched_paths(p), each with its placement (same order).
std::vector<PlacedPath> placed_touched_paths(const ota::Package& p);

// One change per distinct path (the first item writing it gives the evidence), the package's
// not-analysed list carried over, so that what could hide a change keeps the verdict undetermined.
BuildDiff update_changes(const ota::Package& p, const std::vector<PlacedPath>& touched);

}  // namespace upscope
