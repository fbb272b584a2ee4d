#include "apfs/btree.hpp"

#include <fmt/format.h>

#include "apfs/container.hpp"
#include "apfs/structs.hpp"

namespace upscope::apfs {

namespace {
constexpr uint32_t kHeader = sizeof(btree_node_phys_head_t);
constexpr uint32_t kInfo = sizeof(btree_info_t);  // at the end of a root node
}  // namespace

Result<Node> Node::decode(BlockPtr block, uint32_t fixed_key_size, uint32_t fixed_val_size, const std::string& label) {
  Node n;
  const uint64_t bs = block->bytes.size();
  const uint64_t base = block->paddr * bs;
  // The message's "where" is formatted only for a bad node: a volume listing decodes millions of good ones.
  auto bad = [&](uint64_t off, std::string rule) {
    return fail(ErrorCode::kMalformed, fmt::format("{} node at block {}", label, block->paddr), std::move(rule),
                base + off);
  };
  auto h = block->reader().read<btree_node_phys_head_t>(0);
  if (!h) return bad(0, "block too small for a B-tree node header");
  n.flags_ = h->btn_flags;
  n.level_ = h->btn_level;
  n.nkeys_ = h->btn_nkeys;
  if (n.level_ >= kMaxTreeDepth)
    return bad(34, fmt::format("btn_level {} exceeds the depth limit of {}", n.level_, kMaxTreeDepth));
  if (((n.flags_ & BTNODE_LEAF) != 0) != (n.level_ == 0))
    return bad(32, fmt::format("btn_flags 0x{:x} and btn_level {} disagree on whether this is a leaf", n.flags_, n.level_));
  uint64_t val_end = bs - ((n.flags_ & BTNODE_ROOT) ? kInfo : 0);
  uint64_t toc_off = uint64_t(kHeader) + h->btn_table_space.off;
  uint64_t key_start = toc_off + h->btn_table_space.len;
  if (bs < kHeader + kInfo || key_start > val_end)
    return bad(40, fmt::format("btn_table_space [{}, +{}) runs past the value area end {}", toc_off,
                               h->btn_table_space.len, val_end));
  const uint64_t entry_size = (n.flags_ & BTNODE_FIXED_KV_SIZE) ? 4 : 8;
  if (uint64_t(n.nkeys_) * entry_size > h->btn_table_space.len)
    return bad(36, fmt::format("btn_nkeys {} needs {} bytes of table of contents but btn_table_space.len is {}",
                               n.nkeys_, uint64_t(n.nkeys_) * entry_size, h->btn_table_space.len));
  if (n.flags_ & BTNODE_FIXED_KV_SIZE) {
    if (fixed_key_size == 0 || fixed_key_size > bs || fixed_val_size > bs)
      return bad(32, fmt::format("fixed-size node without usable key/value sizes ({}/{})", fixed_key_size, fixed_val_size));
  }
  n.block_ = std::move(block);
  n.label_ = label;
  n.toc_off_ = static_cast<uint32_t>(toc_off);
  n.toc_len_ = h->btn_table_space.len;
  n.key_start_ = static_cast<uint32_t>(key_start);
  n.val_end_ = static_cast<uint32_t>(val_end);
  n.fixed_key_ = fixed_key_size;
  n.fixed_val_ = fixed_val_size;
  return n;
}

Result<TreeInfo> read_tree_info(const Block& root) {
  const uint64_t size = root.bytes.size();
  if (size < kInfo) return fail(ErrorCode::kTruncated, "btree_info_t", fmt::format("block of {} bytes", size));
  Cursor c(root.reader("btree_info_t"), size - kInfo);
  TreeInfo t;
  t.flags = c.u32le();
  t.node_size = c.u32le();
  t.key_size = c.u32le();
  t.val_size = c.u32le();
  t.longest_key = c.u32le();
  t.longest_val = c.u32le();
  t.key_count = c.u64le();
  t.node_count = c.u64le();
  if (!c.ok()) return fail(c.error());
  return t;
}

bool Node::is_leaf() const { return (flags_ & BTNODE_LEAF) != 0; }
bool Node::is_root() const { return (flags_ & BTNODE_ROOT) != 0; }

std::optional<TreeInfo> Node::info() const {
  if (!is_root()) return std::nullopt;
  auto i = read_tree_info(*block_);
  if (!i) return std::nullopt;
  return *i;
}

Result<NodeEntry> Node::entry(uint32_t i) const {
  const uint8_t* p = block_->bytes.data();
  const uint64_t base = block_->paddr * block_->bytes.size();
  uint64_t koff, klen, voff, vlen;
  // The table-of-contents entry is read only once it is known to exist and to lie in the block.
  const uint64_t toc_entry = (flags_ & BTNODE_FIXED_KV_SIZE) ? 4 : 8;
  if (i >= nkeys_ || uint64_t(toc_off_) + toc_entry * (uint64_t(i) + 1) > block_->bytes.size())
    return fail(ErrorCode::kMalformed, fmt::format("{} node at block {}", label_, block_->paddr),
                fmt::format("entry {} is not in the table of contents ({} entries of {} bytes at +{})", i, nkeys_,
                            toc_entry, toc_off_),
                base + toc_off_);
  Cursor t(block_->reader("table of contents"), toc_off_ + toc_entry * i);
  if (flags_ & BTNODE_FIXED_KV_SIZE) {  // kvoff_t
    koff = t.u16le();
    voff = t.u16le();
    klen = fixed_key_;
    // Index nodes of fixed-size trees hold child oids (plus a hash in hashed trees).
    vlen = is_leaf() ? fixed_val_ : 8;
  } else {  // kvloc_t
    koff = t.u16le();
    klen = t.u16le();
    voff = t.u16le();
    vlen = t.u16le();
  }
  if (!t.ok()) return fail(t.error());
  if (!range_fits(key_start_ + koff, klen, val_end_))
    return fail(ErrorCode::kMalformed, fmt::format("{} node at block {}", label_, block_->paddr),
                fmt::format("entry {} key [{}, +{}) lies outside the key area [{}, {})", i, key_start_ + koff, klen,
                            key_start_, val_end_),
                base + toc_off_);
  NodeEntry e;
  e.key = Bytes(p + key_start_ + koff, klen);
  if (voff == 0xffff) {  // a ghost: key without value
    e.val = Bytes();
    return e;
  }
  if (voff > val_end_ || val_end_ - voff < key_start_ || !range_fits(val_end_ - voff, vlen, val_end_))
    return fail(ErrorCode::kMalformed, fmt::format("{} node at block {}", label_, block_->paddr),
                fmt::format("entry {} value [{}, +{}) lies outside the value area [{}, {})", i,
                            int64_t(val_end_) - int64_t(voff), vlen, key_start_, val_end_),
                base + toc_off_);
  e.val = Bytes(p + val_end_ - voff, vlen);
  return e;
}

Result<Node> BTree::load(uint64_t oid, const TreeInfo& parent_info, bool is_root) const {
  uint64_t paddr = oid;
  bool checksum = true;
  if (ref_.omap) {
    UPSCOPE_TRY(auto hit, c_->omap_lookup(*ref_.omap, oid, node_label_));
    if (hit.flags & OMAP_VAL_ENCRYPTED)
      return fail(ErrorCode::kUnsupported, ref_.label,
                  fmt::format("node oid {} is encrypted (omap flags 0x{:x}); no key to decrypt it", oid, hit.flags));
    paddr = hit.paddr;
    checksum = (hit.flags & OMAP_VAL_NOHEADER) == 0;
  }
  UPSCOPE_TRY(auto block, c_->read_object(paddr, oid, 0, node_label_, checksum));
  uint32_t t = block->type();
  if (checksum && t != OBJECT_TYPE_BTREE && t != OBJECT_TYPE_BTREE_NODE)
    return fail(ErrorCode::kMalformed, fmt::format("{} node at block {}", ref_.label, paddr),
                fmt::format("object type 0x{:x} ({}) is not a B-tree node", t, object_type_name(t)),
                paddr * c_->block_size() + 24);
  if (checksum && ref_.subtype && block->header.subtype != ref_.subtype)
    return fail(ErrorCode::kMalformed, fmt::format("{} node at block {}", ref_.label, paddr),
                fmt::format("object subtype 0x{:x} is not the tree's 0x{:x}", block->header.subtype, ref_.subtype),
                paddr * c_->block_size() + 28);
  TreeInfo info = parent_info;
  if (is_root) {
    UPSCOPE_TRY(info, read_tree_info(*block));
  }
  UPSCOPE_TRY(auto node, Node::decode(block, info.key_size, info.val_size, ref_.label));
  if (is_root && !node.is_root())
    return fail(ErrorCode::kMalformed, fmt::format("{} node at block {}", ref_.label, paddr),
                "the tree's root node lacks BTNODE_ROOT", paddr * c_->block_size() + 32);
  return node;
}

Result<Node> BTree::root() const {
  TreeInfo none;
  UPSCOPE_TRY(auto node, load(ref_.root_oid, none, true));
  if (!node.info()) return fail(ErrorCode::kMalformed, ref_.label, "root node has no btree_info_t");
  return node;
}

Status BTree::scan(const KeyCompare& lower, const EntryVisitor& visit) const {
  UPSCOPE_TRY(auto root_node, root());
  TreeInfo info = *root_node.info();
  bool stop = false;
  std::unordered_set<uint64_t> seen;
  seen.insert(root_node.paddr());
  return scan_node(root_node, info, lower, visit, stop, seen);
}

Status BTree::scan_node(const Node& n, const TreeInfo& info, const KeyCompare& lower, const EntryVisitor& visit,
                        bool& stop, std::unordered_set<uint64_t>& seen) const {
  // Binary search for the first key not below `lower` (leaf) or the last child below it (index).
  uint32_t lo = 0, hi = n.nkeys();
  if (lower) {
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      UPSCOPE_TRY(auto e, n.entry(mid));
      if (lower(e.key) < 0) lo = mid + 1;
      else hi = mid;
    }
  }
  if (n.is_leaf()) {
    for (uint32_t i = lo; i < n.nkeys(); ++i) {
      UPSCOPE_TRY(auto e, n.entry(i));
      if (!visit(e.key, e.val)) {
        stop = true;
        return {};
      }
    }
    return {};
  }
  uint32_t start = lo > 0 ? lo - 1 : 0;
  for (uint32_t i = start; i < n.nkeys() && !stop; ++i) {
    UPSCOPE_TRY(auto e, n.entry(i));
    if (e.val.size() < 8)
      return fail(ErrorCode::kMalformed, fmt::format("{} node at block {}", ref_.label, n.paddr()),
                  fmt::format("index entry {} value is {} bytes, too short for a child oid", i, e.val.size()));
    uint64_t child_oid = ByteReader(e.val).u64le(0).value_or(0);  // 8 bytes at least: checked above
    if (n.flags() & BTNODE_HASHED) {
      // Hashed (sealed-volume) trees store btn_index_node_val_t {oid, hash}, the oid relative to the
      // root node's: 7-Zip's ApfsHandler and the linux-apfs driver both add apfs_root_tree_oid.
      auto abs = checked_add(child_oid, ref_.root_oid);
      if (!abs)
        return fail(ErrorCode::kMalformed, fmt::format("{} node at block {}", ref_.label, n.paddr()),
                    fmt::format("index entry {} child oid {} + root oid {} overflows", i, child_oid, ref_.root_oid));
      child_oid = *abs;
    }
    UPSCOPE_TRY(auto child, load(child_oid, info, false));
    if (child.level() + 1 != n.level())
      return fail(ErrorCode::kMalformed, fmt::format("{} node at block {}", ref_.label, n.paddr()),
                  fmt::format("child oid {} (block {}) has level {} under a level {} node: cycle or corrupt tree",
                              child_oid, child.paddr(), child.level(), n.level()));
    if (!seen.insert(child.paddr()).second)
      return fail(ErrorCode::kLimit, fmt::format("{} node at block {}", ref_.label, n.paddr()),
                  fmt::format("child oid {} (block {}) is reached twice: shared subtree or cycle", child_oid,
                              child.paddr()));
    UPSCOPE_CHECK(scan_node(child, info, lower, visit, stop, seen));
  }
  return {};
}

}  // namespace upscope::apfs
