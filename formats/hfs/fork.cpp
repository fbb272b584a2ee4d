#include "hfs/fork.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "hfs/structs.hpp"

namespace upscope::hfs {

Result<std::shared_ptr<const ForkSource>> ForkSource::make(SourcePtr volume, Geometry g,
                                                           std::vector<Extent> extents,
                                                           uint64_t logical_size, std::string name,
                                                           const std::string& what) {
  std::shared_ptr<ForkSource> f(new ForkSource());
  f->vol_ = std::move(volume);
  f->size_ = logical_size;
  f->name_ = std::move(name);
  const uint64_t bs = g.block_size;
  uint64_t logical = 0;
  for (size_t i = 0; i < extents.size() && logical < logical_size; ++i) {
    const auto& e = extents[i];
    if (e.block_count == 0) continue;
    if (uint64_t(e.start_block) + e.block_count > g.total_blocks)
      return fail(ErrorCode::kMalformed, what,
                  fmt::format("extent {} (blocks {}+{}) lies past the end of the volume ({} blocks)", i, e.start_block,
                              e.block_count, g.total_blocks),
                  uint64_t(e.start_block) * bs);
    const uint64_t phys = uint64_t(e.start_block) * bs, len = uint64_t(e.block_count) * bs;
    // The volume header (and the 1 KiB before it, boot blocks) is never file data.
    if (phys < kVolumeHeaderOffset + kVolumeHeaderSize)
      return fail(ErrorCode::kMalformed, what,
                  fmt::format("extent {} (blocks {}+{}) overlaps the volume header", i, e.start_block, e.block_count),
                  phys);
    const uint64_t take = std::min(len, logical_size - logical);
    if (!f->runs_.empty() && f->runs_.back().physical + f->runs_.back().length == phys)
      f->runs_.back().length += take;  // physically adjacent: one run (and contiguous() stays possible)
    else
      f->runs_.push_back({logical, take, phys});
    logical += take;
  }
  if (logical < logical_size)
    return fail(ErrorCode::kMalformed, what,
                fmt::format("extents cover {} bytes, less than the fork's logical size {}", logical, logical_size));
  return std::shared_ptr<const ForkSource>(std::move(f));
}

std::optional<Bytes> ForkSource::contiguous() const {
  if (size_ == 0) return Bytes();
  if (runs_.size() != 1) return std::nullopt;
  auto all = vol_->contiguous();
  if (!all || !range_fits(runs_[0].physical, size_, all->size())) return std::nullopt;
  return all->subspan(runs_[0].physical, size_);
}

std::optional<uint64_t> ForkSource::volume_offset(uint64_t off) const {
  for (const auto& r : runs_)
    if (off >= r.logical && off - r.logical < r.length) return r.physical + (off - r.logical);
  return std::nullopt;
}

Status ForkSource::read_at(uint64_t off, std::span<uint8_t> out) const {
  if (!range_fits(off, out.size(), size_)) return fail(read_error(off, out.size()));
  auto it = std::upper_bound(runs_.begin(), runs_.end(), off, [](uint64_t p, const Run& r) { return p < r.logical; });
  if (it != runs_.begin()) --it;
  size_t done = 0;
  while (done < out.size()) {
    if (it == runs_.end()) return fail(read_error(off, out.size()));
    const uint64_t pos = off + done, in_run = pos - it->logical;
    const uint64_t n = std::min<uint64_t>(out.size() - done, it->length - in_run);
    const uint64_t phys = it->physical + in_run;
    if (!range_fits(phys, n, vol_->size()))
      return fail(ErrorCode::kTruncated, name_,
                  fmt::format("bytes [{}, +{}) lie past the end of the image ({} bytes of the volume present)", phys, n,
                              vol_->size()),
                  phys);
    UPSCOPE_CHECK(vol_->read_at(phys, out.subspan(done, n)));
    done += n;
    ++it;
  }
  return {};
}

}  // namespace upscope::hfs
