#pragma once

#include <filesystem>

#include "inspect/diagnostics.hpp"
#include "analysis/model.hpp"

namespace upscope::build {
// Product, version, build and the RSR letter from the tree's SystemVersion.plist files: the system
// volume's, and the OS cryptex's (whose ProductVersionExtra carries "(a)" after an RSR).
void read_system_version(const std::filesystem::path& root, BuildInventory& inv, Diagnostics& diags);
}  // namespace upscope::build
