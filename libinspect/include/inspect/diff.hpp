// The generic diff of two build inventories: added, removed and modified components with the
// evidence that decided each, plus symbol and function changes where the readers gave them.
#pragma once

#include <string>
#include <vector>

#include "inspect/model.hpp"

namespace upscope {

enum class ChangeKind { kAdded, kRemoved, kModified };
const char* to_string(ChangeKind k);

struct Evidence {
  std::string field;  // "code_hash", "sha256", "uuid", "version", "size"
  std::string old_value;
  std::string new_value;
};

struct Change {
  std::string id;
  ChangeKind kind = ChangeKind::kModified;
  ComponentKind component_kind = ComponentKind::kFile;
  Space space = Space::kData;
  Location location = Location::kUnknown;
  std::vector<Evidence> evidence;
  std::vector<std::string> symbols_added, symbols_removed;
  std::vector<std::string> functions_added, functions_removed, functions_changed;
};

struct BuildDiff {
  std::vector<Change> changes;  // sorted by id
  // What either side could not read: a change could hide there.
  std::vector<NotAnalysed> not_analysed;
  bool empty() const { return changes.empty(); }
};

// Compares by stable id. A component is modified when any hash, the UUID, the version or the size
// differs; the code hash is compared first and, when both sides have one, decides alone whether
// code changed (a new build path in a string does not make code "changed").
BuildDiff diff_builds(const BuildInventory& old_build, const BuildInventory& new_build);

}  // namespace upscope
