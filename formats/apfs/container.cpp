#include "apfs/container.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <shared_mutex>

#include <fmt/format.h>

#include "apfs/structs.hpp"
#include "apfs/volume.hpp"
#include "inspect/text.hpp"

namespace upscope::apfs {

namespace {
// Decoded objects kept (docs/formats/apfs.md §9). Where the device is mapped a cached block is a
// view (~130 bytes of heap): 65,536 of them hold every node of a 100,000-file volume's trees (25,278
// fs-tree nodes), where 8,192 were dropped again and again, and the lookups of each file's records
// after the walk re-read and re-checked nodes. Blocks copied out of an unmapped device (a dmg) own
// their 4 KiB, so fewer are kept there: 32 MiB.
constexpr size_t kObjectCacheMapped = 65536, kObjectCacheCopied = 8192;

// The cache's size for blocks viewed in place or copied. UPSCOPE_APFS_OBJECT_CACHE=N caps both at N
// (at least 2): a test makes a small volume fill and evict it all the time.
size_t object_cache_cap(bool copied) {
  static const size_t forced = [] {
    const char* env = std::getenv("UPSCOPE_APFS_OBJECT_CACHE");
    return env ? std::max<size_t>(2, std::strtoull(env, nullptr, 10)) : size_t{0};
  }();
  return forced ? forced : copied ? kObjectCacheCopied : kObjectCacheMapped;
}

// A B-tree node above the leaves: every lookup in its tree passes through one, and a tree has a
// few hundred of them for tens of thousands of leaves.
bool is_index_node(const Block& b) {
  if (b.type() != OBJECT_TYPE_BTREE && b.type() != OBJECT_TYPE_BTREE_NODE) return false;
  const auto flags = b.reader().u16le(32);  // btn_flags
  return flags && (*flags & BTNODE_LEAF) == 0;
}

// A full cache drops its leaves and other objects and keeps the index nodes, so the lookups after
// it read one leaf each instead of a whole path again; everything goes only if index nodes alone
// fill half of it.
void evict(std::unordered_map<uint64_t, BlockPtr>& objects, size_t cap) {
  for (auto it = objects.begin(); it != objects.end();) it = is_index_node(*it->second) ? std::next(it) : objects.erase(it);
  if (objects.size() >= cap / 2) objects.clear();
}
constexpr uint32_t kMaxCheckpointScan = 1u << 16;

bool is_power_of_two(uint64_t v) { return v && (v & (v - 1)) == 0; }

std::string nonzero_uuid(Bytes b) {
  for (uint8_t x : b)
    if (x) return uuid_string(b);
  return {};
}
}  // namespace

const char* volume_role_name(uint16_t role) {
  switch (role) {
    case 0x0: return "";
    case 0x1: return "system";
    case 0x2: return "user";
    case 0x4: return "recovery";
    case 0x8: return "vm";
    case 0x10: return "preboot";
    case 0x20: return "installer";
    case 0x40: return "data";
    case 0x80: return "baseband";
    case 0xc0: return "update";
    case 0x100: return "xart";
    case 0x140: return "hardware";
    case 0x180: return "backup";
    case 0x1c0: return "sidecar";
    case 0x200: return "reserved-8";
    case 0x240: return "enterprise";
    case 0x280: return "reserved-10";
    case 0x2c0: return "prelogin";
    default: return "unknown";
  }
}

const char* hash_type_name(uint32_t t) {
  switch (t) {
    case 1: return "sha256";
    case 2: return "sha512_256";
    case 3: return "sha384";
    case 4: return "sha512";
    default: return "unknown";
  }
}

static uint32_t hash_size(uint32_t t) {
  switch (t) {
    case 1: case 2: return 32;
    case 3: return 48;
    case 4: return 64;
    default: return 0;
  }
}

uint64_t Container::container_bytes() const {
  return std::min<uint64_t>(src_->size(), info_.block_count * uint64_t(info_.block_size));
}

Result<BlockPtr> Container::read_block(uint64_t paddr, const std::string& what) const {
  const uint64_t bs = info_.block_size;
  if (paddr >= info_.block_count)
    return fail(ErrorCode::kMalformed, fmt::format("{} at block {}", what, paddr),
                fmt::format("block lies past the container's nx_block_count {}", info_.block_count));
  if (paddr >= info_.device_blocks)
    return fail(ErrorCode::kTruncated, fmt::format("{} at block {}", what, paddr),
                fmt::format("block lies past the end of the device ({} of {} blocks present)", info_.device_blocks,
                            info_.block_count));
  auto b = std::make_shared<Block>();
  b->paddr = paddr;
  if (auto all = src_->contiguous()) {
    b->bytes = all->subspan(paddr * bs, bs);
  } else {
    b->owned.resize(bs);
    UPSCOPE_CHECK(src_->read_at(paddr * bs, b->owned));
    b->bytes = Bytes(b->owned);
  }
  b->header = object_header(b->bytes);
  return BlockPtr(std::move(b));
}

Result<BlockPtr> Container::read_object(uint64_t paddr, uint64_t expect_oid, uint32_t expect_type,
                                        const std::string& what, bool checksum) const {
  BlockPtr b;
  {
    std::shared_lock lk(cache_mu_);
    auto it = objects_.find(paddr);
    if (it != objects_.end()) b = it->second;
  }
  const uint64_t base = paddr * info_.block_size;
  if (!b) {
    UPSCOPE_TRY(b, read_block(paddr, what));
    if (checksum) {
      uint64_t computed = fletcher64(b->bytes);
      if (computed != b->header.cksum)
        return fail(ErrorCode::kMalformed, fmt::format("{} at block {}", what, paddr),
                    fmt::format("bad Fletcher-64 checksum: object oid {} xid {} stores 0x{:016x}, computed 0x{:016x}",
                                b->header.oid, b->header.xid, b->header.cksum, computed),
                    base);
      std::unique_lock lk(cache_mu_);
      const size_t cap = object_cache_cap(!b->owned.empty());
      if (objects_.size() >= cap) evict(objects_, cap);
      objects_.emplace(paddr, b);
    }
  }
  if (expect_oid && b->header.oid != expect_oid)
    return fail(ErrorCode::kMalformed, fmt::format("{} at block {}", what, paddr),
                fmt::format("object header names oid {} (xid {}), expected oid {}", b->header.oid, b->header.xid,
                            expect_oid),
                base + 8);
  if (expect_type && b->type() != expect_type)
    return fail(ErrorCode::kMalformed, fmt::format("{} at block {}", what, paddr),
                fmt::format("object type 0x{:x} ({}), expected 0x{:x} ({})", b->type(), object_type_name(b->type()),
                            expect_type, object_type_name(expect_type)),
                base + 24);
  return b;
}

Status Container::check_extent(uint64_t paddr, uint64_t length, const std::string& what) const {
  const uint64_t bs = info_.block_size;
  auto off = checked_mul(paddr, bs);
  auto end = off ? checked_add(*off, length) : std::nullopt;
  if (!end || *end > info_.block_count * bs)
    return fail(ErrorCode::kMalformed, what,
                fmt::format("extent at block {} ({} bytes) runs past the container ({} blocks)", paddr, length,
                            info_.block_count));
  if (*end > src_->size())
    return fail(ErrorCode::kTruncated, what,
                fmt::format("extent at block {} ({} bytes) runs past the end of the device ({} of {} blocks present)",
                            paddr, length, info_.device_blocks, info_.block_count));
  return {};
}

Result<OmapRef> Container::load_omap(uint64_t paddr, uint64_t xid, const std::string& what) const {
  UPSCOPE_TRY(auto b, read_object(paddr, paddr, OBJECT_TYPE_OMAP, what));
  UPSCOPE_TRY(auto om, b->reader().read<omap_phys_t>(0));
  return OmapRef{om.om_tree_oid, xid};
}

Result<Container::OmapHit> Container::omap_lookup(const OmapRef& omap, uint64_t oid, const std::string& what) const {
  const auto cache_key = std::make_pair(omap.tree_root, omap.xid);
  {
    std::shared_lock lk(cache_mu_);
    auto it = omap_cache_.find(cache_key);
    if (it != omap_cache_.end()) {
      auto hit = it->second.find(oid);
      if (hit != it->second.end()) return hit->second;
    }
  }
  const std::string label = "object map B-tree";
  uint64_t paddr = omap.tree_root;
  TreeInfo info;
  int parent_level = -1;
  for (unsigned depth = 0;; ++depth) {
    UPSCOPE_TRY(auto b, read_object(paddr, paddr, 0, label));
    if (b->type() != OBJECT_TYPE_BTREE && b->type() != OBJECT_TYPE_BTREE_NODE)
      return fail(ErrorCode::kMalformed, fmt::format("{} node at block {}", label, paddr),
                  fmt::format("object type 0x{:x} ({}) is not a B-tree node", b->type(), object_type_name(b->type())),
                  paddr * info_.block_size + 24);
    if (depth == 0) {
      UPSCOPE_TRY(info, read_tree_info(*b));
      if (info.key_size != 16 || info.val_size != 16)
        return fail(ErrorCode::kMalformed, fmt::format("{} root at block {}", label, paddr),
                    fmt::format("key/value sizes {}/{} are not 16/16", info.key_size, info.val_size));
    }
    UPSCOPE_TRY(auto node, Node::decode(b, info.key_size, info.val_size, label));
    if (depth == 0 && !node.is_root())
      return fail(ErrorCode::kMalformed, fmt::format("{} node at block {}", label, paddr),
                  "the tree's root node lacks BTNODE_ROOT", paddr * info_.block_size + 32);
    if (parent_level >= 0 && node.level() + 1 != parent_level)
      return fail(ErrorCode::kMalformed, fmt::format("{} node at block {}", label, paddr),
                  fmt::format("level {} under a level {} node: cycle or corrupt tree", node.level(), parent_level));
    // Last entry with (ok_oid, ok_xid) <= (oid, xid).
    uint32_t lo = 0, hi = node.nkeys();
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      UPSCOPE_TRY(auto e, node.entry(mid));
      Cursor k(ByteReader(e.key, 0, "omap key"));  // omap_key_t: oid, xid
      const uint64_t k_oid = k.u64le(), k_xid = k.u64le();
      if (!k.ok()) return fail(ErrorCode::kMalformed, label, "omap key shorter than 16 bytes");
      bool le = k_oid < oid || (k_oid == oid && k_xid <= omap.xid);
      if (le) lo = mid + 1;
      else hi = mid;
    }
    auto not_found = [&] {
      return fail(ErrorCode::kNotFound, what,
                  fmt::format("virtual oid {} has no object-map entry at or before xid {}", oid, omap.xid));
    };
    if (lo == 0) return not_found();
    UPSCOPE_TRY(auto e, node.entry(lo - 1));
    const ByteReader key(e.key, 0, "omap key"), val(e.val, 0, "omap value");
    if (e.val.size() < 8) return fail(ErrorCode::kMalformed, label, "omap value too short");
    if (e.key.size() < 16) return fail(ErrorCode::kMalformed, label, "omap key shorter than 16 bytes");
    if (node.is_leaf()) {
      // omap_val_t: flags (4), size (4), paddr (8)
      if (key.u64le(0).value_or(0) != oid || e.val.size() < 16) return not_found();
      OmapHit hit{val.u64le(8).value_or(0), val.u32le(0).value_or(0), key.u64le(8).value_or(0)};
      if (hit.flags & OMAP_VAL_DELETED) return not_found();
      std::unique_lock lk(cache_mu_);
      auto& m = omap_cache_[cache_key];
      if (m.size() > (1u << 20)) m.clear();
      m.emplace(oid, hit);
      return hit;
    }
    parent_level = node.level();
    paddr = val.u64le(0).value_or(0);
    if (depth + 1 >= kMaxTreeDepth)
      return fail(ErrorCode::kLimit, label, fmt::format("deeper than {} levels", kMaxTreeDepth));
  }
}

