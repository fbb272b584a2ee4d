// Documents of `upscope patch info` ("patch": a BXDIFF50 or RIDIFF10 patch's structure) and
// `upscope patch apply` ("patch-apply"), as JSON and text.
#pragma once

#include <string>

#include "bxdiff50/bxdiff50.hpp"
#include "reports/json.hpp"
#include "ridiff10/ridiff10.hpp"

namespace upscope::reports {

Json patch_document(const std::string& path, const bxdiff50::Patch& p);
Json patch_document(const std::string& path, const ridiff10::Patch& p);
std::string patch_text(const std::string& path, const bxdiff50::Patch& p);
std::string patch_text(const std::string& path, const ridiff10::Patch& p);

Json patch_apply_document(const std::string& patch, const std::string& old, const std::string& output,
                          const bxdiff50::ApplyReport& r);
std::string patch_apply_text(const std::string& output, const bxdiff50::ApplyReport& r);

}  // namespace upscope::reports
