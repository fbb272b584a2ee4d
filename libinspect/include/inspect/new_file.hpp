// Writing extracted bytes to a file that must not exist yet: the one place extractors create files.
#pragma once

#include <string>

#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope {

// Creates `path` with O_CREAT|O_EXCL|O_NOFOLLOW (never an existing file, never through a symlink)
// and streams `src` into it in 1 MiB pieces (or straight from memory when it is contiguous).
Status write_new_file(const Source& src, const std::string& path, unsigned mode = 0644);

}  // namespace upscope
