// Placement of what an update package touches, and that set as a build diff (update_changes.hpp).
#include "analysis/update_changes.hpp"

#include <set>

namespace upscope {

std::vector<PlacedPath> placed_touched_paths(const ota::Package& p) {
  std::vector<PlacedPath> out;
  for (auto& t : ota::touched_paths(p)) {
    PlacedPath pp{std::move(t), {}};
    pp.placement = classify_path(pp.path);
    out.push_back(std::move(pp));
  }
  return out;
}

BuildDiff update_changes(const ota::Package& p, const std::vector<PlacedPath>& touched) {
  BuildDiff d;
  std::set<std::string> seen;
  for (const auto& t : touched) {
    if (!seen.insert(t.path).second) continue;  // written by two items: one change
    Change c;
    c.id = t.path;
    c.kind = t.action == ota::Action::kRemove ? ChangeKind::kRemoved : ChangeKind::kModified;
    c.component_kind = t.placement.kind;
    c.space = t.placement.space;
    c.location = t.placement.location;
    c.evidence.push_back({ota::to_string(t.action), "", t.source});
    if (!t.output_sha1.empty()) c.evidence.push_back({"output_sha1", "", t.output_sha1});
    if (t.size) c.evidence.push_back({"size", "", std::to_string(t.size)});
    d.changes.push_back(std::move(c));
  }
  d.not_analysed = p.not_analysed;
  return d;
}

}  // namespace upscope
