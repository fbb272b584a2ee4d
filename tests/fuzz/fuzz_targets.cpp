#include "fuzz_targets.hpp"

#include <vector>

#include "compress/codec.hpp"
#include "identify/identify.hpp"
#include "inspect/source.hpp"

namespace upscope::fuzz {

namespace {

// Decoders get a cap well above any fuzz input's honest output so bombs hit kLimit, not the OOM killer.
constexpr uint64_t kMaxOutput = 64ull << 20;

// A MemorySource copy per input would be a needless allocation: wrap the bytes instead.
class SpanSource final : public Source {
 public:
  explicit SpanSource(Bytes b) : b_(b) {}
  uint64_t size() const override { return b_.size(); }
  std::string name() const override { return "fuzz-input"; }
  Status read_at(uint64_t off, std::span<uint8_t> out) const override {
    if (!range_fits(off, out.size(), b_.size())) return fail(read_error(off, out.size()));
    std::copy_n(b_.begin() + static_cast<std::ptrdiff_t>(off), out.size(), out.begin());
    return {};
  }
  std::optional<Bytes> contiguous() const override { return b_; }

 private:
  Bytes b_;
};

void run_identify(Bytes data) {
  SpanSource src(data);
  (void)identify(src);
}

template <compress::Codec C>
void run_codec(Bytes data) {
  (void)compress::decode_to_vector(C, data, kMaxOutput);
  // Also into a small fixed buffer: the "never write past out" rule with a tight destination.
  std::vector<uint8_t> small(4096);
  (void)compress::decode(C, data, small);
}

}  // namespace

const std::vector<Target>& targets() {
  using compress::Codec;
  static const std::vector<Target> kTargets = {
      {"identify", run_identify},
      {"codec_lzfse", run_codec<Codec::kLzfse>},
      {"codec_lzvn", run_codec<Codec::kLzvn>},
      {"codec_adc", run_codec<Codec::kAdc>},
      {"codec_lzss", run_codec<Codec::kLzss>},
      {"codec_lz4_block", run_codec<Codec::kLz4Block>},
      {"codec_zlib", run_codec<Codec::kZlib>},
      {"codec_xz", run_codec<Codec::kXz>},
      {"codec_lzma", run_codec<Codec::kLzma>},
      {"codec_bzip2", run_codec<Codec::kBzip2>},
  };
  return kTargets;
}

const Target* find_target(std::string_view name) {
  for (const auto& t : targets())
    if (name == t.name) return &t;
  return nullptr;
}

}  // namespace upscope::fuzz
