// What the package writes, patches or removes on the device: facts read off its items and payload
// entries (analysis/update_changes.hpp places them and reads the verdict off them).
#include <algorithm>

#include "ota/ota.hpp"

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
      out.push_back(std::move(t));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const TouchedPath& a, const TouchedPath& b) { return a.path < b.path; });
  return out;
}

}  // namespace upscope::ota
