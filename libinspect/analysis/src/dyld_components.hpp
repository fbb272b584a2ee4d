// dyld shared caches inside a build tree (dyld_components.cpp).
#pragma once

#include <string>

#include "inventory_internal.hpp"

namespace upscope::build {

// A file identified as a dyld shared cache at `rel`. The main file becomes one component per cached
// image (kind dyld-cache-image, id = install path, placed where the cache lives: cryptex-os or
// system-volume by the classify table), with version, UUID, code hash, exports and per-function
// hashes; the cache files themselves are not components (their bytes change whenever any image
// moves). A subcache or .symbols file next to its main file contributes nothing (the main file reads
// it); without its main file it is kept as a plain file and listed as not analysed.
// Subcaches are opened through `siblings` (next to the main file on disk or in the disk image).
// A main file without hashes["sha256"] in `base` is hashed here, from the bytes decoded for its images
// (a lazy span that hashes as it fills); so are the subcaches that `cache_hashes` lets it claim, whose
// hashes are given there for their own readers.
FileResult read_dyld_cache(const std::string& rel, const SourcePtr& src, const Placement& pl,
                           const InventoryOptions& opt, Component base, const SiblingOpener& siblings,
                           CacheFileHashes* cache_hashes = nullptr);

// "dyld_shared_cache_arm64e" or "dyld_shared_cache_arm64e.development" (not ".01", ".symbols", ...).
bool is_main_cache_name(const std::string& name);

}  // namespace upscope::build
