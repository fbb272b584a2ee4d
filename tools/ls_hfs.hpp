// The HFS+ lister of `upscope ls`, also the fallback of the disk-image lister when an image holds
// no APFS container.
#pragma once

#include "ls_registry.hpp"

namespace upscope::cli {
int list_hfs(Context& ctx, const LsRequest& req, const IdentifiedInput& input);
}  // namespace upscope::cli