Status Container::load_superblock() {
  const std::string name = src_->name();
  std::vector<uint8_t> scratch;
  if (src_->size() < NX_MINIMUM_BLOCK_SIZE)
    return fail(ErrorCode::kTruncated, "container superblock", fmt::format("device holds {} bytes, less than one {}-byte block",
                                                                           src_->size(), NX_MINIMUM_BLOCK_SIZE), 0);
  UPSCOPE_TRY(auto head, src_->view(0, NX_MINIMUM_BLOCK_SIZE, scratch, "container superblock"));
  UPSCOPE_TRY(auto magic, head.u32le(32));
  if (magic != NX_MAGIC)
    return fail(ErrorCode::kMalformed, "container superblock", fmt::format("magic 0x{:08x} is not NXSB", magic), 32);
  UPSCOPE_TRY(auto bs, head.u32le(36));
  if (!is_power_of_two(bs) || bs < NX_MINIMUM_BLOCK_SIZE || bs > NX_MAXIMUM_BLOCK_SIZE)
    return fail(ErrorCode::kMalformed, "container superblock",
                fmt::format("nx_block_size {} is not a power of two in [{}, {}]", bs, NX_MINIMUM_BLOCK_SIZE,
                            NX_MAXIMUM_BLOCK_SIZE),
                36);
  UPSCOPE_TRY(auto count, head.u64le(40));
  if (count == 0 || count > (uint64_t(1) << 48))
    return fail(ErrorCode::kMalformed, "container superblock", fmt::format("nx_block_count {} is out of range", count), 40);
  info_.block_size = bs;
  info_.block_count = count;
  info_.device_blocks = std::min<uint64_t>(src_->size() / bs, count);
  if (info_.device_blocks == 0)
    return fail(ErrorCode::kTruncated, "container superblock", fmt::format("device is shorter than one {}-byte block", bs), 0);
  if (info_.device_blocks < count)
    diags_.note(std::nullopt, "container",
                fmt::format("device holds {} of the {} blocks nx_block_count declares (truncated or carved image)",
                            info_.device_blocks, count));

  // Block 0 may be stale; the checkpoint descriptor ring holds the newest superblock.
  auto b0 = read_block(0, "container superblock");
  if (!b0) return fail(b0.error());
  auto parse_nx = [&](const BlockPtr& b) -> Result<nx_superblock_head_t> { return b->reader().read<nx_superblock_head_t>(0); };
  UPSCOPE_TRY(auto nx0, parse_nx(*b0));
  bool b0_ok = fletcher64((*b0)->bytes) == (*b0)->header.cksum;
  if (!b0_ok)
    diags_.warning(0, "container superblock", fmt::format("block 0 copy has a bad Fletcher-64 checksum (stored 0x{:016x}, computed 0x{:016x})",
                                                          (*b0)->header.cksum, fletcher64((*b0)->bytes)));
  std::optional<nx_superblock_head_t> best;
  uint64_t best_paddr = 0;
  if (b0_ok) best = nx0;
  if (nx0.nx_xp_desc_blocks & 0x80000000u) {
    diags_.note(112, "container superblock", "checkpoint descriptor area is a B-tree (non-contiguous); using block 0");
  } else {
    uint32_t n = std::min(nx0.nx_xp_desc_blocks, kMaxCheckpointScan);
    for (uint32_t i = 0; i < n; ++i) {
      auto paddr = checked_add(nx0.nx_xp_desc_base, i);
      if (!paddr || *paddr >= info_.device_blocks) {
        diags_.note(std::nullopt, "checkpoint descriptor area",
                    fmt::format("block {} lies past the end of the device; scan stopped", paddr ? *paddr : 0));
        break;
      }
      auto b = read_block(*paddr, "checkpoint descriptor");
      if (!b) break;
      if ((*b)->type() != OBJECT_TYPE_NX_SUPERBLOCK) continue;
      if (fletcher64((*b)->bytes) != (*b)->header.cksum) {
        diags_.note(*paddr * bs, "checkpoint descriptor area",
                    fmt::format("superblock copy at block {} (xid {}) has a bad Fletcher-64 checksum; skipped", *paddr,
                                (*b)->header.xid));
        continue;
      }
      auto nx = parse_nx(*b);
      if (!nx || nx->nx_magic != NX_MAGIC || nx->nx_block_size != bs) continue;
      ++info_.checkpoints_seen;
      if (!best || nx->nx_o.o_xid > best->nx_o.o_xid) {
        best = *nx;
        best_paddr = *paddr;
      }
    }
  }
  if (!best)
    return fail(ErrorCode::kMalformed, "container superblock",
                "no superblock with a valid Fletcher-64 checksum in block 0 or the checkpoint descriptor area", 0);
  const nx_superblock_head_t& nx = *best;
  if (nx.nx_block_count != count) {
    info_.block_count = nx.nx_block_count;
    info_.device_blocks = std::min<uint64_t>(src_->size() / bs, info_.block_count);
  }
  info_.uuid = uuid_string(Bytes(nx.nx_uuid, 16));
  info_.features = nx.nx_features;
  info_.readonly_compatible_features = nx.nx_readonly_compatible_features;
  info_.incompatible_features = nx.nx_incompatible_features;
  info_.xid = nx.nx_o.o_xid;
  info_.superblock_paddr = best_paddr;
  info_.next_xid = nx.nx_next_xid;
  info_.omap_oid = nx.nx_omap_oid;
  info_.xp_desc_blocks = nx.nx_xp_desc_blocks;
  info_.xp_desc_base = nx.nx_xp_desc_base;
  info_.max_file_systems = nx.nx_max_file_systems;
  const uint32_t slots = std::min<uint32_t>(nx.nx_max_file_systems ? nx.nx_max_file_systems : NX_MAX_FILE_SYSTEMS,
                                            NX_MAX_FILE_SYSTEMS);
  fs_oids_.assign(nx.nx_fs_oid, nx.nx_fs_oid + slots);
  return {};
}

