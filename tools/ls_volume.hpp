// The one file-system lister behind `upscope ls IMAGE[:/path]`: APFS (ls_filesystem.cpp) and HFS+
// (ls_hfs.cpp) only say what a file of their volume is; describing files on the workers and hashing
// them with a progress bar while dropping hashed pages are done here once, the table or the JSON
// rows by reports/volume_listing.hpp.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/hash.hpp"
#include "inspect/source.hpp"
#include "inspect/thread_pool.hpp"
#include "reports/volume_listing.hpp"

namespace upscope::cli {

using reports::VolumeRow;

// The files of one volume (or of one path in it), by index.
struct VolumeFiles {
  std::string name;  // the volume's name, for the progress bar
  size_t count = 0;
  std::function<VolumeRow(size_t)> describe;
  std::function<uint64_t(size_t)> stored_size;  // bytes describe() may read (batches the workers)
  std::function<Result<SourcePtr>(size_t)> open_data;
  const Source* backing = nullptr;  // the volume's bytes: hashed pages dropped every 64 MiB
};

// Every file described (on the pool, in order) and, with `hk`, every regular file hashed.
std::vector<VolumeRow> list_volume_files(const VolumeFiles& files, std::optional<HashKind> hk, ThreadPool& pool);

}  // namespace upscope::cli
