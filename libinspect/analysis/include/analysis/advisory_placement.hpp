// Where the components an advisory names live (the shipped component table), and an advisory as
// the changes the verdict rule reads. The reader (formats/advisory) reports entries; this places them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "advisory/advisory.hpp"
#include "analysis/diff.hpp"
#include "analysis/model.hpp"

namespace upscope::advisory {

// A row of the shipped component table.
struct ComponentRow {
  const char* name;      // as Apple names it in advisories (matched case-insensitively)
  Location location;
  Space space;
  ComponentKind kind;
  const char* why;       // where it lives, for explanations
  // The placement is our inference (where the component's files are found on a macOS 13+/iOS 16+
  // system, or what the name denotes), not Apple's documentation of where it lives; `why` says so.
  bool inferred = false;
};
const std::vector<ComponentRow>& component_table();
const ComponentRow* find_component(std::string_view name);

// Whether an Impact line says the code runs in the kernel ("with kernel privileges").
bool impact_says_kernel(std::string_view impact);

// Where an entry's component is placed and why: by its Impact (kernel privileges) first, else by the
// table; `placed` false when neither knows (the verdict is then undetermined).
struct Placement {
  bool placed = false;
  Location location = Location::kUnknown;
  Space space = Space::kUser;
  ComponentKind kind = ComponentKind::kFile;
  std::string why;
  std::string source;  // "impact", "table", "" (not placed)
  bool inferred = false;
};
Placement place(const Entry& e);

// The advisory for `upscope inspect`: its entries with their placement.
nlohmann::ordered_json to_json(const Advisory& a);
std::string to_text(const Advisory& a);

// The advisory as the changes the verdict rule reads: one modified component per entry, placed
// by the table; Impact lines naming kernel privileges are evidence of kernel space; a component
// the table does not know goes to not_analysed (so it can never give a silent "yes").
BuildDiff to_changes(const Advisory& a);

}  // namespace upscope::advisory
