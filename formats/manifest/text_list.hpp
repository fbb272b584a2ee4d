// Small text helpers for the semantic readers' to_text: a dash for what is absent, lists, and
// key/value lines aligned on the longest key.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace upscope::manifest {

inline std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }
std::string joined(const std::vector<std::string>& items, const char* sep);
// One "KEY  VALUE" line per pair, keys padded to the longest (at most 48 columns), each prefixed by `indent`.
std::string aligned_pairs(const std::vector<std::pair<std::string, std::string>>& rows, const char* indent);

}  // namespace upscope::manifest
