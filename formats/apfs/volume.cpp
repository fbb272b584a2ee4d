#include "apfs/volume.hpp"
#include "apfs/structs.hpp"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

namespace upscope::apfs {

bool Inode::compressed() const { return (bsd_flags & UF_COMPRESSED) != 0; }
bool Xattr::is_stream() const { return (flags & XATTR_DATA_STREAM) != 0; }

namespace {

struct KeyHead {
  uint64_t oid;
  uint8_t type;
};

std::optional<KeyHead> key_head(Bytes key) {
  auto head = ByteReader(key).u64le(0);
  if (!head) return std::nullopt;
  const uint64_t h = *head;
  return KeyHead{h & OBJ_ID_MASK, static_cast<uint8_t>(h >> OBJ_TYPE_SHIFT)};
}

// A name field of `len` bytes that should end in NUL; stops at the first NUL.
std::string name_from(Bytes b) {
  auto nul = std::find(b.begin(), b.end(), uint8_t{0});
  return std::string(b.begin(), nul);
}

Error record_error(const std::string& label, uint64_t oid, const char* what, std::string rule) {
  return make_error(ErrorCode::kMalformed, fmt::format("{} {} record of oid {}", label, what, oid), std::move(rule));
}

Result<Inode> parse_inode(uint64_t id, Bytes val, const std::string& label) {
  ByteReader r(val, 0, "inode");
  auto head = r.read<j_inode_val_head_t>(0);
  if (!head) return fail(record_error(label, id, "inode", fmt::format("value is {} bytes, shorter than 92", val.size())));
  Inode ino;
  ino.id = id;
  ino.parent_id = head->parent_id;
  ino.private_id = head->private_id;
  ino.create_time = head->create_time;
  ino.mod_time = head->mod_time;
  ino.change_time = head->change_time;
  ino.access_time = head->access_time;
  ino.internal_flags = head->internal_flags;
  ino.nchildren_or_nlink = head->nchildren_or_nlink;
  ino.bsd_flags = head->bsd_flags;
  ino.uid = head->owner;
  ino.gid = head->group;
  ino.mode = head->mode;
  ino.uncompressed_size = head->uncompressed_size;
  if (val.size() <= sizeof(j_inode_val_head_t) + 4) return ino;
  // xf_blob_t: count, used bytes, then descriptors, then 8-byte-aligned data items.
  const uint64_t xb = sizeof(j_inode_val_head_t);
  uint16_t n = r.u16le(xb).value_or(0);
  uint64_t data = xb + 4 + uint64_t(n) * 4;
  if (data > val.size())
    return fail(record_error(label, id, "inode", fmt::format("{} extended fields do not fit the {}-byte value", n, val.size())));
  for (uint16_t i = 0; i < n; ++i) {
    Cursor desc(r, xb + 4 + 4 * uint64_t(i));  // x_type, x_flags, x_size
    const uint8_t type = desc.u8();
    desc.skip(1);
    const uint16_t size = desc.u16le();
    if (!desc.ok()) return fail(desc.error());
    if (!range_fits(data, size, val.size()))
      return fail(record_error(label, id, "inode", fmt::format("extended field {} (type {}, {} bytes) runs past the value", i, type, size)));
    Bytes item = val.subspan(data, size);
    const ByteReader field(item, data, "inode extended field");
    switch (type) {
      case INO_EXT_TYPE_NAME: ino.name = name_from(item); break;
      case INO_EXT_TYPE_DSTREAM:
        if (size >= 16) ino.dstream = Dstream{field.u64le(0).value_or(0), field.u64le(8).value_or(0)};
        break;
      case INO_EXT_TYPE_SPARSE_BYTES:
        if (size >= 8) ino.sparse_bytes = field.u64le(0).value_or(0);
        break;
      case INO_EXT_TYPE_RDEV:
        if (size >= 4) ino.rdev = field.u32le(0).value_or(0);
        break;
      default: break;
    }
    data += (uint64_t(size) + 7) & ~uint64_t(7);
  }
  return ino;
}

}  // namespace

Result<std::shared_ptr<const Volume>> Volume::open(std::shared_ptr<const Container> c, const VolumeInfo& info) {
  std::shared_ptr<Volume> v(new Volume());
  v->c_ = std::move(c);
  v->info_ = info;
  v->label_ = fmt::format("volume '{}'", info.name);
  const std::string& label = v->label_;
  UPSCOPE_TRY(v->omap_, v->c_->load_omap(info.omap_oid, v->c_->info().xid, label + " object map"));
  if (info.fext_tree_oid) {
    TreeRef f;
    f.root_oid = info.fext_tree_oid;
    if (!(info.fext_tree_type & OBJ_PHYSICAL)) f.omap = v->omap_;
    f.subtype = OBJECT_TYPE_FEXT_TREE;
    f.label = fmt::format("file-extent tree of volume '{}'", info.name);
    v->fext_ = f;
  }
  TreeRef t;
  t.root_oid = info.root_tree_oid;
  if (!(info.root_tree_type & OBJ_PHYSICAL)) t.omap = v->omap_;
  t.subtype = OBJECT_TYPE_FSTREE;
  t.label = fmt::format("fs tree of volume '{}'", info.name);
  v->fs_.emplace(*v->c_, std::move(t));
  auto root = v->fs_tree().root();
  if (!root) {
    if (info.encrypted)
      return fail(ErrorCode::kUnsupported, label,
                  fmt::format("the volume is encrypted (APFS_FS_UNENCRYPTED is clear) and its file-system tree cannot be "
                              "read without the key ({})", root.error().message()));
    return fail(root.error());
  }
  return std::shared_ptr<const Volume>(std::move(v));
}

std::string Volume::display_name() const { return fmt::format("{}[volume '{}']", c_->source().name(), info_.name); }


Status Volume::records(uint64_t oid, uint8_t type, const EntryVisitor& visit) const {
  auto lower = [oid, type](Bytes key) {
    auto h = key_head(key);
    if (!h) return -1;
    if (h->oid != oid) return h->oid < oid ? -1 : 1;
    if (h->type != type) return h->type < type ? -1 : 1;
    return 0;
  };
  return fs_tree().scan(lower, [&](Bytes key, Bytes val) {
    auto h = key_head(key);
    if (!h || h->oid != oid || h->type != type) return false;
    return visit(key, val);
  });
}

Result<Inode> Volume::inode(uint64_t id) const {
  std::optional<Result<Inode>> found;
  UPSCOPE_CHECK(records(id, APFS_TYPE_INODE, [&](Bytes, Bytes val) {
    found = parse_inode(id, val, label_);
    return false;
  }));
  if (!found) return fail(ErrorCode::kNotFound, label_, fmt::format("no inode {}", id));
  return std::move(*found);
}

Result<std::vector<DirEntry>> Volume::list_dir(uint64_t dir_id) const {
  std::vector<DirEntry> out;
  std::optional<Error> err;
  const uint64_t cap = c_->info().block_count * 64;  // a block holds far fewer records than this
  UPSCOPE_CHECK(records(dir_id, APFS_TYPE_DIR_REC, [&](Bytes key, Bytes val) {
    DirEntry d;
    Bytes name;
    const ByteReader k(key, 0, "directory record key");
    if (auto len_hash = k.u32le(8); len_hash && (*len_hash & 0x3ff) == key.size() - 12) {
      name = key.subspan(12);  // j_drec_hashed_key_t
    } else if (auto len = k.u16le(8); len && *len == key.size() - 10) {
      name = key.subspan(10);  // j_drec_key_t
    } else {
      err = record_error(label_, dir_id, "directory",
                         fmt::format("key of {} bytes holds neither a hashed nor a plain name", key.size()));
      return false;
    }
    if (val.size() < 18) {
      err = record_error(label_, dir_id, "directory",
                         fmt::format("value is {} bytes, shorter than 18", val.size()));
      return false;
    }
    d.name = name_from(name);
    Cursor v(ByteReader(val, 0, "directory record"));  // j_drec_val_t: 18 bytes, checked above
    d.file_id = v.u64le();
    d.date_added = static_cast<int64_t>(v.u64le());
    d.type = v.u16le() & 0xf;
    out.push_back(std::move(d));
    if (out.size() > cap) {
      err = make_error(ErrorCode::kLimit, fmt::format("directory {}", dir_id), "more entries than the container can hold");
      return false;
    }
    return true;
  }));
  if (err) return fail(*err);
  return out;
}

Result<std::vector<Xattr>> Volume::xattrs(uint64_t id) const {
  std::vector<Xattr> out;
  std::optional<Error> err;
  const std::string& label = label_;
  UPSCOPE_CHECK(records(id, APFS_TYPE_XATTR, [&](Bytes key, Bytes val) {
    const auto name_len = ByteReader(key).u16le(8);
    if (!name_len || *name_len > key.size() - 10 || val.size() < 4) {
      err = record_error(label, id, "xattr", "key or value too short");
      return false;
    }
    Xattr x;
    x.name = name_from(key.subspan(10, *name_len));
    Cursor v(ByteReader(val, 0, "xattr record"));  // j_xattr_val_t: flags, xdata_len, xdata
    x.flags = v.u16le();
    const uint16_t len = v.u16le();
    if (len > val.size() - 4) {
      err = record_error(label, id, "xattr", fmt::format("'{}' xdata_len {} runs past the {}-byte value", x.name, len, val.size()));
      return false;
    }
    Bytes data = val.subspan(4, len);
    if (x.is_stream()) {
      if (len < 8 + sizeof(j_dstream_t)) {
        err = record_error(label, id, "xattr", fmt::format("'{}' stream reference is {} bytes, need 48", x.name, len));
        return false;
      }
      Cursor ref(ByteReader(data, 4, "xattr stream reference"));  // xattr_dstream_t: oid, j_dstream_t
      x.stream_oid = ref.u64le();
      x.stream.size = ref.u64le();
      x.stream.alloced_size = ref.u64le();
    } else {
      x.embedded.assign(data.begin(), data.end());
    }
    out.push_back(std::move(x));
    return true;
  }));
  if (err) return fail(*err);
  return out;
}

Result<std::vector<Extent>> Volume::extents(uint64_t private_id) const {
  std::vector<Extent> out;
  std::optional<Error> err;
  // Formatted for a message only: a listing reads the extents of every file.
  auto label = [&] { return fmt::format("volume '{}' data stream {}", info_.name, private_id); };
  const uint64_t bs = c_->block_size();
  auto add = [&](uint64_t logical, uint64_t len_and_flags, uint64_t paddr) {
    Extent e{logical, len_and_flags & J_FILE_EXTENT_LEN_MASK, paddr, static_cast<uint8_t>(len_and_flags >> 56)};
    uint64_t prev_end = out.empty() ? 0 : out.back().logical + out.back().length;
    if (e.logical < prev_end) {
      err = make_error(ErrorCode::kMalformed, label(),
                       fmt::format("extent at logical offset {} overlaps the previous one (ends at {})", e.logical, prev_end));
      return false;
    }
    if (!checked_add(e.logical, e.length)) {
      err = make_error(ErrorCode::kMalformed, label(), fmt::format("extent at logical offset {} wraps", e.logical));
      return false;
    }
    if (e.paddr) {
      if (auto st = c_->check_extent(e.paddr, e.length, {}); !st && st.error().code == ErrorCode::kMalformed) {
        err = c_->check_extent(e.paddr, e.length, label()).error();  // again, to name the stream
        return false;
      }
    }
    if (out.size() > c_->info().block_count) {
      err = make_error(ErrorCode::kLimit, label(), "more extents than the container has blocks");
      return false;
    }
    (void)bs;
    out.push_back(e);
    return true;
  };
  if (fext_) {
    // Sealed volumes keep extents in the FEXT tree: key {private_id, logical_addr}. Unverified (no sample).
    BTree t(*c_, *fext_);
    UPSCOPE_CHECK(t.scan(
        [private_id](Bytes key) {
          auto p = ByteReader(key).u64le(0);
          if (key.size() < 16 || !p) return -1;
          return *p < private_id ? -1 : (*p > private_id ? 1 : 0);
        },
        [&](Bytes key, Bytes val) {
          const ByteReader k(key), v(val);
          if (key.size() < 16 || k.u64le(0).value_or(0) != private_id) return false;
          if (val.size() < 16) {
            err = make_error(ErrorCode::kMalformed, label(), "FEXT value shorter than 16 bytes");
            return false;
          }
          return add(k.u64le(8).value_or(0), v.u64le(0).value_or(0), v.u64le(8).value_or(0));
        }));
  } else {
    UPSCOPE_CHECK(records(private_id, APFS_TYPE_FILE_EXTENT, [&](Bytes key, Bytes val) {
      if (key.size() < 16 || val.size() < 16) {
        err = make_error(ErrorCode::kMalformed, label(), "file extent key or value too short");
        return false;
      }
      const ByteReader k(key), v(val);  // both checked above: 16 bytes at least
      return add(k.u64le(8).value_or(0), v.u64le(0).value_or(0), v.u64le(8).value_or(0));
    }));
  }
  if (err) return fail(*err);
  return out;
}

Result<std::vector<std::pair<uint64_t, std::string>>> Volume::sibling_links(uint64_t id) const {
  std::vector<std::pair<uint64_t, std::string>> out;
  UPSCOPE_CHECK(records(id, APFS_TYPE_SIBLING_LINK, [&](Bytes, Bytes val) {
    const ByteReader v(val, 0, "sibling link");  // j_sibling_val_t: parent_id, name_len, name
    const auto parent = v.u64le(0);
    const auto n = v.u16le(8);
    if (!parent || !n || *n > val.size() - 10) return true;
    out.emplace_back(*parent, name_from(val.subspan(10, *n)));
    return out.size() < 65536;
  }));
  return out;
}

Result<uint64_t> Volume::lookup(std::string_view path) const {
  uint64_t cur = ROOT_DIR_INO_NUM;
  size_t pos = 0;
  unsigned depth = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    std::string_view comp = path.substr(pos, next - pos);
    pos = next + 1;
    if (comp.empty() || comp == ".") continue;
    if (++depth > 1024) return fail(ErrorCode::kLimit, "path", "more than 1024 components");
    UPSCOPE_TRY(auto entries, list_dir(cur));
    auto eq = [&](const std::string& n) {
      if (info_.case_sensitive) return n == comp;
      return n.size() == comp.size() &&
             std::equal(n.begin(), n.end(), comp.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); });
    };
    auto it = std::find_if(entries.begin(), entries.end(), [&](const DirEntry& d) { return eq(d.name); });
    if (it == entries.end())
      return fail(ErrorCode::kNotFound, label_,
                  fmt::format("no entry '{}' in path '{}'", std::string(comp), std::string(path)));
    cur = it->file_id;
  }
  return cur;
}

