// The block store under every BOM structure (docs/formats/bom.md §2): numbered blocks located by the
// block table, each checked against the file when something refers to it. Internal to formats/bom.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bom/bom.hpp"
#include "inspect/byte_reader.hpp"

namespace upscope::bom {

class Store {
 public:
  Store(const ByteReader& file, uint64_t table_offset, uint32_t entries)
      : file_(file), table_offset_(table_offset), entries_(entries) {}

  uint32_t entries() const { return entries_; }
  uint64_t file_size() const { return file_.size(); }
  // {address, length} from the table, unchecked (index must be < entries()).
  std::pair<uint32_t, uint32_t> locate(uint32_t index) const;
  // The bytes of block `index`, used as `what` ("Paths tree node"): fails for the null block, a
  // number past the table, or a range past the end of the file.
  Result<ByteReader> block(uint32_t index, std::string_view what) const;

 private:
  ByteReader file_;
  uint64_t table_offset_;
  uint32_t entries_;
};

// §4: one entry of a tree leaf (or branch): value block, key block.
struct TreeEntry {
  uint32_t value = 0, key = 0;
};

// Walks the tree whose 21-byte header is block `header_block`: statistics always, the leaf entries in
// chain order when `entries` is given. Errors become diagnostics; stats.complete says all went well.
TreeStats walk_tree(const Store& s, const std::string& name, uint32_t header_block, std::vector<TreeEntry>* entries,
                    Diagnostics& d);

// §5: the Paths tree's entries as path entries with full paths (errors become diagnostics).
// Returns false when a limit stopped the list early.
bool read_paths(const Store& s, const std::vector<TreeEntry>& entries, Bom& out);

}  // namespace upscope::bom
