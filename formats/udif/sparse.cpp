#include "udif/sparse.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace upscope::udif {

Result<SparseHeader> parse_sparse(const Source& file) {
  auto err = [&](ErrorCode code, std::string rule, uint64_t off) {
    Error e = make_error(code, "sparse image header", std::move(rule), off);
    e.file = file.name();
    return fail(e);
  };
  if (file.size() < SparseHeader::kHeaderSize)
    return err(ErrorCode::kTruncated,
               fmt::format("file of {} bytes is shorter than the {}-byte header", file.size(), SparseHeader::kHeaderSize),
               0);
  std::vector<uint8_t> scratch;
  UPSCOPE_TRY(ByteReader h, file.view(0, SparseHeader::kHeaderSize, scratch, "sparse image header"));
  if (!h.starts_with("sprs")) return err(ErrorCode::kMalformed, "no 'sprs' signature", 0);
  SparseHeader s;
  s.version = *h.u32be(4);
  s.sectors_per_band = *h.u32be(8);
  s.total_sectors = *h.u32be(16);
  if (s.sectors_per_band == 0) return err(ErrorCode::kMalformed, "band size of 0 sectors", 8);
  const uint64_t band = s.band_bytes();
  const uint64_t total_bands = (uint64_t(s.total_sectors) + s.sectors_per_band - 1) / s.sectors_per_band;
  const uint64_t data = file.size() - SparseHeader::kHeaderSize;
  const uint64_t slots = std::min<uint64_t>((data + band - 1) / band,
                                            (SparseHeader::kHeaderSize - SparseHeader::kBandTableOffset) / 4);
  std::vector<bool> seen;
  for (uint64_t i = 0; i < slots; ++i) {
    const uint64_t at = SparseHeader::kBandTableOffset + 4 * i;
    const uint32_t n = *h.u32be(at);
    if (n == 0) continue;
    if (n > total_bands)
      return err(ErrorCode::kMalformed,
                 fmt::format("band table slot {} names band {}, past the image's {} bands", i, n, total_bands), at);
    s.bands.emplace_back(n - 1, i);
  }
  std::sort(s.bands.begin(), s.bands.end());
  for (size_t i = 1; i < s.bands.size(); ++i)
    if (s.bands[i].first == s.bands[i - 1].first)
      return err(ErrorCode::kMalformed,
                 fmt::format("band {} is stored twice (slots {} and {})", s.bands[i].first + 1, s.bands[i - 1].second,
                             s.bands[i].second),
                 SparseHeader::kBandTableOffset + 4 * s.bands[i].second);
  return s;
}

Status SparseImageSource::read_at(uint64_t off, std::span<uint8_t> out) const {
  if (!range_fits(off, out.size(), size())) return fail(read_error(off, out.size()));
  const uint64_t band = header_->band_bytes();
  size_t done = 0;
  while (done < out.size()) {
    const uint64_t pos = off + done;
    const uint64_t b = pos / band, skip = pos % band;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(out.size() - done, band - skip));
    auto dst = out.subspan(done, n);
    const auto& bands = header_->bands;
    auto it = std::lower_bound(bands.begin(), bands.end(), std::make_pair(b, uint64_t(0)));
    if (it == bands.end() || it->first != b) {
      std::memset(dst.data(), 0, n);
    } else {
      // The last slot may be cut short by the end of the file: the rest of it reads as zeros.
      const uint64_t file_off = SparseHeader::kHeaderSize + it->second * band + skip;
      const uint64_t avail = file_off < file_->size() ? std::min<uint64_t>(n, file_->size() - file_off) : 0;
      if (avail) UPSCOPE_CHECK(file_->read_at(file_off, dst.first(static_cast<size_t>(avail))));
      std::memset(dst.data() + avail, 0, n - static_cast<size_t>(avail));
    }
    done += n;
  }
  return {};
}

}  // namespace upscope::udif
