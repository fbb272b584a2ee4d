// The one file-system lister behind `upscope ls IMAGE[:/path]`: APFS (ls_filesystem.cpp) and HFS+
// (ls_hfs.cpp) only say what a file of their volume is; describing files on the workers, hashing
// them with a progress bar while dropping hashed pages, and writing the table or the JSON rows are
// done here once.
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
#include "reports/json.hpp"

namespace upscope::cli {

// One file as `ls` shows it, whatever the file system.
struct VolumeRow {
  std::string path;
  uint64_t id = 0;  // the TABLE's first column: inode (APFS), catalog node id (HFS+)
  std::string mode;  // six octal digits
  uint64_t uid = 0, gid = 0, nlink = 0;
  bool directory = false, regular = false, symlink = false;
  uint64_t size = 0;              // logical (decompressed) size
  std::string compression = "-";  // "method(type)"
  reports::Json head;             // the JSON row up to "compression", in the reader's own terms
  std::string target;             // symlink
  std::string hash;
  std::vector<std::pair<std::string, uint64_t>> xattrs;
  std::optional<Error> error;     // the file could not be read whole
};

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

// The rows as a text table (first column `id_header`) or as JSON rows; a row's error goes to `diags`
// (named by `image`) and makes `had_errors` true.
struct RenderedRows {
  std::string table;
  reports::Json json = reports::Json::array();
  bool had_errors = false;
};
RenderedRows render_volume_rows(const std::vector<VolumeRow>& rows, const char* id_header, std::optional<HashKind> hk,
                                bool json, Diagnostics& diags, const std::string& image);

}  // namespace upscope::cli
