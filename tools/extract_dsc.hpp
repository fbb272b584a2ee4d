// `upscope extract CACHE --image INSTALL_PATH -o OUT` (tools/extract_dsc.cpp), called by cmd_extract.cpp.
#pragma once

#include <string>

#include "cli.hpp"

namespace upscope::cli {

int run_dsc_extract(Context& ctx, const std::string& cache, const std::string& install_path);
extern const char* const kDscExtractHelp;

}  // namespace upscope::cli
