// Opening an HFS+ volume and reading its catalog: records by CNID (thread records), folder
// listings (a parent-ID range of the leaf chain), path lookup, hard links and the tree walk.
#include "hfs/volume.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <unordered_set>

#include <fmt/format.h>

#include "hfs/btree.hpp"
#include "hfs/fork.hpp"
#include "hfs/structs.hpp"
#include "inspect/text.hpp"

namespace upscope::hfs {

struct Volume::LinkCache {
  std::once_flag once;
  std::map<uint32_t, CatalogEntry> inodes, dirs;  // iNode<n> files, dir_<n> folders
  std::optional<Error> error;
};

Volume::~Volume() = default;

namespace {

const std::u16string kPrivateDataName(u"\0\0\0\0HFS+ Private Data", 21);  // embedded NULs
const std::u16string kPrivateDirName = u".HFS+ Private Directory Data\r";

// Simple case folding for lookups typed by people: ASCII, Latin-1, Greek and Cyrillic capitals.
char16_t fold(char16_t c) {
  if ((c >= u'A' && c <= u'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7)) return static_cast<char16_t>(c + 0x20);
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return static_cast<char16_t>(c + 0x20);
  if (c >= 0x410 && c <= 0x42F) return static_cast<char16_t>(c + 0x20);
  if (c >= 0x400 && c <= 0x40F) return static_cast<char16_t>(c + 0x50);
  return c;
}

// HFS+ stores names decomposed (NFD); people type them precomposed. Latin-1 letters are decomposed
// here (the full Unicode tables are not carried).
std::u16string decompose_latin1(const std::u16string& in) {
  static const char kBase[] = "AAAAAA?CEEEEIIII?NOOOOO??UUUUY??";
  static const char16_t kMark[] = {0x300, 0x301, 0x302, 0x303, 0x308, 0x30A, 0, 0x327, 0x300, 0x301, 0x302,
                                   0x308, 0x300, 0x301, 0x302, 0x308, 0, 0x303, 0x300, 0x301, 0x302, 0x303,
                                   0x308, 0,     0,     0x300, 0x301, 0x302, 0x308, 0x301, 0,     0};
  std::u16string out;
  for (char16_t c : in) {
    if (c >= 0xC0 && c <= 0xFF && kBase[(c - 0xC0) & 31] != '?') {
      const int i = (c - 0xC0) & 31;
      char16_t base = static_cast<char16_t>(kBase[i]);
      if (c >= 0xE0) base = static_cast<char16_t>(base + 0x20);
      out += base;
      out += kMark[i];
    } else if (c == 0xFF) {
      out += u'y';
      out += char16_t(0x308);
    } else {
      out += c;
    }
  }
  return out;
}

// A catalog key's parent ID and name length (after its 2-byte key length); nothing when the key is
// too short to hold them.
struct KeyHead {
  uint32_t parent = 0;
  uint16_t name_length = 0;
};
std::optional<KeyHead> key_head(Bytes key) {
  ByteReader r(key);
  Cursor c(r, 2);
  KeyHead h;
  h.parent = c.u32be();
  h.name_length = c.u16be();
  if (!c.ok()) return std::nullopt;
  return h;
}

// Catalog order by parent ID only: a search for (parent, "") lands before every child of parent.
BTree::KeyCompare parent_target(uint32_t parent) {
  return [parent](Bytes key) -> int {
    auto h = key_head(key);
    if (!h) return -1;
    if (h->parent != parent) return h->parent < parent ? -1 : 1;
    return h->name_length == 0 ? 0 : 1;
  };
}

}  // namespace

std::string utf16_to_utf8(const std::u16string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    uint32_t c = s[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    append_utf8(out, c);
  }
  return out;
}

std::u16string utf8_to_utf16(std::string_view s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    uint8_t b = static_cast<uint8_t>(s[i]);
    uint32_t c = 0xFFFD;
    size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
    if (i + n > s.size()) n = 1;
    if (n == 1) c = b < 0x80 ? b : 0xFFFD;
    else {
      c = b & (0x7F >> n);
      for (size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
    }
    i += n;
    if (c >= 0x10000) {
      c -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (c >> 10));
      out += static_cast<char16_t>(0xDC00 + (c & 0x3FF));
    } else {
      out += static_cast<char16_t>(c);
    }
  }
  return out;
}

int64_t unix_time(uint32_t d) { return d == 0 ? 0 : int64_t(d) - kHFSEpochDelta; }

std::string fourcc(uint32_t v) {
  std::string s;
  for (int i = 3; i >= 0; --i) {
    char c = static_cast<char>((v >> (8 * i)) & 0xFF);
    s += (c >= 0x20 && c < 0x7F) ? c : '.';
  }
  return s;
}

bool VolumeHeader::hfsx() const { return signature == kHFSXSigWord; }

bool CatalogEntry::is_folder() const { return record_type == kHFSPlusFolderRecord; }
bool CatalogEntry::is_file() const { return record_type == kHFSPlusFileRecord; }
bool CatalogEntry::is_hard_link() const {
  return is_file() && file_type == kHardLinkFileType && creator == kHFSPlusCreator;
}
bool CatalogEntry::is_dir_link() const { return is_file() && file_type == kHFSAliasType && creator == kHFSAliasCreator; }
bool CatalogEntry::is_symlink() const {
  return is_file() && ((mode & 0170000) == 0120000 || (file_type == kSymLinkFileType && creator == kSymLinkCreator));
}

bool CatalogEntry::is_regular() const {
  return is_file() && !is_symlink() && (effective_mode() & 0170000) == 0100000;
}

uint32_t CatalogEntry::link_count() const {
  return is_file() && !is_hard_link() && (flags & kHFSHasLinkChainMask) && special ? special : 1;
}

uint64_t Xattr::size() const { return record_type == kHFSPlusAttrForkData ? fork.logical_size : inline_data.size(); }

BTreeShape Volume::catalog_shape() const {
  const BTHeaderRec& h = catalog_->header();
  return {h.treeDepth, h.rootNode, h.leafRecords, h.nodeSize, h.totalNodes, h.freeNodes, h.keyCompareType};
}

uint16_t CatalogEntry::effective_mode() const {
  if (mode & 0170000) return mode;
  if (is_folder()) return 040755;
  if (file_type == kSymLinkFileType && creator == kSymLinkCreator) return 0120755;
  return 0100644;
}

Result<VolumeHeader> parse_volume_header(Bytes b, const std::string& what) {
  if (b.size() < kVolumeHeaderSize)
    return fail(ErrorCode::kTruncated, what, "the volume header (512 bytes at 1024) is cut short", kVolumeHeaderOffset);
  ByteReader r(b, kVolumeHeaderOffset, "volume header");
  Cursor c(r);
  VolumeHeader h;
  h.signature = c.u16be();
  h.version = c.u16be();
  h.attributes = c.u32be();
  h.last_mounted_version = c.u32be();
  h.journal_info_block = c.u32be();
  h.create_date = c.u32be();
  h.modify_date = c.u32be();
  h.backup_date = c.u32be();
  h.checked_date = c.u32be();
  h.file_count = c.u32be();
  h.folder_count = c.u32be();
  h.block_size = c.u32be();
  h.total_blocks = c.u32be();
  h.free_blocks = c.u32be();
  h.next_catalog_id = c.at(64).u32be();
  h.write_count = c.u32be();
  h.encodings_bitmap = c.u64be();
  c.at(kVHFinderInfo);
  for (auto& f : h.finder_info) f = c.u32be();
  h.allocation_file = read_fork_data(c, kVHAllocationFile);
  h.extents_file = read_fork_data(c, kVHExtentsFile);
  h.catalog_file = read_fork_data(c, kVHCatalogFile);
  h.attributes_file = read_fork_data(c, kVHAttributesFile);
  h.startup_file = read_fork_data(c, kVHStartupFile);
  if (!c.ok()) return fail(c.error().in_file(what));
  if (h.signature != kHFSPlusSigWord && h.signature != kHFSXSigWord)
    return fail(ErrorCode::kMalformed, what, fmt::format("signature 0x{:04x} is neither 'H+' nor 'HX'", h.signature),
                kVolumeHeaderOffset);
  if (h.block_size < 512 || (h.block_size & (h.block_size - 1)) != 0)
    return fail(ErrorCode::kMalformed, what, fmt::format("block size {} is not a power of two of at least 512", h.block_size),
                kVolumeHeaderOffset + kVHBlockSize);
  if (h.total_blocks == 0)
    return fail(ErrorCode::kMalformed, what, "total block count is 0", kVolumeHeaderOffset + kVHBlockSize + 4);
  return h;
}

Result<CatalogEntry> parse_catalog_record(Bytes key, Bytes data, uint64_t offset, const std::string& where) {
  if (key.size() < 2 + kCatalogKeyMinLength)
    return fail(ErrorCode::kMalformed, where, fmt::format("key of {} bytes is shorter than parent ID + name length", key.size()),
                offset);
  CatalogEntry e;
  ByteReader kr(key, offset, "catalog key");
  Cursor kc(kr, 2);
  e.parent_id = kc.u32be();
  const uint64_t nlen = kc.u16be();
  if (!kc.ok() || nlen > 255 || 8 + 2 * nlen > key.size())
    return fail(ErrorCode::kMalformed, where,
                fmt::format("name length {} runs past the record (key of {} bytes)", nlen, key.size()), offset);
  e.name16.resize(nlen);
  for (auto& ch : e.name16) ch = static_cast<char16_t>(kc.u16be());
  // The POSIX view swaps ':' and '/' (HFS+ stores the Finder's names, where '/' is legal).
  std::u16string posix = e.name16;
  for (auto& c : posix) c = c == u'/' ? u':' : c;
  e.name = utf16_to_utf8(posix);
  e.record_offset = offset;
  ByteReader dr(data, offset, "catalog record");
  Cursor dc(dr);
  e.record_type = dc.u16be();
  if (!dc.ok()) return fail(ErrorCode::kMalformed, where, "record has no type", offset);
  const uint64_t need = e.record_type == kHFSPlusFolderRecord ? kCatalogFolderSize
                        : e.record_type == kHFSPlusFileRecord ? kCatalogFileSize
                                                              : 0;
  if (need == 0) return e;  // a thread record: callers skip it
  if (data.size() < need)
    return fail(ErrorCode::kMalformed, where,
                fmt::format("{} record of {} bytes is shorter than {}", e.is_folder() ? "folder" : "file", data.size(), need),
                offset);
  e.flags = dc.at(kCatFlags).u16be();
  e.valence = dc.at(kCatValence).u32be();
  e.id = dc.at(kCatID).u32be();
  e.create_date = dc.at(kCatCreateDate).u32be();
  e.content_mod_date = dc.at(kCatContentModDate).u32be();
  e.attribute_mod_date = dc.at(kCatAttributeModDate).u32be();
  e.access_date = dc.at(kCatAccessDate).u32be();
  e.backup_date = dc.at(kCatBackupDate).u32be();
  e.owner_id = dc.at(kCatPermissions).u32be();
  e.group_id = dc.u32be();
  e.admin_flags = dc.u8();
  e.owner_flags = dc.u8();
  e.mode = dc.u16be();
  e.special = dc.u32be();
  e.text_encoding = dc.at(kCatTextEncoding).u32be();
  if (e.is_file()) {
    e.file_type = dc.at(kCatUserInfo).u32be();
    e.creator = dc.u32be();
    e.data = read_fork_data(dc, kCatDataFork);
    e.rsrc = read_fork_data(dc, kCatResourceFork);
  }
  if (!dc.ok()) return fail(dc.error().in_file(where));
  return e;
}

std::string Volume::display_name() const {
  return fmt::format("{}[{} '{}']", vol_->name(), info_.header.hfsx() ? "hfsx" : "hfs+", info_.name);
}

Result<std::shared_ptr<const Volume>> Volume::open(SourcePtr src, Diagnostics* diags) {
  std::shared_ptr<Volume> v(new Volume());
  const std::string what = src->name() + ": volume header";
  if (src->size() < kVolumeHeaderOffset + kVolumeHeaderSize)
    return fail(ErrorCode::kTruncated, src->name(), fmt::format("{} bytes is too small for an HFS+ volume", src->size()));
  UPSCOPE_TRY(auto hb, src->read_vector(kVolumeHeaderOffset, kVolumeHeaderSize));
  v->info_.how = "hfs+";
  ByteReader mdb(hb, kVolumeHeaderOffset, "HFS master directory block");
  Cursor mc(mdb);
  if (mc.u16be() == kHFSSigWord) {
    // Classic HFS master directory block: the HFS+ volume is one extent of the wrapper.
    const uint32_t al_size = mc.at(kMDBAlBlkSiz).u32be();
    const uint16_t al_start = mc.at(kMDBAlBlSt).u16be();
    const uint16_t embed_sig = mc.at(kMDBEmbedSigWord).u16be();
    const uint16_t start = mc.at(kMDBEmbedExtent).u16be(), count = mc.u16be();
    if (!mc.ok()) return fail(mc.error().in_file(src->name()));
    if (embed_sig != kHFSPlusSigWord)
      return fail(ErrorCode::kUnsupported, src->name() + ": HFS master directory block",
                  "a classic HFS volume without an embedded HFS+ volume is not supported", kVolumeHeaderOffset);
    if (al_size == 0 || al_size % 512 != 0)
      return fail(ErrorCode::kMalformed, src->name() + ": HFS master directory block",
                  fmt::format("allocation block size {} is not a multiple of 512", al_size),
                  kVolumeHeaderOffset + kMDBAlBlkSiz);
    const uint64_t off = uint64_t(al_start) * 512 + uint64_t(start) * al_size, len = uint64_t(count) * al_size;
    if (!range_fits(off, len, src->size()))
      return fail(ErrorCode::kMalformed, src->name() + ": HFS master directory block",
                  fmt::format("embedded volume [{}, +{}) lies past the end ({} bytes)", off, len, src->size()),
                  kVolumeHeaderOffset + kMDBEmbedExtent);
    UPSCOPE_TRY(src, SliceSource::make(src, off, len, src->name() + "[embedded hfs+]"));
    v->info_.how = "hfs+ in an hfs wrapper";
    v->info_.offset = off;
    if (src->size() < kVolumeHeaderOffset + kVolumeHeaderSize)
      return fail(ErrorCode::kTruncated, src->name(), "the embedded volume is too small for an HFS+ volume header");
    UPSCOPE_TRY(hb, src->read_vector(kVolumeHeaderOffset, kVolumeHeaderSize));
  }
  v->vol_ = src;
  UPSCOPE_TRY(v->info_.header, parse_volume_header(hb, what));
  const auto& h = v->info_.header;
  if (h.hfsx() && v->info_.how == "hfs+") v->info_.how = "hfsx";
  v->info_.journaled = (h.attributes & kHFSVolumeJournaledBit) != 0;
  v->info_.volume_bytes = uint64_t(h.total_blocks) * h.block_size;
  if (v->info_.volume_bytes > src->size() && diags)
    diags->warning(kVolumeHeaderOffset + kVHBlockSize + 4, what,
                   fmt::format("the volume claims {} blocks ({} bytes) but only {} bytes are present", h.total_blocks,
                               v->info_.volume_bytes, src->size()));
  const std::string disp = src->name();  // the volume name is known only once the catalog is read
  const ForkSource::Geometry g{h.block_size, h.total_blocks};
  auto ext_fork = ForkSource::make(src, g, {h.extents_file.extents.begin(), h.extents_file.extents.end()},
                                   h.extents_file.logical_size, disp + ":extents file", disp + ": extents overflow file");
  if (!ext_fork) return fail(ext_fork.error());
  UPSCOPE_TRY(v->extents_, BTree::open(*ext_fork, "extents B-tree", disp));
  UPSCOPE_TRY(auto cat_ext, v->fork_extents(kHFSCatalogFileID, false, h.catalog_file, disp + ": catalog file"));
  UPSCOPE_TRY(auto cat_fork, ForkSource::make(src, g, std::move(cat_ext), h.catalog_file.logical_size,
                                              disp + ":catalog file", disp + ": catalog file"));
  UPSCOPE_TRY(v->catalog_, BTree::open(cat_fork, "catalog B-tree", disp));
  if (h.attributes_file.logical_size) {
    auto attr = [&]() -> Status {
      UPSCOPE_TRY(auto ext, v->fork_extents(kHFSAttributesFileID, false, h.attributes_file, disp + ": attributes file"));
      UPSCOPE_TRY(auto fork, ForkSource::make(src, g, std::move(ext), h.attributes_file.logical_size,
                                              disp + ":attributes file", disp + ": attributes file"));
      UPSCOPE_TRY(v->attributes_, BTree::open(fork, "attributes B-tree", disp));
      return {};
    }();
    if (!attr) {
      // Files stay readable without their xattrs (decmpfs files will report the missing header).
      if (!diags) return fail(attr.error());
      diags->add(attr.error());
    }
  }
  v->info_.case_sensitive = h.hfsx() && v->catalog_->header().keyCompareType == kHFSBinaryCompare;
  UPSCOPE_TRY(CatalogEntry root, v->entry(kHFSRootFolderID));
  if (!root.is_folder())
    return fail(ErrorCode::kMalformed, disp + ": catalog", "CNID 2 (the root folder) is not a folder", root.record_offset);
  v->info_.name = root.name;
  v->links_ = std::make_unique<LinkCache>();
  Diagnostics local;
  if (auto kids = v->children(kHFSRootFolderID, &local)) {
    for (const auto& k : *kids) {
      if (k.is_folder() && k.name16 == kPrivateDataName) v->private_dir_ = k.id;
      if (k.is_folder() && k.name16 == kPrivateDirName) v->private_dir_dirs_ = k.id;
    }
  }
  return std::shared_ptr<const Volume>(std::move(v));
}

Result<CatalogEntry> Volume::entry(uint32_t cnid) const {
  const std::string where = fmt::format("{}: catalog thread of CNID {}", display_name(), cnid);
  std::optional<std::pair<uint32_t, std::u16string>> thread;
  UPSCOPE_CHECK(catalog_->scan_from(parent_target(cnid), [&](const BTRecord& r) -> Result<bool> {
    auto key = key_head(r.key);
    if (!key) return fail(ErrorCode::kMalformed, where, "key shorter than parent ID + name length", r.offset);
    if (key->parent != cnid || key->name_length != 0) return false;
    if (r.data.size() < kThreadMinSize) return fail(ErrorCode::kMalformed, where, "thread record is cut short", r.offset);
    ByteReader tr(r.data, r.offset, "catalog thread record");
    Cursor tc(tr);
    const uint16_t type = tc.u16be();
    if (type != kHFSPlusFolderThreadRecord && type != kHFSPlusFileThreadRecord)
      return fail(ErrorCode::kMalformed, where, fmt::format("record type {} where a thread record was expected", type), r.offset);
    const uint32_t parent = tc.at(4).u32be();
    const uint64_t nlen = tc.u16be();
    if (!tc.ok() || nlen > 255 || 10 + 2 * nlen > r.data.size())
      return fail(ErrorCode::kMalformed, where,
                  fmt::format("name length {} runs past the record ({} bytes)", nlen, r.data.size()), r.offset);
    std::u16string name(nlen, u'\0');
    for (auto& ch : name) ch = static_cast<char16_t>(tc.u16be());
    if (!tc.ok()) return fail(tc.error().in_file(where));
    thread.emplace(parent, std::move(name));
    return false;
  }));
  if (!thread) return fail(ErrorCode::kNotFound, display_name(), fmt::format("no catalog thread record for CNID {}", cnid));
  std::optional<CatalogEntry> found;
  const std::string rwhere = fmt::format("{}: catalog record", display_name());
  UPSCOPE_CHECK(catalog_->scan_from(parent_target(thread->first), [&](const BTRecord& r) -> Result<bool> {
    auto key = key_head(r.key);
    if (!key) return fail(ErrorCode::kMalformed, rwhere, "key shorter than parent ID + name length", r.offset);
    if (key->parent != thread->first) return false;
    UPSCOPE_TRY(CatalogEntry e, parse_catalog_record(r.key, r.data, r.offset, rwhere));
    if (e.name16 != thread->second) return true;
    if (e.id != cnid)
      return fail(ErrorCode::kMalformed, rwhere,
                  fmt::format("the thread of CNID {} names a record whose CNID is {}", cnid, e.id), r.offset);
    found = std::move(e);
    return false;
  }));
  if (!found)
    return fail(ErrorCode::kNotFound, display_name(),
                fmt::format("CNID {} has a thread record but no folder or file record under parent {}", cnid, thread->first));
  return *found;
}

Result<std::vector<CatalogEntry>> Volume::children(uint32_t folder_id, Diagnostics* diags) const {
  std::vector<CatalogEntry> out;
  const std::string where = fmt::format("{}: catalog record", display_name());
  UPSCOPE_CHECK(catalog_->scan_from(parent_target(folder_id), [&](const BTRecord& r) -> Result<bool> {
    auto key = key_head(r.key);
    if (!key) return fail(ErrorCode::kMalformed, where, "key shorter than parent ID + name length", r.offset);
    if (key->parent != folder_id) return false;
    auto e = parse_catalog_record(r.key, r.data, r.offset, where);
    if (!e) {
      if (!diags) return fail(e.error());
      diags->add(e.error());
      return true;
    }
    if (e->is_folder() || e->is_file()) out.push_back(std::move(*e));
    if (out.size() > catalog_->header().leafRecords)
      return fail(ErrorCode::kLimit, where, fmt::format("folder {} lists more children than the tree's {} leaf records",
                                                        folder_id, catalog_->header().leafRecords));
    return true;
  }));
  return out;
}

bool Volume::names_equal(const std::u16string& a, const std::u16string& b) const {
  if (a == b) return true;
  if (info_.case_sensitive || a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (fold(a[i]) != fold(b[i])) return false;
  return true;
}

Result<CatalogEntry> Volume::lookup(std::string_view path) const {
  UPSCOPE_TRY(CatalogEntry cur, entry(kHFSRootFolderID));
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    std::string_view comp = path.substr(pos, next - pos);
    pos = next + 1;
    if (comp.empty() || comp == ".") continue;
    if (cur.is_dir_link()) {
      UPSCOPE_TRY(cur, resolve_link(cur));
    }
    if (!cur.is_folder())
      return fail(ErrorCode::kNotFound, display_name(), fmt::format("{}: '{}' is not a folder", path, cur.name));
    std::u16string want = utf8_to_utf16(comp);
    for (auto& c : want) c = c == u':' ? u'/' : c;  // POSIX ':' is stored as '/'
    UPSCOPE_TRY(auto kids, children(cur.id));
    const std::u16string nfd = decompose_latin1(want);
    const CatalogEntry* hit = nullptr;
    for (const auto& k : kids)
      if (k.name16 == want || k.name16 == nfd) hit = &k;
    if (!hit)
      for (const auto& k : kids)
        if (names_equal(k.name16, want) || names_equal(k.name16, nfd)) hit = &k;
    if (!hit) return fail(ErrorCode::kNotFound, display_name(), fmt::format("{}: no such file or directory", path));
    cur = *hit;
  }
  return cur;
}

Result<CatalogEntry> Volume::resolve_link(const CatalogEntry& e) const {
  if (!e.is_hard_link() && !e.is_dir_link()) return e;
  std::call_once(links_->once, [&] {
    auto fill = [&](uint32_t dir, const char* prefix, std::map<uint32_t, CatalogEntry>& m) -> Status {
      if (dir == 0) return {};
      UPSCOPE_TRY(auto kids, children(dir));
      const std::string pre = prefix;
      for (auto& k : kids) {
        if (k.name.rfind(pre, 0) != 0) continue;
        uint64_t n = 0;
        bool ok = k.name.size() > pre.size() && k.name.size() <= pre.size() + 10;
        for (size_t i = pre.size(); ok && i < k.name.size(); ++i) {
          ok = k.name[i] >= '0' && k.name[i] <= '9';
          n = n * 10 + static_cast<uint64_t>(k.name[i] - '0');
        }
        if (ok && n <= UINT32_MAX) m.emplace(static_cast<uint32_t>(n), std::move(k));
      }
      return {};
    };
    Status st = fill(private_dir_, "iNode", links_->inodes);
    if (st) st = fill(private_dir_dirs_, "dir_", links_->dirs);
    if (!st) links_->error = st.error();
  });
  if (links_->error) return fail(*links_->error);
  const auto& m = e.is_hard_link() ? links_->inodes : links_->dirs;
  auto it = m.find(e.special);
  if (it == m.end())
    return fail(ErrorCode::kNotFound, fmt::format("{}: catalog record", display_name()),
                fmt::format("hard link '{}' (CNID {}) refers to {}{}, which the private folder does not hold", e.name,
                            e.id, e.is_hard_link() ? "iNode" : "dir_", e.special),
                e.record_offset);
  if (e.is_hard_link() != it->second.is_file())
    return fail(ErrorCode::kMalformed, fmt::format("{}: catalog record", display_name()),
                fmt::format("link '{}' refers to a {}", e.name, it->second.is_file() ? "file" : "folder"), e.record_offset);
  return it->second;
}

Status Volume::walk(const std::string& path, const WalkVisitor& visit, Diagnostics& diags, unsigned max_depth,
                    bool include_private) const {
  UPSCOPE_TRY(CatalogEntry start, lookup(path));
  std::string base = path.empty() ? "/" : path;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  if (base.front() != '/') base.insert(base.begin(), '/');
  struct Item { std::string path; CatalogEntry entry; unsigned depth; };
  std::vector<Item> stack;
  stack.push_back({base, std::move(start), 0});
  std::unordered_set<uint32_t> seen_dirs;
  while (!stack.empty()) {
    Item it = std::move(stack.back());
    stack.pop_back();
    FileEntry fe;
    fe.path = it.path;
    fe.entry = it.entry;
    fe.target = it.entry;
    if (it.entry.is_hard_link() || it.entry.is_dir_link()) {
      auto t = resolve_link(it.entry);
      if (!t) diags.add(t.error());
      else fe.target = *t;
    }
    if (!visit(fe)) return {};
    if (!fe.target.is_folder()) continue;
    if (!seen_dirs.insert(fe.target.id).second) {
      diags.warning(fe.target.record_offset, display_name(),
                    fmt::format("{}: folder CNID {} is reached twice (directory link loop); not entered again", fe.path,
                                fe.target.id));
      continue;
    }
    if (it.depth >= max_depth) {
      diags.error(fe.target.record_offset, display_name(), fmt::format("{}: deeper than {} levels; not entered", fe.path, max_depth));
      continue;
    }
    auto kids = children(fe.target.id, &diags);
    if (!kids) {
      diags.add(kids.error());
      continue;
    }
    const std::string prefix = fe.path == "/" ? "/" : fe.path + "/";
    for (auto k = kids->rbegin(); k != kids->rend(); ++k) {
      if (!include_private && (k->id == private_dir_ || k->id == private_dir_dirs_) && k->is_folder() &&
          fe.target.id == kHFSRootFolderID)
        continue;
      stack.push_back({prefix + k->name, std::move(*k), it.depth + 1});
    }
  }
  return {};
}

Result<Volume::Counts> Volume::count_records() const {
  Counts c;
  if (catalog_->empty()) return c;
  const std::string where = fmt::format("{}: catalog record", display_name());
  UPSCOPE_CHECK(catalog_->scan(catalog_->header().firstLeafNode, [&](const BTRecord& r) -> Result<bool> {
    ByteReader tr(r.data);
    Cursor tc(tr);
    const uint16_t type = tc.u16be();
    if (!tc.ok()) return true;
    switch (type) {
      case kHFSPlusFolderRecord: ++c.folders; break;
      case kHFSPlusFileRecord: {
        ++c.files;
        auto e = parse_catalog_record(r.key, r.data, r.offset, where);
        if (e && e->is_hard_link()) ++c.hard_links;
        if (e && e->is_symlink()) ++c.symlinks;
        if (e && e->compressed()) ++c.compressed;
        break;
      }
      default: ++c.threads; break;
    }
    return true;
  }));
  return c;
}

}  // namespace upscope::hfs
