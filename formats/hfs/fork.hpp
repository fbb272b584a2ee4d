// A fork (file data, resource fork, special file, fork-data xattr) as a Source over the volume:
// its extents in logical order, each checked against the volume when the fork is made.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hfs/records.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope::hfs {

class ForkSource final : public Source {
 public:
  struct Geometry {
    uint32_t block_size = 0;
    uint32_t total_blocks = 0;  // of the volume
  };
  // Checks every extent: inside the volume's totalBlocks, clear of the volume header, and enough
  // blocks for logical_size. `what` names the fork in messages ("catalog file", "/a/b data fork").
  static Result<std::shared_ptr<const ForkSource>> make(SourcePtr volume, Geometry g,
                                                        std::vector<Extent> extents,
                                                        uint64_t logical_size, std::string name, const std::string& what);

  uint64_t size() const override { return size_; }
  std::string name() const override { return name_; }
  Status read_at(uint64_t off, std::span<uint8_t> out) const override;
  std::optional<Bytes> contiguous() const override;
  // Where a logical offset lies in the volume (for messages), or nullopt past the extents.
  std::optional<uint64_t> volume_offset(uint64_t off) const;

 private:
  struct Run { uint64_t logical, length, physical; };  // bytes
  ForkSource() = default;
  SourcePtr vol_;
  std::vector<Run> runs_;
  uint64_t size_ = 0;
  std::string name_;
};

}  // namespace upscope::hfs
