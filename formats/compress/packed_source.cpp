#include "compress/packed_source.hpp"

#include <lz4.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "inspect/checked.hpp"

namespace upscope::compress {

PackedSource::PackedSource(Bytes data, std::string name) : size_(data.size()), name_(std::move(name)) {
  std::vector<uint8_t> scratch(static_cast<size_t>(LZ4_compressBound(static_cast<int>(kBlock))));
  for (uint64_t off = 0; off < data.size(); off += kBlock) {
    const Bytes raw = data.subspan(off, std::min<uint64_t>(kBlock, data.size() - off));
    Block b;
    // LZ4's C interface takes char pointers; no structure is read through them.
    const int n = LZ4_compress_default(reinterpret_cast<const char*>(raw.data()), reinterpret_cast<char*>(scratch.data()),
                                       static_cast<int>(raw.size()), static_cast<int>(scratch.size()));
    if (n > 0 && static_cast<size_t>(n) < raw.size()) {
      b.bytes.assign(scratch.begin(), scratch.begin() + n);
    } else {
      b.bytes.assign(raw.begin(), raw.end());
      b.stored = true;
    }
    blocks_.push_back(std::move(b));
  }
}

uint64_t PackedSource::packed_size() const {
  uint64_t n = 0;
  for (const auto& b : blocks_) n += b.bytes.size();
  return n;
}

Status PackedSource::decode(size_t k, std::span<uint8_t> out) const {
  const Block& b = blocks_[k];
  if (b.stored) {
    std::memcpy(out.data(), b.bytes.data(), out.size());
    return {};
  }
  const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(b.bytes.data()), reinterpret_cast<char*>(out.data()),
                                    static_cast<int>(b.bytes.size()), static_cast<int>(out.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size())
    return fail(ErrorCode::kMalformed, "packed block",
                fmt::format("{}: block {} does not decode to its {} bytes", name_, k, out.size()), k * kBlock);
  return {};
}

Status PackedSource::read_at(uint64_t off, std::span<uint8_t> out) const {
  if (!range_fits(off, out.size(), size_)) return fail(read_error(off, out.size()));
  thread_local std::vector<uint8_t> whole;
  size_t done = 0;
  while (done < out.size()) {
    const uint64_t at = off + done;
    const size_t k = static_cast<size_t>(at / kBlock);
    const uint64_t block_start = uint64_t(k) * kBlock;
    const size_t block_size = static_cast<size_t>(std::min<uint64_t>(kBlock, size_ - block_start));
    const size_t in_block = static_cast<size_t>(at - block_start);
    const size_t n = std::min(block_size - in_block, out.size() - done);
    if (in_block == 0 && n == block_size) {
      UPSCOPE_CHECK(decode(k, out.subspan(done, n)));  // the lazy span's case: straight into the page
    } else {
      whole.resize(block_size);
      UPSCOPE_CHECK(decode(k, whole));
      std::memcpy(out.data() + done, whole.data() + in_block, n);
    }
    done += n;
  }
  return {};
}

}  // namespace upscope::compress
