// What the package writes, patches or removes on the device, and that set as a build diff so the
// RSR verdict (libinspect decide_rsr) can be read off it.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "ota/ota.hpp"
#include "ota/paths.hpp"

namespace upscope::ota {

std::vector<TouchedPath> touched_paths(const Package& p) {
  std::vector<TouchedPath> out;
  for (const auto& it : p.items) {
    if (it.target.empty()) continue;
    TouchedPath t;
    t.path = it.target;
    t.source = it.path;
    t.size = it.patched_size.value_or(0);
    t.output_sha1 = it.output_sha1;
    switch (it.role) {
      case Role::kFilePatch:
      case Role::kBasesystemPatch: t.action = Action::kPatch; break;
      case Role::kImagePatch: t.action = Action::kPatchImage; break;
      case Role::kBoot:
        t.action = Action::kWrite;
        t.size = it.size;
        break;
      default: continue;
    }
    t.placement = place_target(t.path, it.role);
    out.push_back(std::move(t));
  }
  for (const auto& pl : p.payloads) {
    for (const auto& e : pl.entries) {
      TouchedPath t;
      if (e.op == 'R') t.action = Action::kRemove;
      else if (e.op == 'P') t.action = Action::kPatch;
      else if (e.op == 'M' || e.op == 'O') continue;  // manifests and fix-ups describe, they do not write
      else if (e.type == 'D' || e.type == 'M') continue;
      else t.action = Action::kWrite;
      if (e.path.empty()) continue;
      t.path = "/" + e.path;
      t.size = e.size;
      t.source = pl.item;
      t.hash = e.hash;
      t.placement = place_target(t.path, Role::kPayload);
      out.push_back(std::move(t));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const TouchedPath& a, const TouchedPath& b) { return a.path < b.path; });
  return out;
}

BuildDiff as_diff(const Package& p, const std::vector<TouchedPath>& touched) {
  BuildDiff d;
  std::set<std::string> seen;
  for (const auto& t : touched) {
    if (!seen.insert(t.path).second) continue;  // written by two items: one change
    Change c;
    c.id = t.path;
    c.kind = t.action == Action::kRemove ? ChangeKind::kRemoved : ChangeKind::kModified;
    c.component_kind = t.placement.kind;
    c.space = t.placement.space;
    c.location = t.placement.location;
    c.evidence.push_back({to_string(t.action), "", t.source});
    if (!t.output_sha1.empty()) c.evidence.push_back({"output_sha1", "", t.output_sha1});
    if (t.size) c.evidence.push_back({"size", "", std::to_string(t.size)});
    d.changes.push_back(std::move(c));
  }
  d.not_analysed = p.not_analysed;
  return d;
}

}  // namespace upscope::ota
