// An OTA/RSR package as changes: the package reader (formats/ota) lists the device paths it writes,
// patches or removes; here each is placed by the placement table's path rows and the set becomes the
// BuildDiff that decide_rsr reads.
#pragma once

#include <vector>

#include "analysis/classify.hpp"
#include "analysis/diff.hpp"
#include "ota/ota.hpp"

namespace upscope {

struct PlacedPath : ota::TouchedPath {
  Placement placement;
};

// ota::touched_paths(p), each placed by classify_path like any other device path (a recovery
// BaseSystem image patch writes under /System/Volumes/Recovery, a cryptex image patch a <name>.dmg
// under Preboot's cryptex1/current: the table's rows for those places decide). Same order.
std::vector<PlacedPath> placed_touched_paths(const ota::Package& p);

// One change per distinct path (the first item writing it gives the evidence), the package's
// not-analysed list carried over, so that what could hide a change keeps the verdict undetermined.
BuildDiff update_changes(const ota::Package& p, const std::vector<PlacedPath>& touched);

}  // namespace upscope
