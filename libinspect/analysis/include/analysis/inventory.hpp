// Build inventories: every component of a build, read from a directory tree laid out as a macOS or
// iOS system (an extracted or mounted root), or from single images (a kernel collection, a dyld
// cache, any Mach-O or file). Each component gets kind, space, location (the one table in
// analysis/classify.hpp) and the hashes its reader gives; what cannot be read goes to not_analysed.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "aea/aea.hpp"
#include "inspect/diagnostics.hpp"
#include "analysis/model.hpp"
#include "inspect/result.hpp"

namespace upscope::build {

struct InventoryOptions {
  unsigned jobs = 0;               // 0 = all cores
  bool symbols = true;             // exported symbols per Mach-O / kext
  uint64_t max_file_size = 64ull << 30;  // larger files are hashed but not parsed
  // Per-function hashes left to Component::detail_loader (diff, verdict)
  // instead of computed for every component (inventory, catalog).
  bool lazy_functions = false;
  // Keys for AEA-wrapped images (an IPSW's OS cryptex "*.dmg.aea"), by file name; else the default.
  std::map<std::string, aea::Keys> aea_keys;
  std::optional<aea::Keys> aea_default_keys;
};

// A directory (a system root) or a single file. Errors only when the input cannot be read at all.
Result<BuildInventory> make_inventory(const std::string& path, const InventoryOptions& opt, Diagnostics& diags);

}  // namespace upscope::build
