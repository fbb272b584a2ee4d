// HFS+ B-trees (catalog, extents overflow, attributes): header node, index descent and the leaf
// chain. Every node number is checked against the tree, every node's records against the node;
// the descent refuses cycles and trees deeper than the header says (or than 16 levels), and the
// leaf scan refuses a chain that loops.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hfs/structs.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope::hfs {

class ForkSource;

struct BTRecord {
  Bytes key;        // including the 2-byte keyLength
  Bytes data;       // the record after the key (index nodes: the 4-byte child pointer)
  uint32_t node = 0;
  uint64_t offset = 0;  // of the record in the volume (for messages)
};

class BTree {
 public:
  static constexpr unsigned kMaxDepth = 16;
  // `file` is the tree's special file; `name` ("catalog B-tree") and `display` (the volume) label messages.
  static Result<std::unique_ptr<BTree>> open(std::shared_ptr<const ForkSource> file, std::string name,
                                             std::string display);

  const BTHeaderRec& header() const { return header_; }
  const std::string& name() const { return name_; }

  // <0: key sorts before the target, 0: equal, >0: after.
  using KeyCompare = std::function<int(Bytes key)>;
  // The leaf whose records start at or just before the target (the last key <= target at each level).
  Result<uint32_t> find_leaf(const KeyCompare& cmp) const;
  // Records from `leaf` onward along the leaf chain until visit returns false. Cycle-guarded.
  using RecordVisitor = std::function<Result<bool>(const BTRecord&)>;
  Status scan(uint32_t leaf, const RecordVisitor& visit) const;
  // find_leaf + scan, skipping records that sort before the target.
  Status scan_from(const KeyCompare& cmp, const RecordVisitor& visit) const;
  bool empty() const { return header_.rootNode == 0 || header_.leafRecords == 0; }

 private:
  struct Node {
    std::vector<uint8_t> scratch;
    Bytes bytes;
    BTNodeDescriptor desc;
    std::vector<uint16_t> offsets;  // numRecords + 1 (the last is the free space start)
    uint64_t volume_offset = 0;
  };
  BTree() = default;
  Status read_node(uint32_t n, Node& out) const;
  Result<BTRecord> record(const Node& node, uint32_t n, uint16_t i) const;
  std::string where(uint32_t n) const;

  std::shared_ptr<const ForkSource> file_;
  std::string name_, display_;
  BTHeaderRec header_;
};

}  // namespace upscope::hfs
