// The files of an update package, whichever form it takes: members of a zip (read through
// zip/archive.hpp) or regular files under a directory. Internal to formats/ota.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"
#include "zip/archive.hpp"

namespace upscope::ota {

struct FileRef {
  std::string path;          // '/'-separated, relative to the package root
  uint64_t size = 0;         // uncompressed
  uint64_t stored_size = 0;
  std::string compression;   // "stored", "deflate", "method N", or "" for directory files
  const zip::Member* member = nullptr;
};

class PackageFiles {
 public:
  // A zip (by content) or a directory; `max_items` caps a directory walk.
  static Result<PackageFiles> open(const std::string& path, size_t max_items, Diagnostics& diags);
  // A zip already opened as a Source (in memory, or a member of something else).
  static Result<PackageFiles> open_zip(SourcePtr src, Diagnostics& diags);

  bool is_directory() const { return !archive_; }
  bool zip64() const { return archive_ && archive_->zip64; }
  const std::vector<FileRef>& files() const { return files_; }
  const FileRef* find(const std::string& path) const;
  bool has_prefix(const std::string& prefix) const;
  // The file's uncompressed bytes (deflated members inflated up to max_inflate).
  Result<SourcePtr> open_file(const FileRef& f, uint64_t max_inflate) const;

 private:
  PackageFiles& finish(Diagnostics& diags);  // sorts, flags duplicate names
  std::string root_;
  std::shared_ptr<zip::Archive> archive_;
  std::vector<FileRef> files_;  // sorted by path
};

}  // namespace upscope::ota
