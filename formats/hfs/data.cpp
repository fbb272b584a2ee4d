// File content of an HFS+ volume: forks (record extents, then extents-overflow records), the
// attributes B-tree (inline and fork-data xattrs), symlink targets and decmpfs-compressed files
// (decoded by the decmpfs helper shared with APFS; the payload types use the resource fork).
#include <fmt/format.h>

#include "compress/decmpfs.hpp"
#include "hfs/btree.hpp"
#include "hfs/fork.hpp"
#include "hfs/structs.hpp"
#include "hfs/volume.hpp"

namespace upscope::hfs {

namespace {

constexpr uint64_t kMaxXattrInline = 64ull << 20;  // cap on a decmpfs header/payload read whole
constexpr uint64_t kMaxSymlink = 64 << 10;

}  // namespace

Result<std::vector<Extent>> Volume::fork_extents(uint32_t file_id, bool resource, const Fork& fork,
                                                 const std::string& what) const {
  std::vector<Extent> out;
  uint64_t blocks = 0;
  for (const auto& e : fork.extents) {
    if (e.block_count == 0) break;
    out.push_back(e);
    blocks += e.block_count;
  }
  const uint64_t need = fork.logical_size / block_size() + (fork.logical_size % block_size() != 0);  // blocks to read
  if (blocks >= need || !extents_ || extents_->empty() || file_id == kHFSExtentsFileID) return out;
  // The rest is in the extents-overflow tree, keyed (fileID, forkType, startBlock).
  const uint8_t fork_type = resource ? kResourceForkType : kDataForkType;
  // HFSPlusExtentKey: keyLength (2), forkType (1), pad (1), fileID (4), startBlock (4).
  struct ExtentKey {
    uint8_t fork_type;
    uint32_t file_id, start_block;
  };
  auto extent_key = [](Bytes key) -> std::optional<ExtentKey> {
    if (key.size() < 2 + kExtentKeyLength) return std::nullopt;
    Cursor c(ByteReader(key, 0, "extents overflow key"), 2);
    ExtentKey k;
    k.fork_type = c.u8();
    c.skip(1);
    k.file_id = c.u32be();
    k.start_block = c.u32be();
    if (!c.ok()) return std::nullopt;
    return k;
  };
  auto cmp = [&](Bytes key) -> int {
    const auto k = extent_key(key);
    if (!k) return -1;
    if (k->file_id != file_id) return k->file_id < file_id ? -1 : 1;
    if (k->fork_type != fork_type) return k->fork_type < fork_type ? -1 : 1;
    return k->start_block < blocks ? -1 : k->start_block > blocks ? 1 : 0;
  };
  UPSCOPE_CHECK(extents_->scan_from(cmp, [&](const BTRecord& r) -> Result<bool> {
    if (cmp(r.key) != 0) {
      if (const auto k = extent_key(r.key); k && k->file_id == file_id && k->fork_type == fork_type)
        return fail(ErrorCode::kMalformed, what,
                    fmt::format("extents overflow record starts at block {} where {} was expected", k->start_block,
                                blocks),
                    r.offset);
      return false;
    }
    if (r.data.size() < 8 * kExtentDescriptorSize)
      return fail(ErrorCode::kMalformed, what, "extents overflow record is shorter than 8 extents", r.offset);
    Cursor ext(ByteReader(r.data, r.offset, "extents overflow record"));  // 8 HFSPlusExtentDescriptors
    for (int i = 0; i < 8 && blocks < need; ++i) {
      const Extent e = read_extent(ext);
      if (e.block_count == 0) break;
      out.push_back(e);
      blocks += e.block_count;
    }
    return blocks < need;
  }));
  if (blocks < need)
    return fail(ErrorCode::kMalformed, what,
                fmt::format("extents cover {} of the fork's {} blocks (extents overflow records missing)", blocks, need));
  return out;
}

Result<SourcePtr> Volume::fork_source(uint32_t file_id, bool resource, const Fork& fork,
                                      const std::string& name) const {
  const std::string what = name + (resource ? " (resource fork)" : " (data fork)");
  UPSCOPE_TRY(auto ext, fork_extents(file_id, resource, fork, what));
  UPSCOPE_TRY(auto f, ForkSource::make(vol_, {block_size(), info_.header.total_blocks}, std::move(ext), fork.logical_size,
                                       name, what));
  return SourcePtr(std::move(f));
}

Result<SourcePtr> Volume::open_fork(const CatalogEntry& e_in, bool resource, const std::string& name_in) const {
  UPSCOPE_TRY(CatalogEntry e, resolve_link(e_in));
  const std::string name = name_in.empty() ? fmt::format("{}:CNID {}", display_name(), e.id)
                                            : fmt::format("{}:{}", display_name(), name_in);
  if (!e.is_file()) return fail(ErrorCode::kInvalidArgument, name, "is a folder");
  return fork_source(e.id, resource, resource ? e.rsrc : e.data, resource ? name + "/..namedfork/rsrc" : name);
}

Result<std::vector<Xattr>> Volume::xattrs(uint32_t cnid) const {
  std::vector<Xattr> out;
  if (!attributes_ || attributes_->empty()) return out;
  const std::string where = fmt::format("{}: attribute record of CNID {}", display_name(), cnid);
  // HFSPlusAttrKey: keyLength (2), pad (2), fileID (4), startBlock (4), nameLength (2), name (UTF-16BE).
  struct AttrKey {
    uint32_t file_id, start_block;
    uint16_t name_length;
  };
  auto attr_key = [](Bytes key) -> std::optional<AttrKey> {
    if (key.size() < 2 + kAttrKeyMinLength) return std::nullopt;
    Cursor c(ByteReader(key, 0, "attribute key"), 4);
    AttrKey k;
    k.file_id = c.u32be();
    k.start_block = c.u32be();
    k.name_length = c.u16be();
    if (!c.ok()) return std::nullopt;
    return k;
  };
  auto cmp = [&](Bytes key) -> int {
    const auto k = attr_key(key);
    if (!k) return -1;
    if (k->file_id != cnid) return k->file_id < cnid ? -1 : 1;
    return k->name_length == 0 && k->start_block == 0 ? 0 : 1;
  };
  UPSCOPE_CHECK(attributes_->scan_from(cmp, [&](const BTRecord& r) -> Result<bool> {
    const auto k = attr_key(r.key);
    if (!k || k->file_id != cnid) return false;
    const uint64_t nlen = k->name_length;
    if (nlen > 127 || 14 + 2 * nlen > r.key.size())
      return fail(ErrorCode::kMalformed, where,
                  fmt::format("name length {} runs past the record (key of {} bytes)", nlen, r.key.size()), r.offset);
    std::u16string n16(nlen, u'\0');
    Cursor name(ByteReader(r.key, 0, "attribute name"), 14);
    for (uint64_t i = 0; i < nlen; ++i) n16[i] = static_cast<char16_t>(name.u16be());
    const ByteReader data(r.data, r.offset, "attribute record");
    if (r.data.size() < 8) return fail(ErrorCode::kMalformed, where, "record is shorter than its type", r.offset);
    const uint32_t type = data.u32be(0).value_or(0);
    Xattr x;
    x.name = utf16_to_utf8(n16);
    x.record_type = type;
    if (type == kHFSPlusAttrInlineData) {
      if (r.data.size() < 16) return fail(ErrorCode::kMalformed, where, "inline attribute header is cut short", r.offset);
      const uint64_t size = data.u32be(12).value_or(0);  // HFSPlusAttrData: 16 bytes checked above
      if (16 + size > r.data.size())
        return fail(ErrorCode::kMalformed, where,
                    fmt::format("'{}': inline size {} runs past the record ({} bytes)", x.name, size, r.data.size()),
                    r.offset);
      x.inline_data.assign(r.data.begin() + 16, r.data.begin() + 16 + static_cast<std::ptrdiff_t>(size));
      out.push_back(std::move(x));
    } else if (type == kHFSPlusAttrForkData) {
      if (r.data.size() < 8 + kForkDataSize)
        return fail(ErrorCode::kMalformed, where, "fork data attribute is cut short", r.offset);
      ByteReader fr(r.data, r.offset, "fork data attribute");
      Cursor fc(fr);
      x.fork = read_fork_data(fc, 8);
      if (!fc.ok()) return fail(fc.error().in_file(where));
      for (const auto& e : x.fork.extents)
        if (e.block_count) x.extents.push_back(e);
      out.push_back(std::move(x));
    } else if (type == kHFSPlusAttrExtents) {
      // More extents of the preceding fork-data attribute of the same name.
      if (r.data.size() < 8 + 8 * kExtentDescriptorSize)
        return fail(ErrorCode::kMalformed, where, "attribute extents record is cut short", r.offset);
      if (out.empty() || out.back().name != x.name || out.back().record_type != kHFSPlusAttrForkData)
        return fail(ErrorCode::kMalformed, where, fmt::format("'{}': extents record without a fork data record", x.name),
                    r.offset);
      if (out.back().extents.size() > info_.header.total_blocks)
        return fail(ErrorCode::kLimit, where, "more attribute extents than volume blocks", r.offset);
      Cursor ext(data, 8);  // HFSPlusAttrExtents: type, reserved, 8 extent descriptors (checked above)
      for (int i = 0; i < 8; ++i) {
        const Extent e = read_extent(ext);
        if (e.block_count) out.back().extents.push_back(e);
      }
    } else {
      return fail(ErrorCode::kMalformed, where, fmt::format("'{}': unknown attribute record type 0x{:x}", x.name, type),
                  r.offset);
    }
    if (out.size() > attributes_->header().leafRecords)
      return fail(ErrorCode::kLimit, where, "more attributes than the tree's leaf records");
    return true;
  }));
  return out;
}

Result<SourcePtr> Volume::open_xattr(const CatalogEntry& e, const Xattr& x) const {
  const std::string name = fmt::format("{}:CNID {}:{}", display_name(), e.id, x.name);
  if (x.record_type != kHFSPlusAttrForkData) return SourcePtr(std::make_shared<MemorySource>(x.inline_data, name));
  UPSCOPE_TRY(auto f, ForkSource::make(vol_, {block_size(), info_.header.total_blocks}, x.extents, x.fork.logical_size,
                                       name, name + " (attribute fork)"));
  return SourcePtr(std::move(f));
}

namespace {
Result<std::vector<uint8_t>> read_capped(const Source& s, uint64_t cap) {
  if (s.size() > cap)
    return fail(ErrorCode::kLimit, s.name(), fmt::format("{} bytes exceed the {}-byte cap", s.size(), cap));
  return s.read_vector(0, s.size());
}
}  // namespace

Result<std::optional<Compression>> Volume::compression(const CatalogEntry& e_in) const {
  UPSCOPE_TRY(CatalogEntry e, resolve_link(e_in));
  if (!e.is_file() || !e.compressed()) return std::optional<Compression>();
  UPSCOPE_TRY(auto xs, xattrs(e.id));
  for (const auto& x : xs) {
    if (x.name != "com.apple.decmpfs") continue;
    UPSCOPE_TRY(auto s, open_xattr(e, x));
    if (s->size() < 16) return fail(ErrorCode::kMalformed, s->name(), "decmpfs header shorter than 16 bytes");
    UPSCOPE_TRY(auto head, s->read_vector(0, 16));
    UPSCOPE_TRY(auto h, compress::decmpfs::parse_header(
                            head, fmt::format("{}: CNID {}: com.apple.decmpfs", display_name(), e.id)));
    return std::optional<Compression>(Compression{h.type, h.uncompressed_size, h.method, h.in_resource_fork});
  }
  return fail(ErrorCode::kMalformed, fmt::format("{}: CNID {}", display_name(), e.id),
              "UF_COMPRESSED is set but there is no com.apple.decmpfs xattr");
}

Result<uint64_t> Volume::file_size(const CatalogEntry& e_in) const {
  UPSCOPE_TRY(CatalogEntry e, resolve_link(e_in));
  if (!e.is_file()) return uint64_t{0};
  if (e.compressed()) {
    UPSCOPE_TRY(auto c, compression(e));
    if (c) return c->uncompressed_size;
  }
  return e.data.logical_size;
}

Result<SourcePtr> Volume::open_data(const CatalogEntry& e_in, const std::string& name_in) const {
  UPSCOPE_TRY(CatalogEntry e, resolve_link(e_in));
  const std::string name = name_in.empty() ? fmt::format("{}:CNID {}", display_name(), e.id)
                                            : fmt::format("{}:{}", display_name(), name_in);
  if (!e.is_file()) return fail(ErrorCode::kInvalidArgument, name, "is a folder");
  if (!e.compressed()) return fork_source(e.id, false, e.data, name);
  UPSCOPE_TRY(auto xs, xattrs(e.id));
  const Xattr* dx = nullptr;
  for (const auto& x : xs)
    if (x.name == "com.apple.decmpfs") dx = &x;
  if (!dx) return fail(ErrorCode::kMalformed, name, "UF_COMPRESSED is set but there is no com.apple.decmpfs xattr");
  UPSCOPE_TRY(auto dsrc, open_xattr(e, *dx));
  UPSCOPE_TRY(auto dbytes, read_capped(*dsrc, kMaxXattrInline));
  return compress::decmpfs::open(
      dbytes, name, [&]() { return fork_source(e.id, true, e.rsrc, name + "/..namedfork/rsrc"); },
      name + ": resource fork");
}

Result<std::string> Volume::symlink_target(const CatalogEntry& e) const {
  UPSCOPE_TRY(auto src, fork_source(e.id, false, e.data, fmt::format("{}:CNID {}", display_name(), e.id)));
  UPSCOPE_TRY(auto bytes, read_capped(*src, kMaxSymlink));
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace upscope::hfs
