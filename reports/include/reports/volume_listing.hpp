// `upscope ls IMAGE[:/path]` of a file-system volume, APFS ("apfs-ls") or HFS+ ("hfs-ls"): one row per
// file (id, mode, owner, size, compression, optional hash, xattrs), as a text table or as JSON.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apfs/volume.hpp"
#include "hfs/volume.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/hash.hpp"
#include "reports/json.hpp"

namespace upscope::reports {

// One file as `ls` shows it, whatever the file system.
struct VolumeRow {
  std::string path;
  uint64_t id = 0;  // the table's first column: inode (APFS), catalog node id (HFS+)
  std::string mode;  // six octal digits
  uint64_t uid = 0, gid = 0, nlink = 0;
  bool directory = false, regular = false, symlink = false;
  uint64_t size = 0;              // logical (decompressed) size
  std::string compression = "-";  // "method(type)"
  Json head;                      // the JSON row up to "compression", in the reader's own terms
  std::string target;             // symlink
  std::string hash;
  std::vector<std::pair<std::string, uint64_t>> xattrs;
  std::optional<Error> error;     // the file could not be read whole
};

// A row's JSON head from the reader's facts about the file (`size` logical; `compression` when
// the file is decmpfs-compressed and its header could be read).
Json apfs_row_head(const apfs::FileEntry& e, const std::optional<apfs::Compression>& compression, uint64_t size);
Json hfs_row_head(const hfs::FileEntry& e, const std::optional<hfs::Compression>& compression, uint64_t size);

// One listed volume: what the reader says of it (its VolumeInfo's JSON), the path listed and its rows.
struct ListedVolume {
  Json info;
  std::string heading;  // text, when the listing names volumes: "volume 0 'Data' (UUID)"
  std::string path;
  std::vector<VolumeRow> rows;
};

struct VolumeListing {
  std::string document;  // "apfs-ls", "hfs-ls"
  std::string image, located;
  std::optional<std::string> container;  // the APFS container's UUID
  std::string id_header;                 // "INODE", "CNID"
  std::optional<HashKind> hash;
  bool headings = false;                 // several volumes were asked for: each table is headed
  std::vector<ListedVolume> volumes;
};

// Each row's error, named by `image`, into `diags`; true when any row had one.
bool add_row_errors(const std::vector<VolumeRow>& rows, const std::string& image, Diagnostics& diags);

Json volume_listing_document(const VolumeListing& l, const Diagnostics& diags);
std::string volume_listing_text(const VolumeListing& l);

}  // namespace upscope::reports
