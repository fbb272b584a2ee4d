// THE placement table (placement.cpp, docs/placement.md §3): where a thing lives and in which space its
// code runs, for every way analysis meets one: a device path (inventories of trees and volumes, what an
// update package touches), an image's role in a build (IPSW members, image lists) and a component name
// as Apple writes it in a security advisory. One pattern syntax for all of them (placement_match).
#pragma once

#include <string_view>
#include <vector>

#include "analysis/model.hpp"

namespace upscope {

// What a row's pattern is matched against.
enum class Subject { kPath, kImageRole, kComponent };
const char* to_string(Subject s);  // "path", "image-role", "component"

struct PlacementRow {
  Subject subject;
  const char* pattern;  // placement_match syntax; image roles and component names have no wildcards
  Location location;
  Space space;          // kData on a path row: the analyser refines it (a Mach-O there is user code)
  ComponentKind kind;
  const char* reason;   // one line saying why, that explanations and evidence quote
  // The placement is our inference (what a name denotes, where such files are installed), not
  // Apple's documentation; `reason` then starts with "inferred:".
  bool inferred = false;
  const char* rule = nullptr;  // the rule's name in outputs when it is not the pattern
  // A cryptex root: its alternatives without "/**" are the prefixes strip_cryptex_prefix removes.
  bool cryptex_root = false;
};

// Every row in match order: first match wins within a subject.
const std::vector<PlacementRow>& placement_table();

// The one pattern syntax: alternatives separated by '|'; in each, '*' matches within one
// '/'-separated component and '**' across components; everything else is literal. Component names
// are compared without regard to case (any_case).
bool placement_match(std::string_view pattern, std::string_view s, bool any_case = false);

// The first row of `subject` whose pattern matches `s`; nullptr when none does.
const PlacementRow* find_placement(Subject subject, std::string_view s);

}  // namespace upscope
