// BOM trees (docs/formats/bom.md §4): a walk over the branches from the root for the shape (node
// counts, depth, cycles), then the leaf chain for the entries in key order.
#include <unordered_set>

#include <fmt/format.h>

#include "bom/store.hpp"
#include "bom/structs.hpp"
#include "inspect/text.hpp"

namespace upscope::bom {

namespace {

constexpr uint32_t kMaxDepth = 64;

struct Node {
  bool leaf = false;
  uint32_t forward = 0, backward = 0;
  uint64_t address = 0;
  std::vector<TreeEntry> entries;
  std::vector<uint32_t> children;  // branch: each entry's value, then the trailing right-most child
};

class Walker {
 public:
  Walker(const Store& s, const std::string& name, Diagnostics& d) : s_(s), name_(name), d_(d) {}

  std::string node_label(uint32_t block) const { return fmt::format("{} tree node (block {})", name_, block); }

  Result<Node> read_node(uint32_t block) const {
    UPSCOPE_TRY(ByteReader r, s_.block(block, name_ + " tree node"));
    Node n;
    n.address = r.base();
    if (r.size() < kNodeHeaderSize)
      return fail(ErrorCode::kTruncated, node_label(block),
                  fmt::format("{} bytes, shorter than the 12-byte node header", r.size()), n.address);
    const uint16_t flag = *r.u16be(0);
    const uint16_t count = *r.u16be(2);
    n.forward = *r.u32be(4);
    n.backward = *r.u32be(8);
    if (flag > 1)
      return fail(ErrorCode::kMalformed, node_label(block), fmt::format("leaf flag {} is neither 0 nor 1", flag),
                  n.address);
    n.leaf = flag == 1;
    const uint64_t need = kNodeHeaderSize + uint64_t{count} * kNodeEntrySize;
    if (need > r.size())
      return fail(ErrorCode::kMalformed, node_label(block),
                  fmt::format("{} entries need {} bytes, the block has {}", count, need, r.size()), n.address);
    n.entries.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t at = kNodeHeaderSize + i * kNodeEntrySize;
      n.entries.push_back({*r.u32be(at), *r.u32be(at + 4)});
    }
    if (!n.leaf) {
      for (const auto& e : n.entries) n.children.push_back(e.value);
      // Apple's writer keeps the right-most child as a bare u32 after the keyed entries (§4).
      if (auto trailing = r.u32be(need); trailing && *trailing != 0) n.children.push_back(*trailing);
      if (n.children.empty())
        return fail(ErrorCode::kMalformed, node_label(block), "branch node has no children", n.address);
    }
    return n;
  }

  // Branches from the root: node counts, depth, the leaves in walk order. False on an error.
  bool walk_shape(uint32_t root, TreeStats& st, std::vector<uint32_t>& leaves) {
    struct Item {
      uint32_t block;
      uint32_t depth;
    };
    std::vector<Item> stack{{root, 1}};
    std::unordered_set<uint32_t> seen;
    while (!stack.empty()) {
      Item it = stack.back();
      stack.pop_back();
      if (it.depth > kMaxDepth) {
        d_.error(std::nullopt, node_label(it.block), fmt::format("the tree is deeper than {} levels", kMaxDepth));
        return false;
      }
      auto n = read_node(it.block);
      if (!n) {
        d_.add(n.error());
        return false;
      }
      if (!seen.insert(it.block).second) {
        d_.error(n->address, node_label(it.block), "reached a second time from the root: the tree has a cycle or a shared node");
        return false;
      }
      if (it.depth > st.depth) st.depth = it.depth;
      if (n->leaf) {
        ++st.leaf_nodes;
        leaves.push_back(it.block);
        continue;
      }
      ++st.branch_nodes;
      // Pushed in reverse so the left-most child is walked first (leaves come out in key order).
      for (auto c = n->children.rbegin(); c != n->children.rend(); ++c) stack.push_back({*c, it.depth + 1});
    }
    return true;
  }

  // The leaf chain from `first`: the entries in key order. False on an error.
  // `reached`: the leaves the branch walk found (null when it failed), to cross-check the chain.
  bool walk_chain(uint32_t first, const std::unordered_set<uint32_t>* reached, TreeStats& st,
                  std::vector<TreeEntry>* out) {
    std::unordered_set<uint32_t> seen;
    uint32_t prev = 0;
    for (uint32_t block = first; block != 0;) {
      auto n = read_node(block);
      if (!n) {
        d_.add(n.error());
        return false;
      }
      if (!n->leaf) {
        d_.error(n->address, node_label(block),
                 fmt::format("is a branch node, but the forward link of leaf block {} points at it", prev));
        return false;
      }
      if (!seen.insert(block).second) {
        d_.error(n->address, node_label(block), "reached a second time along the leaf chain: the chain has a cycle");
        return false;
      }
      if (n->backward != prev)
        d_.warning(n->address, node_label(block),
                   fmt::format("backward link {} is not the previous leaf ({})", n->backward, prev));
      if (reached && !reached->count(block))
        d_.warning(n->address, node_label(block), "is on the leaf chain, but no branch points at it");
      st.entries += n->entries.size();
      if (out) out->insert(out->end(), n->entries.begin(), n->entries.end());
      prev = block;
      block = n->forward;
    }
    if (reached) {
      size_t missing = 0;
      for (uint32_t b : *reached) missing += !seen.count(b);
      if (missing)
        d_.warning(std::nullopt, name_ + " tree",
                   fmt::format("{} of the {} leaves reached from the root are not on the leaf chain", missing,
                               reached->size()));
    }
    return true;
  }

 private:
  const Store& s_;
  const std::string& name_;
  Diagnostics& d_;
};

}  // namespace

TreeStats walk_tree(const Store& s, const std::string& name, uint32_t header_block, std::vector<TreeEntry>* entries,
                    Diagnostics& d) {
  TreeStats st;
  st.name = name;
  st.header_block = header_block;
  auto hr = s.block(header_block, name + " tree header");
  if (!hr) {
    d.add(hr.error());
    return st;
  }
  const std::string label = fmt::format("{} tree header (block {})", name, header_block);
  if (hr->size() < kTreeHeaderSize) {
    d.error(hr->base(), label, fmt::format("{} bytes, shorter than the 21-byte tree header", hr->size()));
    return st;
  }
  if (!hr->starts_with(kTreeMagic)) {
    d.error(hr->base(), label, fmt::format("magic '{}' is not 'tree'", printable(*hr->bytes(0, 4))));
    return st;
  }
  if (uint32_t v = *hr->u32be(4); v != 1) d.warning(hr->base(), label, fmt::format("version {} (1 expected)", v));
  st.root_block = *hr->u32be(8);
  st.node_size = *hr->u32be(12);
  st.declared_entries = *hr->u32be(16);

  Walker w(s, name, d);
  std::vector<uint32_t> leaves;
  const bool shape_ok = w.walk_shape(st.root_block, st, leaves);
  if (leaves.empty()) return st;
  std::unordered_set<uint32_t> reached(leaves.begin(), leaves.end());
  const bool chain_ok = w.walk_chain(leaves.front(), shape_ok ? &reached : nullptr, st, entries);
  st.complete = shape_ok && chain_ok;
  if (st.complete && st.entries != st.declared_entries)
    d.warning(hr->base(), label,
              fmt::format("declares {} entries, the leaves hold {}", st.declared_entries, st.entries));
  return st;
}

}  // namespace upscope::bom
