// Documents of `upscope ls` for a BOM file ("bom-ls") and an installer package ("pkg-ls"): the files
// each Bom describes (TYPE MODE UID GID SIZE CHECKSUM PATH) and, for packages, the entries of Payload
// archives, under a path prefix.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bom/bom.hpp"
#include "inspect/diagnostics.hpp"
#include "pkg/pkg.hpp"
#include "reports/json.hpp"

namespace upscope::reports {

// Whether a listed path ("./System/Library" in a BOM, "System/Library" in a payload) lies at or under
// `prefix` ("/System"; "" or "/" lists everything).
bool listed_under(std::string_view path, std::string_view prefix);

Json bom_ls_document(const std::string& source, const std::string& prefix, const bom::Bom& b);
std::string bom_ls_text(const bom::Bom& b, const std::string& prefix);

// One component of a package as `ls` read it.
struct PkgComponentListing {
  std::string name;
  std::string bom_member;               // "" when the component has no Bom
  std::optional<bom::Bom> bom;          // unset when absent or unreadable (a diagnostic says why)
  std::string payload_member;           // "" when its Payload was not listed
  std::optional<pkg::Listing> payload;  // unset when not listed or unreadable
};

Json pkg_ls_document(const std::string& source, pkg::Kind kind, const std::string& prefix,
                     const std::vector<PkgComponentListing>& components, const Diagnostics& diags);
// One table per Bom and per listed Payload, each under its member's name when there are several.
std::string pkg_ls_text(const std::string& prefix, const std::vector<PkgComponentListing>& components);

}  // namespace upscope::reports