Result<VolumeInfo> Container::read_volume_info(size_t index, uint64_t oid) const {
  VolumeInfo v;
  v.index = index;
  v.oid = oid;
  const std::string what = fmt::format("volume superblock {} (oid {})", index, oid);
  UPSCOPE_TRY(auto hit, omap_lookup(omap_, oid, what));
  UPSCOPE_TRY(auto b, read_object(hit.paddr, oid, OBJECT_TYPE_FS, what));
  ByteReader r = b->reader("volume superblock");
  Cursor c(r, 32);
  uint32_t magic = c.u32le();
  if (magic != APFS_MAGIC)
    return fail(ErrorCode::kMalformed, what, fmt::format("magic 0x{:08x} is not APSB", magic), hit.paddr * block_size() + 32);
  v.paddr = hit.paddr;
  v.xid = b->header.xid;
  v.fs_index = c.u32le();
  v.features = c.u64le();
  v.readonly_compatible_features = c.u64le();
  v.incompatible_features = c.u64le();
  v.unmount_time = c.u64le();
  c.seek(88);
  v.alloc_blocks = c.u64le();
  c.seek(116);
  v.root_tree_type = c.u32le();
  c.seek(128);
  v.omap_oid = c.u64le();
  v.root_tree_oid = c.u64le();
  v.extentref_tree_oid = c.u64le();
  v.snap_meta_tree_oid = c.u64le();
  c.seek(184);
  v.num_files = c.u64le();
  v.num_directories = c.u64le();
  v.num_symlinks = c.u64le();
  v.num_other = c.u64le();
  v.num_snapshots = c.u64le();
  c.seek(240);
  v.uuid = uuid_string(c.bytes(16));
  v.last_mod_time = c.u64le();
  v.fs_flags = c.u64le();
  v.formatted_by = std::string(c.fixed_string(32));
  c.seek(964);
  v.role = c.u16le();
  c.seek(1008);
  v.volume_group_id = nonzero_uuid(c.bytes(16));
  v.integrity_meta_oid = c.u64le();
  v.fext_tree_oid = c.u64le();
  v.fext_tree_type = c.u32le();
  if (!c.ok()) return fail(c.error());
  auto name = r.cstring(704, 256);
  v.name = name ? std::string(*name) : std::string(*r.fixed_string(704, 256));
  v.role_name = volume_role_name(v.role);
  v.case_sensitive = (v.incompatible_features & APFS_INCOMPAT_CASE_INSENSITIVE) == 0;
  v.normalization_insensitive = (v.incompatible_features & APFS_INCOMPAT_NORMALIZATION_INSENSITIVE) != 0;
  v.sealed = (v.incompatible_features & APFS_INCOMPAT_SEALED_VOLUME) != 0 || v.integrity_meta_oid != 0;
  v.encrypted = (v.fs_flags & APFS_FS_UNENCRYPTED) == 0;
  if (v.integrity_meta_oid) {
    // Unverified on real bytes (no sealed sample): integrity_meta_phys_t through the volume omap.
    auto im = [&]() -> Result<IntegrityInfo> {
      UPSCOPE_TRY(auto vomap, load_omap(v.omap_oid, info_.xid, "volume object map"));
      UPSCOPE_TRY(auto ih, omap_lookup(vomap, v.integrity_meta_oid, "integrity metadata"));
      UPSCOPE_TRY(auto ib, read_object(ih.paddr, v.integrity_meta_oid, OBJECT_TYPE_INTEGRITY_META, "integrity metadata"));
      UPSCOPE_TRY(auto raw, ib->reader().read<integrity_meta_phys_t>(0));
      IntegrityInfo ii;
      ii.oid = v.integrity_meta_oid;
      ii.version = raw.im_version;
      ii.flags = raw.im_flags;
      ii.hash_type = raw.im_hash_type;
      ii.hash_type_name = hash_type_name(raw.im_hash_type);
      ii.root_hash_offset = raw.im_root_hash_offset;
      ii.broken_xid = raw.im_broken_xid;
      if (auto h = ib->reader().bytes(raw.im_root_hash_offset, hash_size(raw.im_hash_type)); h && !h->empty())
        ii.root_hash = to_hex(*h);
      return ii;
    }();
    if (im) v.integrity = *im;
    else v.error = "integrity metadata: " + im.error().message();
  }
  return v;
}

