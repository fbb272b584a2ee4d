// .sparseimage (`sprs`): a 4096-byte big-endian header whose band table maps file slots to
// image bands (docs/formats/udif.md §9). Bands never mentioned read as zeros.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope::udif {

struct SparseHeader {
  static constexpr uint64_t kHeaderSize = 4096;
  static constexpr uint64_t kBandTableOffset = 64;
  uint32_t version = 0;
  uint32_t sectors_per_band = 0;
  uint32_t total_sectors = 0;
  // (band number - 1, slot) sorted by band: slot i lives at kHeaderSize + i * band_bytes().
  std::vector<std::pair<uint64_t, uint64_t>> bands;
  uint64_t band_bytes() const { return uint64_t(sectors_per_band) * 512; }
  uint64_t size_bytes() const { return uint64_t(total_sectors) * 512; }
};

Result<SparseHeader> parse_sparse(const Source& file);

class SparseImageSource final : public Source {
 public:
  SparseImageSource(std::shared_ptr<const SparseHeader> header, SourcePtr file)
      : header_(std::move(header)), file_(std::move(file)) {}
  uint64_t size() const override { return header_->size_bytes(); }
  std::string name() const override { return file_->name(); }
  Status read_at(uint64_t off, std::span<uint8_t> out) const override;
  const SparseHeader& header() const { return *header_; }

 private:
  std::shared_ptr<const SparseHeader> header_;
  SourcePtr file_;
};

}  // namespace upscope::udif