Result<std::vector<Snapshot>> Volume::snapshots() const {
  std::vector<Snapshot> out;
  if (!info_.snap_meta_tree_oid) return out;
  TreeRef t;
  t.root_oid = info_.snap_meta_tree_oid;
  t.subtype = OBJECT_TYPE_SNAPMETATREE;
  t.label = fmt::format("snapshot metadata tree of volume '{}'", info_.name);
  UPSCOPE_CHECK(BTree(*c_, t).scan(nullptr, [&](Bytes key, Bytes val) {
    auto h = key_head(key);
    if (!h || h->type != APFS_TYPE_SNAP_METADATA || val.size() < 50) return true;
    Snapshot s;
    s.xid = h->oid;
    Cursor v(ByteReader(val, 0, "snapshot metadata"), 8);  // j_snap_metadata_val_t, 50 bytes checked above
    s.sblock_oid = v.u64le();
    s.create_time = static_cast<int64_t>(v.u64le());
    s.change_time = static_cast<int64_t>(v.u64le());
    s.inum = v.u64le();
    v.skip(4);  // extentref_tree_type
    s.flags = v.u32le();
    const uint16_t n = v.u16le();
    s.name = name_from(val.subspan(50, std::min<size_t>(n, val.size() - 50)));
    out.push_back(std::move(s));
    return out.size() < 65536;
  }));
  return out;
}

