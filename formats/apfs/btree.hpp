// APFS B-trees (btree_node_phys_t): node decoding with every offset checked against the node,
// ordered range scans for the fs, snapshot and fext trees, and the omap (oid, xid) lookup.
// Guards: a child must sit exactly one level below its parent (so no path can loop), the root level
// is capped, and a scan that reaches the same node twice stops with an error (shared-subtree bombs).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>

#include "apfs/object.hpp"
#include "inspect/result.hpp"

namespace upscope::apfs {

class Container;

inline constexpr uint16_t kMaxTreeDepth = 16;  // real trees are 1-5 levels deep

struct NodeEntry {
  Bytes key;
  Bytes val;
};

// The btree_info_t a root node ends with: what the whole tree shares.
struct TreeInfo {
  uint32_t flags = 0, node_size = 0, key_size = 0, val_size = 0;  // key/val sizes: fixed-size trees
  uint32_t longest_key = 0, longest_val = 0;
  uint64_t key_count = 0, node_count = 0;
};
// The last 40 bytes of a root node's block, read field by field.
Result<TreeInfo> read_tree_info(const Block& root);

// A decoded node: the block plus the bounds of its table of contents, key and value areas.
class Node {
 public:
  // Checks the header fields and areas; key/val sizes are used for fixed-size nodes.
  static Result<Node> decode(BlockPtr block, uint32_t fixed_key_size, uint32_t fixed_val_size,
                             const std::string& label);
  uint16_t flags() const { return flags_; }
  uint16_t level() const { return level_; }
  uint32_t nkeys() const { return nkeys_; }
  bool is_leaf() const;
  bool is_root() const;
  uint64_t paddr() const { return block_->paddr; }
  const Block& block() const { return *block_; }
  // Entry i, with both spans checked to lie inside the key / value areas.
  Result<NodeEntry> entry(uint32_t i) const;
  // The tree's info, when this is the root node.
  std::optional<TreeInfo> info() const;

 private:
  BlockPtr block_;
  std::string label_;
  uint16_t flags_ = 0, level_ = 0;
  uint32_t nkeys_ = 0;
  uint32_t toc_off_ = 0, toc_len_ = 0, key_start_ = 0, val_end_ = 0;
  uint32_t fixed_key_ = 0, fixed_val_ = 0;
};

// Where a tree's child pointers lead: physical block numbers, or virtual oids through an omap.
struct OmapRef {
  uint64_t tree_root = 0;  // paddr of the omap's B-tree root
  uint64_t xid = 0;        // look virtual oids up at this transaction
};

struct TreeRef {
  uint64_t root_oid = 0;
  std::optional<OmapRef> omap;  // nullopt: child oids are physical
  uint32_t subtype = 0;         // expected o_subtype of every node (0 = any)
  std::string label;            // "fs tree of volume 'x'" for messages
};

// -1 key < target, 0 equal, +1 key > target.
using KeyCompare = std::function<int(Bytes key)>;
// Return false to stop the scan.
using EntryVisitor = std::function<bool(Bytes key, Bytes val)>;

class BTree {
 public:
  BTree(const Container& c, TreeRef ref) : c_(&c), ref_(std::move(ref)), node_label_(ref_.label + " node") {}
  // Visits leaf entries in key order, starting at the first whose key is not below `lower`
  // (lower == nullptr: from the start).
  Status scan(const KeyCompare& lower, const EntryVisitor& visit) const;
  const TreeRef& ref() const { return ref_; }
  Result<Node> root() const;

 private:
  Result<Node> load(uint64_t oid, const TreeInfo& parent_info, bool is_root) const;
  Status scan_node(const Node& n, const TreeInfo& info, const KeyCompare& lower, const EntryVisitor& visit,
                   bool& stop, std::unordered_set<uint64_t>& seen) const;
  const Container* c_;
  TreeRef ref_;
  std::string node_label_;  // "<label> node", for messages: made once, not at every node loaded
};

}  // namespace upscope::apfs
