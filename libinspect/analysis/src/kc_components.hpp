// Kernel collections and kernelcaches inside a build tree (kc_components.cpp).
#pragma once

#include <string>

#include "inventory_internal.hpp"

namespace upscope::build {

// A file identified as a kernel collection (MH_FILESET) or a wrapped kernelcache (IM4P, complzss) at
// `rel`: one component per entry, read by kc::open. Kexts are keyed by their __PRELINK_INFO
// CFBundleIdentifier and versioned by CFBundleVersion (codeless kexts too); the kernel keeps its
// entry id (com.apple.kernel), versioned by its "Darwin Kernel Version" string. Each carries UUID,
// code hash, exports and per-function hashes, placed where the file lives (or, for a lone
// file, by the collection's kind). An IM4P that holds no kernelcache stays a plain file component.
FileResult read_kernel_collection(const std::string& rel, const SourcePtr& src, const Placement& pl,
                                  const InventoryOptions& opt, Component base);

}  // namespace upscope::build
