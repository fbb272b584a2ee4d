// The one file-system lister behind `upscope ls IMAGE[:/path]`: APFS (ls_filesystem.cpp) and HFS+
// (ls_hfs.cpp) only say what a file of their volume is; describing files on the workers, hashing them
// with a progress bar while dropping hashed pages, and handing each row on as soon as it is complete
// are done here once. The table or the JSON document is rendered by reports/volume_listing.hpp.
#pragma once

#include <functional>
#include <memory>
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
  // Optional: where a file's data lies, roughly (files are hashed in this order, then listed in
  // theirs): a disk image decodes each of its chunks once when the volume is read front to back.
  std::function<uint64_t(size_t)> place;
  const Source* backing = nullptr;  // the volume's bytes: hashed pages dropped every 64 MiB
};

// Every file described (on the pool) and, with `hk`, every regular file hashed. Each row goes to
// `sink` in order as soon as it is complete, one at a time, from whichever thread completed it.
void list_volume_files(const VolumeFiles& files, std::optional<HashKind> hk, ThreadPool& pool,
                       const std::function<void(size_t i, VolumeRow row)>& sink);

// Where a listing's rows go. JSON is written row by row, so a volume's rows are never all held; a
// text table is printed at the end, its columns being as wide as their widest cell.
class ListingOutput {
 public:
  // JSON output is opened here; when it cannot be, the error is printed and ok() is false.
  ListingOutput(const Context& ctx, reports::VolumeListing header, Diagnostics& diags);
  bool ok() const { return !out_ || out_->ok(); }
  // `count` rows will follow.
  void begin_volume(const reports::Json& info, const std::string& heading, const std::string& path, size_t count);
  // A row's error goes into the diagnostics. `row.head` is needed for JSON only.
  void row(VolumeRow row);
  void end_volume();
  // Diagnostics to stderr, then the end of the document or the table: the command's exit code,
  // given `rc` so far.
  int finish(int rc);

 private:
  const Context& ctx_;
  std::string image_;
  Diagnostics& diags_;
  std::unique_ptr<Output> out_;  // JSON only
  std::unique_ptr<reports::VolumeListingJsonWriter> json_;
  std::unique_ptr<reports::VolumeListingText> text_;  // otherwise
  bool row_errors_ = false;
};

}  // namespace upscope::cli
