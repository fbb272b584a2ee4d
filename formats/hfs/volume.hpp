// An HFS+ / HFSX volume: volume header (or an HFS wrapper around one), the catalog, extents-overflow
// and attributes B-trees, forks as Sources (extents checked against the volume), hard links,
// symlinks and decmpfs-compressed files. The journal is noted, never replayed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hfs/records.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope::hfs {

class BTree;

// One catalog folder or file record with its key.
struct CatalogEntry {
  uint32_t parent_id = 0;
  std::u16string name16;  // the key's name, as stored
  std::string name;       // UTF-8 (':' shown as stored; '/' in HFS names stays '/')
  uint16_t record_type = 0;
  uint16_t flags = 0;
  uint32_t id = 0;        // CNID
  uint32_t valence = 0;   // folders: number of children
  uint32_t create_date = 0, content_mod_date = 0, attribute_mod_date = 0, access_date = 0, backup_date = 0;
  uint32_t owner_id = 0, group_id = 0;
  uint8_t admin_flags = 0, owner_flags = 0;
  uint16_t mode = 0;
  uint32_t special = 0;   // iNodeNum (hard link), linkCount (iNode file), rawDevice
  uint32_t file_type = 0, creator = 0;
  uint32_t text_encoding = 0;
  Fork data, rsrc;
  uint64_t record_offset = 0;  // of the record in the catalog file, for messages

  bool is_folder() const;
  bool is_file() const;
  bool is_hard_link() const;
  bool is_dir_link() const;
  bool is_symlink() const;
  // A regular file: not a folder or a symlink, and its (effective) mode says so.
  bool is_regular() const;
  bool compressed() const { return (owner_flags & 0x20) != 0; }  // UF_COMPRESSED
  // Hard links to an iNode file (its link count), else 1.
  uint32_t link_count() const;
  // Mode with the type bits filled in when the BSD info was never set (mode 0).
  uint16_t effective_mode() const;
};

struct Xattr {
  std::string name;
  uint32_t record_type = 0;        // kHFSPlusAttrInlineData or kHFSPlusAttrForkData (structs.hpp)
  std::vector<uint8_t> inline_data;
  Fork fork;            // fork data attributes
  std::vector<Extent> extents;  // fork data: the record's extents plus kHFSPlusAttrExtents records
  uint64_t size() const;
};

struct VolumeInfo {
  std::string how;        // "hfs+", "hfsx", "hfs+ in an hfs wrapper"
  uint64_t offset = 0;    // of the HFS+ volume inside the given source (non-zero with a wrapper)
  VolumeHeader header;
  bool journaled = false;
  bool case_sensitive = false;  // HFSX with a binary-compare catalog
  std::string name;              // the root folder's name
  uint64_t volume_bytes = 0;     // totalBlocks * blockSize as present in the source
};

struct FileEntry {
  std::string path;         // "/a_directory/a_file"
  CatalogEntry entry;       // the directory entry (a hard link's own record)
  CatalogEntry target;      // after resolving a hard link (== entry otherwise)
};

struct Compression {
  uint32_t type = 0;
  uint64_t uncompressed_size = 0;
  std::string method;
  bool in_resource_fork = false;
};

class Volume : public std::enable_shared_from_this<Volume> {
 public:
  // `src` starts at the HFS+ volume or at an HFS wrapper; diags collects what was survived.
  static Result<std::shared_ptr<const Volume>> open(SourcePtr src, Diagnostics* diags = nullptr);
  ~Volume();

  const VolumeInfo& info() const { return info_; }
  const Source& source() const { return *vol_; }  // the HFS+ volume's bytes
  std::string display_name() const;                // "disk.dmg[hfs+ 'name']"
  uint32_t block_size() const { return info_.header.block_size; }

  // Folder or file record by CNID (through its thread record).
  Result<CatalogEntry> entry(uint32_t cnid) const;
  // Children of a folder, in catalog order. With diags, a bad record is a diagnostic and skipped.
  Result<std::vector<CatalogEntry>> children(uint32_t folder_id, Diagnostics* diags = nullptr) const;
  // The record for an absolute path ("/" = root folder). Names compare case-insensitively (simple
  // case folding) on HFS+, exactly on case-sensitive HFSX. Links are not followed.
  Result<CatalogEntry> lookup(std::string_view path) const;
  // A hard link's iNode file (or a directory link's folder); other entries come back unchanged.
  Result<CatalogEntry> resolve_link(const CatalogEntry& e) const;
  Result<std::vector<Xattr>> xattrs(uint32_t cnid) const;

  // The raw data (false) or resource (true) fork of a file: extents from the record, then the
  // extents-overflow tree; each checked against the volume.
  Result<SourcePtr> open_fork(const CatalogEntry& e, bool resource, const std::string& name = {}) const;
  // File content: hard links resolved, decmpfs decoded.
  Result<SourcePtr> open_data(const CatalogEntry& e, const std::string& name = {}) const;
  Result<SourcePtr> open_xattr(const CatalogEntry& e, const Xattr& x) const;
  Result<std::string> symlink_target(const CatalogEntry& e) const;
  Result<std::optional<Compression>> compression(const CatalogEntry& e) const;
  // Logical size: the decmpfs size for compressed files, else the data fork's.
  Result<uint64_t> file_size(const CatalogEntry& e) const;

  // Depth-first walk from the entry at `path`; directories are visited once and no deeper than
  // max_depth; hard links resolved; a bad record is a diagnostic. The private metadata folders
  // (hard-link targets) are skipped unless include_private.
  using WalkVisitor = std::function<bool(const FileEntry&)>;
  Status walk(const std::string& path, const WalkVisitor& visit, Diagnostics& diags, unsigned max_depth = 256,
              bool include_private = false) const;

  // Records counted by one pass over the catalog leaves (for inspect).
  struct Counts { uint64_t folders = 0, files = 0, threads = 0, hard_links = 0, symlinks = 0, compressed = 0; };
  Result<Counts> count_records() const;
  uint32_t private_dir_id() const { return private_dir_; }
  uint32_t private_dir_dirs_id() const { return private_dir_dirs_; }
  BTreeShape catalog_shape() const;

 private:
  Volume() = default;
  Result<std::vector<Extent>> fork_extents(uint32_t file_id, bool resource, const Fork& fork,
                                           const std::string& what) const;
  Result<SourcePtr> fork_source(uint32_t file_id, bool resource, const Fork& fork,
                                const std::string& name) const;
  bool names_equal(const std::u16string& a, const std::u16string& b) const;

  SourcePtr vol_;
  VolumeInfo info_;
  std::unique_ptr<BTree> extents_, catalog_, attributes_;
  uint32_t private_dir_ = 0, private_dir_dirs_ = 0;
  struct LinkCache;
  std::unique_ptr<LinkCache> links_;  // iNode<n> / dir_<n> names of the private folders, built once
};

// Fork/volume metadata parsing shared with the tests.
Result<VolumeHeader> parse_volume_header(Bytes b, const std::string& what);
// "2022-01-14T07:19:42Z"-style seconds since 1970 from an HFS+ date (GMT); 0 stays 0.
int64_t unix_time(uint32_t hfs_date);
std::string fourcc(uint32_t v);           // "hlnk"
std::string utf16_to_utf8(const std::u16string& s);
std::u16string utf8_to_utf16(std::string_view s);
// A catalog record (folder or file) from a leaf record; `where` labels messages.
Result<CatalogEntry> parse_catalog_record(Bytes key, Bytes data, uint64_t offset, const std::string& where);

}  // namespace upscope::hfs
