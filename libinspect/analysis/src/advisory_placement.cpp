// An advisory entry's placement (its Impact first, then the component table) and the advisory as
// changes (analysis/advisory_placement.hpp).
#include "analysis/advisory_placement.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace upscope::advisory {

const PlacementRow* find_component(std::string_view name) { return find_placement(Subject::kComponent, name); }

bool impact_says_kernel(std::string_view impact) {
  std::string s(impact);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s.find("kernel privileges") != std::string::npos || s.find("kernel memory") != std::string::npos ||
         s.find("in the kernel") != std::string::npos;
}

Placement place(const Entry& e) {
  Placement p;
  const PlacementRow* row = find_component(e.component);
  if (impact_says_kernel(e.impact)) {
    p.placed = true;
    p.space = Space::kKernel;
    p.kind = row && row->kind == ComponentKind::kKext ? ComponentKind::kKext : ComponentKind::kKernel;
    p.location = row ? row->location : Location::kUnknown;
    p.why = "Impact names kernel privileges";
    p.source = "impact";
  } else if (row) {
    p.placed = true;
    p.space = row->space;
    p.location = row->location;
    p.kind = row->kind;
    p.why = row->reason;
    p.source = "table";
    p.inferred = row->inferred;
  }
  return p;
}

BuildDiff to_changes(const Advisory& a) {
  BuildDiff d;
  for (const auto& e : a.entries) {
    Change c;
    c.id = e.component;
    c.kind = ChangeKind::kModified;
    std::string cves;
    for (const auto& v : e.cves) cves += (cves.empty() ? "" : " ") + v;
    c.evidence.push_back({"advisory", "", fmt::format("line {}: {}", e.line, cves.empty() ? "no CVE named" : cves)});
    if (!e.impact.empty()) c.evidence.push_back({"impact", "", e.impact});
    const Placement p = place(e);
    if (!p.placed) {
      d.not_analysed.push_back({e.component, "component not in upscope's advisory table (see 'upscope verdict "
                                             "--list-components'): its location is unknown"});
      continue;
    }
    c.space = p.space;
    c.location = p.location;
    c.component_kind = p.kind;
    c.evidence.push_back({"placement", "", p.why});
    // Several entries for one component (three WebKit CVEs) are one change with all the evidence.
    auto same = std::find_if(d.changes.begin(), d.changes.end(), [&](const Change& x) { return x.id == c.id; });
    if (same == d.changes.end()) {
      d.changes.push_back(std::move(c));
    } else {
      if (c.space == Space::kKernel) {
        same->space = c.space;
        same->component_kind = c.component_kind;
      }
      for (auto& ev : c.evidence) same->evidence.push_back(std::move(ev));
    }
  }
  std::sort(d.changes.begin(), d.changes.end(), [](const Change& x, const Change& y) { return x.id < y.id; });
  return d;
}

}  // namespace upscope::advisory
