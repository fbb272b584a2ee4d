// `upscope ls IMAGE[:/path]` of a file-system volume, APFS ("apfs-ls") or HFS+ ("hfs-ls"): one row per
// file (id, mode, owner, size, compression, optional hash, xattrs), as a text table or as JSON.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "apfs/volume.hpp"
#include "hfs/volume.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/hash.hpp"
#include "reports/json.hpp"
#include "reports/json_writer.hpp"
#include "reports/text_table.hpp"

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

// What a listing says before its volumes.
struct VolumeListing {
  std::string document;  // "apfs-ls", "hfs-ls"
  std::string image, located;
  std::optional<std::string> container;  // the APFS container's UUID
  std::string id_header;                 // "INODE", "CNID"
  std::optional<HashKind> hash;
  bool headings = false;                 // several volumes were asked for: each table is headed
};

// The JSON document of a listing ("apfs-ls", "hfs-ls"), written while its rows come so that the rows
// of a big volume are never all held: the bytes are those of the whole document dumped at once (the
// header's `volumes` are not read; begin_volume names each in turn). Rows need their `head`.
class VolumeListingJsonWriter {
 public:
  VolumeListingJsonWriter(std::ostream& out, const VolumeListing& header);
  void begin_volume(const Json& info, const std::string& path);
  void row(const VolumeRow& r);
  void end_volume();
  void finish(const Diagnostics& diags);

 private:
  void send() { out_ << w_.take(); }

  std::ostream& out_;
  std::optional<HashKind> hash_;
  JsonWriter w_;
};

// The text of a listing: a table per volume, each row turned into its cells as it comes. A table's
// columns are as wide as their widest cell, so the text is ready only after the last row.
class VolumeListingText {
 public:
  explicit VolumeListingText(const VolumeListing& header) : header_(header) {}
  // `heading` is shown when the listing has headings; `count` rows will follow.
  void begin_volume(const std::string& heading, size_t count);
  void row(const VolumeRow& r);
  std::string str() const;

 private:
  VolumeListing header_;
  std::vector<std::pair<std::string, TextTable>> tables_;  // heading, table
};

}  // namespace upscope::reports
