// An APFS volume's file-system tree: inodes, directory records, xattrs, extents, snapshots, and
// file content as a Source (extents read lazily, holes as zeros, decmpfs decoded on demand).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apfs/btree.hpp"
#include "apfs/container.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope::apfs {

struct Dstream {
  uint64_t size = 0;
  uint64_t alloced_size = 0;
};

struct Inode {
  uint64_t id = 0;
  uint64_t parent_id = 0;
  uint64_t private_id = 0;  // key of the data stream's extents
  int64_t create_time = 0, mod_time = 0, change_time = 0, access_time = 0;  // ns since 1970
  uint64_t internal_flags = 0;
  int32_t nchildren_or_nlink = 0;
  uint32_t bsd_flags = 0;
  uint32_t uid = 0, gid = 0;
  uint16_t mode = 0;
  uint64_t uncompressed_size = 0;
  std::string name;  // INO_EXT_TYPE_NAME (the primary link's name)
  std::optional<Dstream> dstream;
  uint64_t sparse_bytes = 0;
  uint32_t rdev = 0;

  bool is_dir() const { return (mode & 0170000) == 0040000; }
  bool is_reg() const { return (mode & 0170000) == 0100000; }
  bool is_symlink() const { return (mode & 0170000) == 0120000; }
  bool compressed() const;  // UF_COMPRESSED: the data is in a decmpfs xattr or resource fork
  uint32_t nlink() const { return is_dir() ? 1 : static_cast<uint32_t>(nchildren_or_nlink); }
};

struct DirEntry {
  std::string name;
  uint64_t file_id = 0;
  int64_t date_added = 0;
  uint8_t type = 0;  // DT_*: 4 dir, 8 reg, 10 lnk
};

struct Xattr {
  std::string name;
  uint16_t flags = 0;
  std::vector<uint8_t> embedded;  // XATTR_DATA_EMBEDDED
  uint64_t stream_oid = 0;        // XATTR_DATA_STREAM: the extents' key
  Dstream stream;
  bool is_stream() const;  // XATTR_DATA_STREAM: the value lies in extents, not in the record
  uint64_t size() const { return is_stream() ? stream.size : embedded.size(); }
};

struct Extent {
  uint64_t logical = 0;  // byte offset in the stream
  uint64_t length = 0;   // bytes
  uint64_t paddr = 0;    // 0 = hole
  uint8_t flags = 0;
};

struct Compression {
  uint32_t type = 0;               // decmpfs compression_type
  uint64_t uncompressed_size = 0;
  std::string method;              // "zlib", "lzvn", "lzfse", "none"
  bool in_resource_fork = false;
};

struct Snapshot {
  uint64_t xid = 0;
  std::string name;
  uint64_t sblock_oid = 0;
  int64_t create_time = 0, change_time = 0;
  uint64_t inum = 0;
  uint32_t flags = 0;
};

// One file found by walk(): its path inside the volume and its inode.
struct FileEntry {
  std::string path;  // "/a_directory/a_file"
  Inode inode;
  uint8_t dtype = 0;
};

class Volume : public std::enable_shared_from_this<Volume> {
 public:
  static Result<std::shared_ptr<const Volume>> open(std::shared_ptr<const Container> c, const VolumeInfo& info);

  const VolumeInfo& info() const { return info_; }
  const Container& container() const { return *c_; }
  std::string display_name() const;  // "image.raw[volume 'apfs_test']"

  Result<Inode> inode(uint64_t id) const;
  Result<std::vector<DirEntry>> list_dir(uint64_t dir_id) const;
  Result<std::vector<Xattr>> xattrs(uint64_t id) const;
  // Data extents of a stream (FILE_EXTENT records, or the FEXT tree on sealed volumes), in order.
  Result<std::vector<Extent>> extents(uint64_t private_id) const;
  // Hard-link names: (parent, name) for every SIBLING_LINK of an inode.
  Result<std::vector<std::pair<uint64_t, std::string>>> sibling_links(uint64_t id) const;
  // Inode id for an absolute path ("/" = root). Symlinks are not followed.
  Result<uint64_t> lookup(std::string_view path) const;

  // File content (data fork) as a Source: decmpfs-decoded when UF_COMPRESSED.
  Result<SourcePtr> open_data(const Inode& ino, const std::string& name = {}) const;
  // The raw data fork, ignoring compression.
  Result<SourcePtr> open_stream(uint64_t private_id, uint64_t size, const std::string& name) const;
  Result<SourcePtr> open_xattr(const Inode& ino, const Xattr& x) const;
  Result<std::string> symlink_target(const Inode& ino) const;
  // decmpfs header of a compressed inode (nullopt when not compressed).
  Result<std::optional<Compression>> compression(const Inode& ino) const;
  // The same from the inode's xattrs when the caller has read them already (one B-tree scan less).
  Result<std::optional<Compression>> compression(const Inode& ino, const std::vector<Xattr>& xs) const;

  Result<std::vector<Snapshot>> snapshots() const;

  // Depth-first walk from `start` (a directory or file id); `path` names start. Directories are
  // visited once (cycle guard) and no deeper than max_depth; a bad record is a diagnostic.
  using WalkVisitor = std::function<bool(const FileEntry&)>;
  Status walk(uint64_t start, const std::string& path, const WalkVisitor& visit, Diagnostics& diags,
              unsigned max_depth = 256) const;

  // A best guess at a cryptex role ("os", "app") from what the volume holds; "" when none.
  // Unverified: no cryptex sample exists here.
  std::string guess_cryptex_role() const;

 private:
  Volume() = default;
  // All records of (oid, type), in key order.
  Status records(uint64_t oid, uint8_t type, const EntryVisitor& visit) const;
  const BTree& fs_tree() const { return *fs_; }

  std::shared_ptr<const Container> c_;
  VolumeInfo info_;
  OmapRef omap_;
  std::optional<TreeRef> fext_;
  std::string label_;        // "volume 'NAME'", for messages
  std::optional<BTree> fs_;  // made once: every lookup of a file's records starts here
};

}  // namespace upscope::apfs
