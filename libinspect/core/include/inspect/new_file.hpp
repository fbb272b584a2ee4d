// Writing extracted entries: the one place extractors create files, directories and symlinks.
#pragma once

#include <string>

#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope {

// A file or symlink at `path` is removed (the link itself, never what it points to); a directory
// stays. Whether something was removed.
bool remove_non_directory(const std::string& path);

// Creates `path` with O_CREAT|O_EXCL|O_NOFOLLOW (never through a symlink) and streams `src` into it
// in 1 MiB pieces (or straight from memory when it is contiguous). An existing file is an error
// ("exists; not overwritten"), unless `replace`: then a file or symlink there is removed first (a
// directory never is), so a replaced symlink is not written through either.
Status write_new_file(const Source& src, const std::string& path, unsigned mode = 0644, bool replace = false);

// `path` as a directory: created (0755), or kept when a real directory is already there; an existing
// non-directory (a file, a symlink) is an error, so nothing is ever written through it.
// Rules: "mkdir failed: <reason>", "exists and is not a directory; skipped".
Status ensure_directory(const std::string& path);

// A symlink at `path` holding `target` (never followed here). Rule: "symlink failed: <reason>";
// `replace` as for write_new_file.
Status create_symlink(const std::string& target, const std::string& path, bool replace = false);

}  // namespace upscope