void Container::load_volumes() {
  auto omap = load_omap(info_.omap_oid, info_.xid, "container object map");
  if (!omap) {
    diags_.add(omap.error());
  } else {
    omap_ = *omap;
  }
  for (uint32_t i = 0; i < fs_oids_.size(); ++i) {
    uint64_t oid = fs_oids_[i];
    if (!oid) continue;
    Result<VolumeInfo> v = omap ? read_volume_info(volumes_.size(), oid) : Result<VolumeInfo>(fail(omap.error()));
    if (!v) {
      VolumeInfo bad;
      bad.index = volumes_.size();
      bad.oid = oid;
      bad.error = v.error().message();
      if (omap) diags_.add(v.error());  // a broken omap is reported once, above
      volumes_.push_back(std::move(bad));
      continue;
    }
    if (!v->error.empty()) diags_.warning(std::nullopt, fmt::format("volume '{}'", v->name), v->error);
    volumes_.push_back(std::move(*v));
  }
}

Result<std::shared_ptr<Container>> Container::open(SourcePtr src) {
  std::shared_ptr<Container> c(new Container());
  c->src_ = std::move(src);
  auto st = c->load_superblock();
  if (!st) return fail(st.error().in_file(c->src_->name()));
  c->load_volumes();
  return c;
}

