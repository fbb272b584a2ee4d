// A test Source of pattern bytes made up from their offset: never contiguous (as a file inside a
// compressed dmg is), never held whole, its reads counted; reads that cover byte bad_off fail.
#pragma once
#include <atomic>
#include <cstdint>
#include <span>
#include <string>

#include <fmt/format.h>

#include "inspect/source.hpp"

namespace upscope::test {

inline uint8_t pattern(uint64_t i) { return uint8_t((i * 2654435761u) >> 13); }

class PatternSource final : public Source {
 public:
  explicit PatternSource(uint64_t size, uint64_t bad_off = UINT64_MAX) : size_(size), bad_(bad_off) {}
  uint64_t size() const override { return size_; }
  std::string name() const override { return "pattern"; }
  Status read_at(uint64_t off, std::span<uint8_t> out) const override {
    reads.fetch_add(1);
    if (off + out.size() > size_) return fail(read_error(off, out.size()));
    if (bad_ >= off && bad_ < off + out.size())
      return fail(ErrorCode::kMalformed, "pattern", fmt::format("byte {:#x} cannot be decoded", bad_));
    for (size_t i = 0; i < out.size(); ++i) out[i] = pattern(off + i);
    return {};
  }
  mutable std::atomic<uint64_t> reads{0};

 private:
  uint64_t size_, bad_;
};

}  // namespace upscope::test
