// Copying a subtree of a volume into a directory on the host. Names are sanitised ('..', '.', '/',
// NUL, empty), nothing is written outside out_dir, existing files are never overwritten and no
// path is followed through a symlink the extraction itself created.
#pragma once

#include <filesystem>
#include <string>

#include "apfs/volume.hpp"
#include "inspect/diagnostics.hpp"

namespace upscope::apfs {

struct ExtractStats {
  uint64_t files = 0, directories = 0, symlinks = 0, bytes = 0, skipped = 0;
};

// A single path component safe to create on the host ("" -> "_", ".." -> "_..", '/' and NUL -> '_').
std::string sanitize_component(const std::string& name);

// Extracts `path` (a file or directory of the volume) into out_dir (created if missing). Per-file
// failures are diagnostics; the result fails only when nothing could be started.
// `replace`: files and symlinks already in out_dir are replaced (new_file.hpp), else refused.
Result<ExtractStats> extract_tree(const Volume& volume, const std::string& path, const std::filesystem::path& out_dir,
                                  Diagnostics& diags, bool replace = false);

}  // namespace upscope::apfs
