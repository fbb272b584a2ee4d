#include "analysis/classify.hpp"

#include <vector>

#include "analysis/placement.hpp"

namespace upscope {

namespace {

// The cryptex roots: the placement table's cryptex-root rows, their alternatives without "/**".
const std::vector<std::string_view>& cryptex_roots() {
  static const std::vector<std::string_view> roots = [] {
    std::vector<std::string_view> v;
    for (const auto& r : placement_table()) {
      if (!r.cryptex_root) continue;
      for (std::string_view alts = r.pattern; !alts.empty();) {
        const size_t bar = alts.find('|');
        const std::string_view alt = alts.substr(0, bar);
        if (!alt.ends_with("/**")) v.push_back(alt);
        alts = bar == std::string_view::npos ? std::string_view{} : alts.substr(bar + 1);
      }
    }
    return v;
  }();
  return roots;
}

std::string_view cryptex_root(std::string_view path) {
  for (std::string_view p : cryptex_roots())
    if (path.substr(0, p.size()) == p && (path.size() == p.size() || path[p.size()] == '/')) return p;
  return {};
}

}  // namespace

std::string strip_cryptex_prefix(std::string_view path) {
  std::string_view root = cryptex_root(path);
  std::string out(path.substr(root.size()));
  return out.empty() ? "/" : out;
}

Placement classify_path(std::string_view path) {
  Placement pl;
  const PlacementRow* row = find_placement(Subject::kPath, path);
  if (!row) {
    pl.rule = "no rule matched";
    return pl;
  }
  pl.location = row->location;
  pl.space = row->space;
  pl.kind = row->kind;
  pl.rule = row->rule ? row->rule : row->pattern;
  pl.reason = row->reason;
  return pl;
}

}  // namespace upscope
