#include "analysis/verdict.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace upscope {

const char* to_string(Eligibility e) {
  switch (e) {
    case Eligibility::kYes: return "yes";
    case Eligibility::kNo: return "no";
    case Eligibility::kUndetermined: return "undetermined";
  }
  return "?";
}

bool rsr_patchable(Location l) { return l == Location::kCryptexOs || l == Location::kCryptexApp; }

std::string where_phrase(Location l) {
  switch (l) {
    case Location::kBootKc: return "in the boot kernel collection";
    case Location::kSystemKc: return "in the system kernel collection";
    case Location::kAuxKc: return "in the auxiliary kernel collection";
    case Location::kKernelcache: return "in the kernelcache";
    case Location::kSystemVolume: return "on the sealed system volume";
    case Location::kCryptexOs: return "in the OS cryptex";
    case Location::kCryptexApp: return "in the App cryptex";
    case Location::kPreboot: return "on the Preboot volume";
    case Location::kDataVolume: return "on the Data volume";
    case Location::kUnknown: return "at an unknown location";
  }
  return "";
}

namespace {

void add_evidence(Verdict& v, const BuildDiff& diff) {
  for (const auto& id : v.deciding) {
    auto it = std::find_if(diff.changes.begin(), diff.changes.end(), [&](const Change& c) { return c.id == id; });
    if (it == diff.changes.end()) {
      for (const auto& n : diff.not_analysed)
        if (n.path == id) {
          v.evidence.push_back(fmt::format("{}: not analysed: {}", id, n.reason));
          break;
        }
      continue;
    }
    v.evidence.push_back(fmt::format("{}: {} {}", id, change_summary(*it), where_phrase(it->location)));
  }
  for (const auto& n : diff.trust_cache_notes) v.evidence.push_back("warning: " + n);
}

}  // namespace

namespace {
Verdict decide(const BuildDiff& diff);
}  // namespace

Verdict decide_rsr(const BuildDiff& diff) {
  Verdict v = decide(diff);
  add_evidence(v, diff);
  return v;
}

namespace {

// Locations are decided on bytes: every change counts, relink-only ones included (docs/placement.md §4).
Verdict decide(const BuildDiff& diff) {
  Verdict v;
  // 1. Anything an RSR cannot touch decides "no", whatever else was or was not analysed.
  std::vector<std::string> kernel, sealed, boot, elsewhere, unknown;
  for (const auto& c : diff.changes) {
    if (c.space == Space::kKernel) kernel.push_back(c.id);
    else if (c.space == Space::kBoot) boot.push_back(c.id);
    else if (c.location == Location::kSystemVolume) sealed.push_back(c.id);
    else if (c.location == Location::kUnknown) unknown.push_back(c.id);
    else if (!rsr_patchable(c.location)) elsewhere.push_back(c.id);
  }
  auto no = [&](std::vector<std::string> ids, std::string rule) {
    v.rsr_eligible = Eligibility::kNo;
    v.rule = fmt::format("{} ({} change{}); an RSR patches only the OS and App cryptexes", rule, ids.size(),
                         ids.size() == 1 ? "" : "s");
    v.deciding = std::move(ids);
    return v;
  };
  if (!kernel.empty()) return no(kernel, "kernel-space code changed (kernel or kext in a kernel collection or kernelcache)");
  if (!boot.empty()) return no(boot, "bootchain or firmware changed");
  if (!sealed.empty()) return no(sealed, "files on the sealed system volume changed");
  if (!elsewhere.empty()) return no(elsewhere, "files outside the cryptexes changed");
  // 2. What could not be placed or read may hide a change that decides: never a silent yes.
  if (!unknown.empty() || !diff.not_analysed.empty()) {
    v.rsr_eligible = Eligibility::kUndetermined;
    v.deciding = unknown;
    for (const auto& n : diff.not_analysed) v.deciding.push_back(n.path);
    v.rule = fmt::format("{} change{} of unknown location and {} input{} not analysed: they could hold a "
                         "change an RSR cannot ship",
                         unknown.size(), unknown.size() == 1 ? "" : "s", diff.not_analysed.size(),
                         diff.not_analysed.size() == 1 ? "" : "s");
    return v;
  }
  if (diff.changes.empty()) {
    v.rsr_eligible = Eligibility::kNo;
    v.rule = "no change found: there is nothing for an RSR to ship";
    return v;
  }
  v.rsr_eligible = Eligibility::kYes;
  for (const auto& c : diff.changes) v.deciding.push_back(c.id);
  v.rule = fmt::format("all {} change{} lie in the OS or App cryptex, which an RSR can patch", diff.changes.size(),
                       diff.changes.size() == 1 ? "" : "s");
  return v;
}

}  // namespace

}  // namespace upscope
