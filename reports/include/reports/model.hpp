// Renderers for the build model: inventories, diffs and the RSR verdict, as JSON and text.
#pragma once

#include <string>

#include "inspect/diff.hpp"
#include "inspect/model.hpp"
#include "inspect/verdict.hpp"
#include "reports/json.hpp"

namespace upscope::reports {

Json to_json(const Component& c);
Json to_json(const BuildInventory& inv);
Json to_json(const Change& c);
Json to_json(const BuildDiff& d);
Json to_json(const Verdict& v);
Json to_json(const NotAnalysed& n);

std::string inventory_text(const BuildInventory& inv);
std::string diff_text(const BuildInventory& a, const BuildInventory& b, const BuildDiff& d);
std::string verdict_text(const Verdict& v, const BuildDiff& d);
// "macOS 13.3.1 (a) 22E772610a" or the source path when the tree had no SystemVersion.plist.
std::string build_label(const BuildInventory& inv);

}  // namespace upscope::reports
