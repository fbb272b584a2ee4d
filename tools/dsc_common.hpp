// Shared by `upscope dsc` and the dyld-cache inspector: the header/mapping/subcache summary as text,
// and per-image details read on every core.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "dyld_cache/cache.hpp"
#include "inspect/source.hpp"

namespace upscope::cli {

// Opens siblings next to src when it is a FileSource.
dyld_cache::OpenSibling sibling_opener(const SourcePtr& src);
std::string dsc_summary_text(const dyld_cache::Cache& c);
// Image details (Mach-O view, exports, function starts, code hash) for every image, in order, on
// `jobs` threads; per-image diagnostics are merged into diags in image order.
std::vector<std::optional<dyld_cache::ImageDetail>> dsc_image_details(const dyld_cache::Cache& c, unsigned jobs,
                                                                      const dyld_cache::ImageOptions& opt,
                                                                      Diagnostics& diags);
std::string dsc_images_table(const dyld_cache::Cache& c,
                             const std::vector<std::optional<dyld_cache::ImageDetail>>& details);

// `upscope extract CACHE --image INSTALL_PATH -o OUT` (tools/extract_dsc.cpp).
int run_dsc_extract(Context& ctx, const std::string& cache, const std::string& install_path);
extern const char* const kDscExtractHelp;

}  // namespace upscope::cli
