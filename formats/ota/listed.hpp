// payload.bom, the package's list of its AssetData files (internal to formats/ota; listed.cpp).
#pragma once

#include "ota/files.hpp"
#include "ota/ota.hpp"

namespace upscope::ota {

// Adds an Item for every file payload.bom lists that the package does not hold (format "absent"),
// placed by its name; what such a file would write, when its name does not say, is not analysed.
void add_listed_items(const PackageFiles& files, const ReadOptions& opt, Package& p);

}  // namespace upscope::ota