Status Volume::walk(uint64_t start, const std::string& path, const WalkVisitor& visit, Diagnostics& diags,
                    unsigned max_depth) const {
  UPSCOPE_TRY(auto first, inode(start));
  if (!first.is_dir()) {
    visit(FileEntry{path, first, 8});
    return {};
  }
  std::unordered_set<uint64_t> seen_dirs;
  bool stop = false;
  std::function<void(uint64_t, const std::string&, unsigned)> rec = [&](uint64_t dir, const std::string& dpath,
                                                                        unsigned depth) {
    if (stop) return;
    if (!seen_dirs.insert(dir).second) {
      diags.error(std::nullopt, dpath, fmt::format("directory inode {} is reached twice (cycle); not descended", dir));
      return;
    }
    if (depth > max_depth) {
      diags.error(std::nullopt, dpath, fmt::format("deeper than {} levels; not descended", max_depth));
      return;
    }
    auto entries = list_dir(dir);
    if (!entries) {
      diags.add(entries.error());
      return;
    }
    std::sort(entries->begin(), entries->end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
    for (const auto& e : *entries) {
      if (stop) return;
      std::string p = (dpath == "/" ? "" : dpath) + "/" + e.name;
      auto ino = inode(e.file_id);
      if (!ino) {
        diags.add(ino.error());
        continue;
      }
      if (!visit(FileEntry{p, *ino, e.type})) {
        stop = true;
        return;
      }
      if (ino->is_dir()) rec(e.file_id, p, depth + 1);
    }
  };
  rec(start, path.empty() ? "/" : path, 0);
  return {};
}

std::string Volume::guess_cryptex_role() const {
  if (lookup("/System/Library/dyld")) return "os";
  if (lookup("/System/Applications/Safari.app") || lookup("/Applications/Safari.app")) return "app";
  return {};
}

}  // namespace upscope::apfs
