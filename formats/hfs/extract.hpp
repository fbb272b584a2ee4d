// Copying a file or folder of an HFS+ volume into a directory on the host. Names are sanitised,
// nothing is written outside out_dir, existing files are never overwritten, and nothing is written
// below a directory this run did not create or verify (so a symlink it made is never followed).
#pragma once

#include <filesystem>
#include <string>

#include "hfs/volume.hpp"
#include "inspect/diagnostics.hpp"

namespace upscope::hfs {

struct ExtractStats {
  uint64_t files = 0, directories = 0, symlinks = 0, bytes = 0, skipped = 0;
};

// `replace`: files and symlinks already in out_dir are replaced (new_file.hpp), else refused.
Result<ExtractStats> extract_tree(const Volume& volume, const std::string& path, const std::filesystem::path& out_dir,
                                  Diagnostics& diags, bool replace = false);

}  // namespace upscope::hfs
