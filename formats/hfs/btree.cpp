#include "hfs/btree.hpp"

#include <unordered_set>

#include <fmt/format.h>

#include "hfs/fork.hpp"
#include "hfs/structs.hpp"

namespace upscope::hfs {

std::string BTree::where(uint32_t n) const { return fmt::format("{}: {} node {}", display_, name_, n); }

Result<std::unique_ptr<BTree>> BTree::open(std::shared_ptr<const ForkSource> file, std::string name,
                                           std::string display) {
  std::unique_ptr<BTree> t(new BTree());
  t->file_ = std::move(file);
  t->name_ = std::move(name);
  t->display_ = std::move(display);
  const std::string what = t->where(0) + " (header)";
  if (t->file_->size() < kNodeDescriptorSize + kHeaderRecSize)
    return fail(ErrorCode::kMalformed, what, fmt::format("the file holds {} bytes, too few for a header node", t->file_->size()));
  UPSCOPE_TRY(auto b, t->file_->read_vector(0, kNodeDescriptorSize + kHeaderRecSize));
  Cursor c(ByteReader(b, 0, "B-tree header node"), 8);
  const auto kind = static_cast<int8_t>(c.u8());
  if (kind != kBTHeaderNode)
    return fail(ErrorCode::kMalformed, what, fmt::format("node kind {} is not a header node (1)", kind),
                t->file_->volume_offset(0));
  BTHeaderRec& h = t->header_;  // BTHeaderRec, after the 14-byte node descriptor
  c.seek(kNodeDescriptorSize);
  h.treeDepth = c.u16be();
  h.rootNode = c.u32be();
  h.leafRecords = c.u32be();
  h.firstLeafNode = c.u32be();
  h.lastLeafNode = c.u32be();
  h.nodeSize = c.u16be();
  h.maxKeyLength = c.u16be();
  h.totalNodes = c.u32be();
  h.freeNodes = c.u32be();
  c.skip(2);  // reserved1
  h.clumpSize = c.u32be();
  h.btreeType = c.u8();
  h.keyCompareType = c.u8();
  h.attributes = c.u32be();
  if (!c.ok()) return fail(c.error());
  const auto at = t->file_->volume_offset(kNodeDescriptorSize);
  if (h.nodeSize < 512 || h.nodeSize > 32768 || (h.nodeSize & (h.nodeSize - 1)) != 0)
    return fail(ErrorCode::kMalformed, what, fmt::format("node size {} is not a power of two in [512, 32768]", h.nodeSize), at);
  if (uint64_t(h.totalNodes) * h.nodeSize > t->file_->size())
    return fail(ErrorCode::kMalformed, what,
                fmt::format("{} nodes of {} bytes do not fit in the {}-byte file", h.totalNodes, h.nodeSize,
                            t->file_->size()),
                at);
  if (h.treeDepth > kMaxDepth)
    return fail(ErrorCode::kLimit, what, fmt::format("tree depth {} exceeds the limit of {}", h.treeDepth, kMaxDepth), at);
  if (h.rootNode >= h.totalNodes || h.firstLeafNode >= h.totalNodes)
    return fail(ErrorCode::kMalformed, what,
                fmt::format("root node {} or first leaf {} is past the tree's {} nodes", h.rootNode, h.firstLeafNode,
                            h.totalNodes),
                at);
  return t;
}

Status BTree::read_node(uint32_t n, Node& out) const {
  const std::string what = where(n);
  if (n >= header_.totalNodes)
    return fail(ErrorCode::kMalformed, what, fmt::format("node number is past the tree's {} nodes", header_.totalNodes));
  const uint64_t off = uint64_t(n) * header_.nodeSize;
  out.volume_offset = file_->volume_offset(off).value_or(off);
  UPSCOPE_TRY(auto r, file_->view(off, header_.nodeSize, out.scratch, "B-tree node"));
  out.bytes = r.data();
  const ByteReader node(out.bytes, out.volume_offset, "B-tree node");
  Cursor c(node);  // BTNodeDescriptor
  out.desc.fLink = c.u32be();
  out.desc.bLink = c.u32be();
  out.desc.kind = static_cast<int8_t>(c.u8());
  out.desc.height = c.u8();
  out.desc.numRecords = c.u16be();
  if (!c.ok()) return fail(c.error());
  const uint32_t nrec = out.desc.numRecords;
  const uint64_t size = header_.nodeSize;
  if (kNodeDescriptorSize + 2 * (uint64_t(nrec) + 1) > size)
    return fail(ErrorCode::kMalformed, what, fmt::format("{} records do not fit in a {}-byte node", nrec, size),
                out.volume_offset);
  out.offsets.resize(nrec + 1);
  const uint64_t table = size - 2 * (uint64_t(nrec) + 1);
  for (uint32_t i = 0; i <= nrec; ++i) {
    UPSCOPE_TRY(const uint16_t o, node.u16be(size - 2 * (uint64_t(i) + 1)));
    uint16_t prev = i ? out.offsets[i - 1] : uint16_t(kNodeDescriptorSize);
    if (o < prev || o > table)
      return fail(ErrorCode::kMalformed, what,
                  fmt::format("record {} offset {} is outside [{}, {}] (out of order or in the offset table)", i, o, prev,
                              table),
                  out.volume_offset);
    out.offsets[i] = o;
  }
  return {};
}

Result<BTRecord> BTree::record(const Node& node, uint32_t n, uint16_t i) const {
  const uint64_t start = node.offsets[i], end = node.offsets[i + 1];
  const uint64_t at = node.volume_offset + start;
  if (end - start < 2)
    return fail(ErrorCode::kMalformed, where(n), fmt::format("record {} is {} bytes, too short for a key", i, end - start), at);
  UPSCOPE_TRY(uint64_t key_len, ByteReader(node.bytes, node.volume_offset, "B-tree record").u16be(start));
  if (node.desc.kind == kBTIndexNode && !(header_.attributes & kBTVariableIndexKeysMask)) key_len = header_.maxKeyLength;
  uint64_t data = start + 2 + key_len;
  if (data & 1) ++data;  // records are 2-byte aligned after the key
  if (data > end)
    return fail(ErrorCode::kMalformed, where(n),
                fmt::format("record {} key length {} runs past the record ({} bytes)", i, key_len, end - start), at);
  BTRecord r;
  r.key = node.bytes.subspan(start, 2 + key_len);
  r.data = node.bytes.subspan(data, end - data);
  r.node = n;
  r.offset = at;
  return r;
}

Result<uint32_t> BTree::find_leaf(const KeyCompare& cmp) const {
  uint32_t n = header_.rootNode;
  std::unordered_set<uint32_t> path;
  unsigned expect_height = header_.treeDepth;
  Node node;
  for (unsigned level = 0;; ++level) {
    if (level >= header_.treeDepth)
      return fail(ErrorCode::kLimit, where(n),
                  fmt::format("descent goes deeper than the header's tree depth {}", header_.treeDepth));
    if (!path.insert(n).second)
      return fail(ErrorCode::kMalformed, where(n), "index descent returns to a node already on its path (cycle)");
    UPSCOPE_CHECK(read_node(n, node));
    if (node.desc.height != expect_height)
      return fail(ErrorCode::kMalformed, where(n),
                  fmt::format("height {} where {} was expected (tree depth {}, level {})", node.desc.height,
                              expect_height, header_.treeDepth, level),
                  node.volume_offset);
    if (node.desc.kind == kBTLeafNode) return n;
    if (node.desc.kind != kBTIndexNode)
      return fail(ErrorCode::kMalformed, where(n), fmt::format("node kind {} inside the index", node.desc.kind),
                  node.volume_offset);
    if (node.desc.numRecords == 0)
      return fail(ErrorCode::kMalformed, where(n), "index node has no records", node.volume_offset);
    uint32_t child = 0;
    for (uint16_t i = 0; i < node.desc.numRecords; ++i) {
      UPSCOPE_TRY(BTRecord r, record(node, n, i));
      if (i > 0 && cmp(r.key) > 0) break;
      if (r.data.size() < 4)
        return fail(ErrorCode::kMalformed, where(n), fmt::format("index record {} has no child pointer", i), r.offset);
      child = ByteReader(r.data).u32be(0).value_or(0);  // 4 bytes at least: checked above
    }
    n = child;
    --expect_height;
  }
}

Status BTree::scan(uint32_t leaf, const RecordVisitor& visit) const {
  std::unordered_set<uint32_t> seen;
  Node node;
  for (uint32_t n = leaf; n != 0; n = node.desc.fLink) {
    if (!seen.insert(n).second)
      return fail(ErrorCode::kMalformed, where(n), "the leaf chain returns to this node (cycle)");
    UPSCOPE_CHECK(read_node(n, node));
    if (node.desc.kind != kBTLeafNode)
      return fail(ErrorCode::kMalformed, where(n), fmt::format("node kind {} in the leaf chain", node.desc.kind),
                  node.volume_offset);
    for (uint16_t i = 0; i < node.desc.numRecords; ++i) {
      UPSCOPE_TRY(BTRecord r, record(node, n, i));
      UPSCOPE_TRY(bool more, visit(r));
      if (!more) return {};
    }
  }
  return {};
}

Status BTree::scan_from(const KeyCompare& cmp, const RecordVisitor& visit) const {
  if (empty()) return {};
  UPSCOPE_TRY(uint32_t leaf, find_leaf(cmp));
  return scan(leaf, [&](const BTRecord& r) -> Result<bool> {
    if (cmp(r.key) < 0) return true;
    return visit(r);
  });
}

}  // namespace upscope::hfs
