// PackedSource: bytes kept in memory LZ4-compressed, in blocks decoded on each read. A decoded
// payload that is needed again only in parts (a kernelcache's entries, for a diff's drill-down)
// then costs its compressed size while it is kept, not its whole size (docs/reading.md).
// Wrapped in a LazyMapSource, it is one contiguous span again, whose pages are decoded on touch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inspect/source.hpp"

namespace upscope::compress {

class PackedSource final : public Source {
 public:
  // The lazy span's fill unit, so each fault decodes exactly one block.
  static constexpr uint64_t kBlock = 1u << 20;

  // Compresses a copy of data.
  PackedSource(Bytes data, std::string name);
  uint64_t size() const override { return size_; }
  std::string name() const override { return name_; }
  Status read_at(uint64_t off, std::span<uint8_t> out) const override;
  // Bytes held (compressed blocks, or stored ones where LZ4 would not shrink them).
  uint64_t packed_size() const;

 private:
  struct Block {
    std::vector<uint8_t> bytes;
    bool stored = false;
  };
  Status decode(size_t k, std::span<uint8_t> out) const;  // block k, out exactly its size
  std::vector<Block> blocks_;
  uint64_t size_ = 0;
  std::string name_;
};

}  // namespace upscope::compress
