// The RSR verdict (docs/placement.md §4): yes iff there is at least one change and every change lies in a
// cryptex (OS or App); no if any change is in kernel space, on the sealed system volume, or in the
// bootchain/firmware; undetermined when something that could decide it was not analysed. Never a
// silent yes.
#pragma once

#include <string>
#include <vector>

#include "analysis/diff.hpp"

namespace upscope {

enum class Eligibility { kYes, kNo, kUndetermined };
const char* to_string(Eligibility e);  // "yes", "no", "undetermined"

struct Verdict {
  Eligibility rsr_eligible = Eligibility::kUndetermined;
  std::string rule;                 // the rule that decided, in words
  std::vector<std::string> deciding;  // ids of the changes (or not-analysed paths) behind it
  // One line per deciding change, naming its class and where it lies: "/usr/bin/hello: data changed
  // (__TEXT,__cstring, 1 byte) on the sealed system volume".
  std::vector<std::string> evidence;
};

Verdict decide_rsr(const BuildDiff& diff);

// Whether a change at this location could ship in an RSR (the two cryptexes only).
bool rsr_patchable(Location l);

// "on the sealed system volume", "in the boot kernel collection", "in the OS cryptex" ...
std::string where_phrase(Location l);

}  // namespace upscope
