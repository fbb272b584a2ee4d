// Kext bundles on a file system (System/Library/Extensions, Library/Extensions, a kext's
// Contents/PlugIns): the bundle's executable becomes the component named by its Info.plist's
// CFBundleIdentifier, versioned by CFBundleVersion, as a kernel collection names the same kext. A
// kext found both in a kernel collection and as a bundle is one component: the collection's entry
// (what loads), with the bundle's executable as another place it lives (Component::also).
#pragma once

#include <filesystem>

#include "analysis/model.hpp"

namespace upscope::build {

// `root` is the directory the inventory walked (the component paths are absolute within it; the
// root may itself be a .kext bundle). Bundles whose Info.plist cannot be read go to not_analysed.
void group_kext_bundles(const std::filesystem::path& root, BuildInventory& inv);

}  // namespace upscope::build
