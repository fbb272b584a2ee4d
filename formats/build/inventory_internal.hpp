// Pieces of the inventory builder shared by its source files (not part of the public API).
#pragma once

#include <string>
#include <vector>

#include "build/inventory.hpp"
#include "inspect/classify.hpp"
#include "inspect/progress.hpp"
#include "inspect/source.hpp"

namespace upscope::build {

struct FileResult {
  std::vector<Component> components;
  std::vector<NotAnalysed> not_analysed;
};

// One file of a build, found at `rel` (absolute within the system root): hashed, identified and
// read by the reader for its format. `depth` counts enclosing images (bounded nesting).
FileResult read_source(const std::string& rel, SourcePtr src, const InventoryOptions& opt, Progress* progress,
                       unsigned depth);

// A cryptex disk image (os.dmg, app.dmg...): every file of its volumes becomes a component placed
// under the cryptex's graft point, so a dylib in os.dmg is diffed like one in /System/Cryptexes/OS.
// What cannot be read goes to out.not_analysed, which makes a verdict undetermined, never "yes".
void expand_cryptex_image(const std::string& rel, const SourcePtr& src, const Placement& pl,
                          const InventoryOptions& opt, unsigned depth, FileResult& out);

}  // namespace upscope::build
