// Documents of the dyld shared cache: `upscope dsc images|image|addr` ("dyld-cache", "dyld-cache-image",
// "dyld-cache-addr"), `upscope ls CACHE` ("dsc-ls") and the report of `upscope inspect`, as JSON
// (reports/schemas) and as text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dyld_cache/cache.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/hash.hpp"
#include "reports/format_report.hpp"
#include "reports/json.hpp"

namespace upscope::reports {

// Per-image details parallel to Cache::images (nullopt: table fields only), as all_image_details reads them.
using DscDetails = std::vector<std::optional<dyld_cache::ImageDetail>>;

// `upscope inspect`: the report (header, files, subcaches, images) and its text.
FormatReport dsc_report(const dyld_cache::Cache& c, const DscDetails& details);

// `dsc images PATH [--exports]`: with exports, each image's export names (JSON) or one line per
// export (text).
Json dsc_images_document(const std::string& path, const dyld_cache::Cache& c, const DscDetails& details, bool exports,
                         const Diagnostics& diags);
std::string dsc_images_text(const std::string& path, const dyld_cache::Cache& c, const DscDetails& details,
                            bool exports);

// `dsc image PATH INSTALL_PATH`.
Json dsc_image_document(const std::string& path, const dyld_cache::Cache& c, const dyld_cache::Image& img,
                        const dyld_cache::ImageDetail& d, const Diagnostics& diags);
std::string dsc_image_text(const std::string& path, const dyld_cache::Cache& c, const dyld_cache::Image& img,
                           const dyld_cache::ImageDetail& d);

// `dsc addr PATH ADDRESS`: where the address lies (Cache::locate) and which image holds it.
Json dsc_addr_document(const dyld_cache::Cache& c, uint64_t addr, const dyld_cache::Location& l,
                       const dyld_cache::AddressOwner& owner, const Diagnostics& diags);
std::string dsc_addr_text(const dyld_cache::Cache& c, uint64_t addr, const dyld_cache::Location& l,
                          const dyld_cache::AddressOwner& owner);

// One row of `upscope ls CACHE`: what was read of image Cache::images[image].
struct DscListRow {
  size_t image = 0;
  std::optional<uint32_t> version;
  std::optional<dyld_cache::Uuid> macho_uuid;  // LC_UUID, for images imagesText gives none
  dyld_cache::CodeHash code;
  std::string content;                         // the --hash digest ("" when not read)
  std::optional<Error> error;
};

struct DscListing {
  std::string image;                // the path as given
  bool code_hash = true;            // the code hash columns
  std::optional<HashKind> hash;     // the --hash column
  std::vector<DscListRow> rows;     // in listing order
};

Json dsc_ls_document(const dyld_cache::Cache& c, const DscListing& ls, const Diagnostics& diags);
std::string dsc_ls_text(const dyld_cache::Cache& c, const DscListing& ls);

}  // namespace upscope::reports