Result<std::shared_ptr<const Volume>> Container::open_volume(size_t index) const {
  if (index >= volumes_.size())
    return fail(ErrorCode::kNotFound, "container", fmt::format("no volume {} (the container holds {})", index, volumes_.size()));
  const VolumeInfo& v = volumes_[index];
  if (!v.error.empty() && v.name.empty())
    return fail(ErrorCode::kMalformed, fmt::format("volume {}", index), v.error);
  auto r = Volume::open(shared_from_this(), v);
  if (!r) return fail(r.error().in_file(src_->name()));
  return r;
}

Result<std::shared_ptr<const Volume>> Container::open_volume(const std::string& name_or_index) const {
  for (size_t i = 0; i < volumes_.size(); ++i)
    if (volumes_[i].name == name_or_index) return open_volume(i);
  if (!name_or_index.empty() && std::all_of(name_or_index.begin(), name_or_index.end(), ::isdigit) &&
      name_or_index.size() < 4)
    return open_volume(static_cast<size_t>(std::stoul(name_or_index)));
  std::string names;
  for (const auto& v : volumes_) names += (names.empty() ? "'" : ", '") + v.name + "'";
  return fail(ErrorCode::kNotFound, "container",
              fmt::format("no volume named '{}' (volumes: {})", name_or_index, names.empty() ? "none" : names));
}

}  // namespace upscope::apfs
