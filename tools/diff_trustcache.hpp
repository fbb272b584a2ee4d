// `upscope diff A B` when both inputs are trust caches (raw, or in an IM4P / IMG4 of a trust-cache
// type): cdhashes added and removed, entries whose hash type, flags or category changed.
#pragma once

#include <optional>
#include <string>

#include "cli.hpp"

namespace upscope::cli {

// The exit code (0 same entries, 1 different, 2 error) when both are trust caches; nullopt when
// either is not one, for the build diff to handle.
std::optional<int> diff_trust_caches(Context& ctx, const std::string& a, const std::string& b);

}  // namespace upscope::cli
