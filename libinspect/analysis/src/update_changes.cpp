// Placement of what an update package touches, and that set as a build diff (update_changes.hpp).
#include "analysis/update_changes.hpp"

#include <set>

namespace upscope {

using ota::Role;

Placement place_touched(const ota::TouchedPath& t) {
  if (t.role == Role::kBasesystemPatch) {
    Placement p;
    p.location = Location::kUnknown;
    p.space = Space::kBoot;
    p.kind = ComponentKind::kFirmware;
    p.rule = "recovery BaseSystem image (basesystem_patches/)";
    return p;
  }
  Placement p = classify_path(t.path);
  if (t.role == Role::kImagePatch && p.kind != ComponentKind::kCryptexImage) {
    // Rosetta and other cryptexes: not known to be RSR-patchable, so never placed in the OS/App ones.
    p.location = Location::kUnknown;
    p.space = Space::kUser;
    p.kind = ComponentKind::kCryptexImage;
    p.rule = "cryptex image of a kind other than OS or App";
  }
  return p;
}

std::vector<PlacedPath> placed_touched_paths(const ota::Package& p) {
  std::vector<PlacedPath> out;
  for (auto& t : ota::touched_paths(p)) {
    PlacedPath pp{std::move(t), {}};
    pp.placement = place_touched(pp);
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
