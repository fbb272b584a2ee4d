// The `aa list` table of an Apple Archive's entries, shared with `ls FILE.aea` (tools/ls_aea.cpp).
#pragma once

#include <string>

#include "aa/aa.hpp"

namespace upscope::cli {

// "NAME: Apple Archive, N entries (raw[, WRAPPER])" and one row per entry (defined in cmd_aa.cpp).
std::string aa_listing_text(const std::string& name, const aa::Listing& l, const std::string& wrapper);

}  // namespace upscope::cli
