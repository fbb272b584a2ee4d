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
#include "analysis/placement.hpp"

namespace upscope::advisory {

// The placement table's row for a component name as advisories write it (exact, any case), or nullptr.
const PlacementRow* find_component(std::string_view name);

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
