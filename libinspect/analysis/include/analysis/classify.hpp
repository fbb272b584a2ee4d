// Where a path lives and in which space its code runs: the path rows of the one placement table
// (placement.hpp), so no reader scatters its own ifs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "analysis/model.hpp"

namespace upscope {

struct Placement {
  Location location = Location::kUnknown;
  Space space = Space::kData;
  ComponentKind kind = ComponentKind::kFile;
  std::string rule;    // the table row that matched (its pattern or name), for explanations
  std::string reason;  // that row's one-line reason
};

// `path` is absolute within a macOS/iOS root ("/System/Library/Kernels/kernel"). Cryptex and
// Preboot prefixes decide the location and are stripped before the rest of the table applies.
Placement classify_path(std::string_view path);

// The path with any cryptex/Preboot prefix removed: the install path a dylib is known by.
std::string strip_cryptex_prefix(std::string_view path);

}  // namespace upscope
