// Renderers for the build model: inventories, diffs and the RSR verdict, as JSON and text.
#pragma once

#include <string>
#include <vector>

#include "analysis/diff.hpp"
#include "analysis/model.hpp"
#include "analysis/update_changes.hpp"
#include "advisory/advisory.hpp"
#include "analysis/verdict.hpp"
#include "reports/json.hpp"

namespace upscope::reports {

Json to_json(const Component& c);
Json to_json(const Change& c);
Json to_json(const BuildDiff& d);
Json to_json(const Verdict& v);
Json to_json(const NotAnalysed& n);
// A path an update package touches, with its placement (`ls UPDATE --json` files[]).
Json to_json(const PlacedPath& t);

std::string inventory_text(const BuildInventory& inv);
// `all`: list relink-only changes too (folded by default: counted on one line).
std::string diff_text(const BuildInventory& a, const BuildInventory& b, const BuildDiff& d, bool all = false);
std::string verdict_text(const Verdict& v, const BuildDiff& d);
// What changed inside a modified component, for people: class details (a section and how many bytes,
// an entitlement, a linked library) and function changes ("_main: 2 instructions changed; calls
// _strlcpy instead of _strcpy"). At most `max_functions` functions (0: all).
std::vector<std::string> change_detail_lines(const Change& c, size_t max_functions = 0);
// "calls _strlcpy instead of _strcpy", "no longer references \"x\"": a function's call differences.
std::vector<std::string> call_differences(const FunctionChange& f);
// The name people read: the demangled C++ name when there is one, else the symbol.
std::string function_display(const FunctionChange& f);
// "macOS 13.3.1 (a) 22E772610a" or the source path when the tree had no SystemVersion.plist.
std::string build_label(const BuildInventory& inv);

// `upscope inventory BUILD --json` ("inventory"), dumped: written component by component, never
// as one tree (a system volume's 100,000 components took twice their own memory as a tree).
std::string inventory_json(const BuildInventory& inv);

// The "diff" and "verdict" documents of two builds (upscope diff/verdict and catalog diff/verdict).
Json builds_json(const BuildInventory& old_build, const BuildInventory& new_build);
Json diff_document(const BuildInventory& old_build, const BuildInventory& new_build, const BuildDiff& d);
Json verdict_document(const BuildInventory& old_build, const BuildInventory& new_build, const Verdict& v,
                      const BuildDiff& d);
// The "verdict" document of `upscope verdict --advisory PAGE`: the advisory's entries instead of builds.
Json advisory_verdict_document(const std::string& source, const advisory::Advisory& adv, const Verdict& v,
                               const BuildDiff& d);
std::string advisory_verdict_text(const std::string& source, const advisory::Advisory& adv, const Verdict& v,
                                  const BuildDiff& d);

}  // namespace upscope::reports
