#include "pbzx/stream.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <future>

#include <fmt/format.h>
#include <lzma.h>

#include "compress/codec.hpp"
#include "inspect/limits.hpp"
#include "inspect/text.hpp"
#include "pbzx/probe.hpp"

namespace upscope::pbzx {
namespace {

constexpr uint8_t kXzMagic[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};

bool is_xz(Bytes b) { return b.size() >= 6 && std::memcmp(b.data(), kXzMagic, 6) == 0; }

using ChunkResult = Result<std::vector<uint8_t>>;

ChunkResult decode_chunk(Bytes section, const StreamLayout& layout, size_t i) {
  return pbzx::decode_chunk(ByteReader(section, 0, "pbz* stream"), *layout.pbz, i);
}

class EmptyStream final : public DecodedStream {
 public:
  Result<size_t> read(std::span<uint8_t>) override { return size_t{0}; }
  uint64_t produced() const override { return 0; }
};

class RawStream final : public DecodedStream {
 public:
  explicit RawStream(Bytes b) : b_(b) {}
  Result<size_t> read(std::span<uint8_t> out) override {
    size_t n = std::min<uint64_t>(out.size(), b_.size() - pos_);
    if (n) std::memcpy(out.data(), b_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t produced() const override { return pos_; }

 private:
  Bytes b_;
  uint64_t pos_ = 0;
};

class ChunkStream final : public DecodedStream {
 public:
  ChunkStream(Bytes section, StreamLayout layout, ThreadPool* pool)
      : section_(section), layout_(std::move(layout)), pool_(pool),
        window_(pool ? std::max<size_t>(2, size_t{pool->size()} * 2) : 0) {}
  ~ChunkStream() override {
    for (auto& f : inflight_) f.wait();
  }

  Result<size_t> read(std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size()) {
      if (pos_ == buf_.size()) {
        auto next = next_chunk();
        if (!next) return fail(next.error());
        if (!*next) break;  // end of stream
        continue;
      }
      size_t n = std::min(out.size() - done, buf_.size() - pos_);
      std::memcpy(out.data() + done, buf_.data() + pos_, n);
      pos_ += n;
      done += n;
    }
    produced_ += done;
    return done;
  }
  uint64_t produced() const override { return produced_; }

 private:
  // Makes the next chunk current; false at the end.
  Result<bool> next_chunk() {
    size_t total = layout_.chunks.size();
    if (!pool_) {
      if (consumed_ == total) return false;
      UPSCOPE_TRY(buf_, decode_chunk(section_, layout_, consumed_));
      ++consumed_;
      pos_ = 0;
      return true;
    }
    while (submitted_ < total && inflight_.size() < window_) {
      size_t i = submitted_++;
      inflight_.push_back(pool_->submit([this, i] { return decode_chunk(section_, layout_, i); }));
    }
    if (inflight_.empty()) return false;
    ChunkResult r = inflight_.front().get();
    inflight_.pop_front();
    ++consumed_;
    if (!r) return fail(std::move(r).error());
    buf_ = std::move(r).value();
    pos_ = 0;
    return true;
  }

  Bytes section_;
  StreamLayout layout_;
  ThreadPool* pool_;
  size_t window_;
  std::deque<std::future<ChunkResult>> inflight_;
  size_t submitted_ = 0;
  size_t consumed_ = 0;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
  uint64_t produced_ = 0;
};

class XzStream final : public DecodedStream {
 public:
  XzStream(Bytes in, uint64_t max_output) : in_(in), max_output_(max_output) {}
  ~XzStream() override { lzma_end(&s_); }
  Status init() {
    if (lzma_stream_decoder(&s_, compress::kLzmaMemLimit, LZMA_CONCATENATED) != LZMA_OK)
      return fail(ErrorCode::kIo, "xz stream", "liblzma could not start a decoder");
    s_.next_in = in_.data();
    s_.avail_in = in_.size();
    return {};
  }
  Result<size_t> read(std::span<uint8_t> out) override {
    if (ended_ || out.empty()) return size_t{0};
    s_.next_out = out.data();
    s_.avail_out = out.size();
    while (s_.avail_out > 0) {
      lzma_ret r = lzma_code(&s_, s_.avail_in ? LZMA_RUN : LZMA_FINISH);
      if (r == LZMA_STREAM_END) { ended_ = true; break; }
      if (r == LZMA_MEMLIMIT_ERROR)
        return fail(ErrorCode::kLimit, "xz stream", compress::lzma_memlimit_rule(), in_.size() - s_.avail_in);
      if (r != LZMA_OK)
        return fail(ErrorCode::kMalformed, "xz stream", fmt::format("liblzma error {} (corrupt or truncated data)", int(r)),
                    in_.size() - s_.avail_in);
    }
    size_t n = out.size() - s_.avail_out;
    produced_ += n;
    if (produced_ > max_output_)
      return fail(ErrorCode::kLimit, "xz stream", fmt::format("decodes to more than the {} bytes allowed", max_output_));
    return n;
  }
  uint64_t produced() const override { return produced_; }

 private:
  Bytes in_;
  uint64_t max_output_;
  lzma_stream s_ = LZMA_STREAM_INIT;
  uint64_t produced_ = 0;
  bool ended_ = false;
};

}  // namespace

Result<StreamLayout> describe(Bytes section, const StreamLimits& limits, bool allow_raw) {
  StreamLayout l;
  ByteReader r(section, 0, "pbz* stream");
  if (is_xz(section)) {
    l.container = "xz";
    l.codec = "xz";
    return l;
  }
  auto magic = r.fixed_string(0, 4);
  const char* codec = magic && section.size() >= 4 ? codec_of_magic(*magic) : nullptr;
  if (!codec) {
    if (section.empty()) {
      l.container = "empty";
      l.codec = "none";
      l.decoded_size = 0;
      return l;
    }
    if (!allow_raw)
      return fail(ErrorCode::kMalformed, "section", fmt::format("starts with {}, not a pbz* or xz stream",
                                                                 printable(section.first(std::min<size_t>(section.size(), 6)))), 0);
    l.container = "raw";
    l.codec = "none";
    l.decoded_size = section.size();
    return l;
  }
  Diagnostics framing_diags;
  UPSCOPE_TRY(Stream ps, parse(r, framing_diags));
  if (ps.framing_error) return fail(*ps.framing_error);
  l.container = ps.magic;
  l.codec = ps.codec_name;
  l.supported = ps.supported();
  l.block_size = ps.block_size;
  for (const auto& c : ps.chunks) {
    if (c.raw_size > limits.max_chunk)
      return fail(ErrorCode::kLimit, fmt::format("{} chunk {}", l.container, l.chunks.size()),
                  fmt::format("raw size {} exceeds the {}-byte cap", c.raw_size, limits.max_chunk), c.header_offset);
    UPSCOPE_CHECK(check_memory(c.raw_size, fmt::format("{} chunk {}", l.container, l.chunks.size()), c.header_offset));
    l.chunks.push_back({c.data_offset, c.raw_size, c.stored_size});
    if (!c.stored) ++l.compressed_chunks;
  }
  if (ps.decoded_size > limits.max_output)
    return fail(ErrorCode::kLimit, l.container + " stream",
                fmt::format("decodes to more than the {} bytes allowed", limits.max_output), 0);
  l.chunk_count = l.chunks.size();
  l.decoded_size = ps.decoded_size;
  l.pbz = std::make_shared<const Stream>(std::move(ps));
  return l;
}

Result<std::unique_ptr<DecodedStream>> open(Bytes section, const StreamLayout& layout, ThreadPool* pool,
                                            const StreamLimits& limits) {
  if (layout.container == "empty") return std::unique_ptr<DecodedStream>(new EmptyStream());
  if (layout.container == "raw") return std::unique_ptr<DecodedStream>(new RawStream(section));
  if (layout.container == "xz") {
    auto s = std::make_unique<XzStream>(section, limits.max_output);
    UPSCOPE_CHECK(s->init());
    return std::unique_ptr<DecodedStream>(std::move(s));
  }
  if (!layout.supported && layout.compressed_chunks)
    return fail(ErrorCode::kUnsupported, layout.container + " stream", "unsupported codec " + layout.codec, 0);
  return std::unique_ptr<DecodedStream>(new ChunkStream(section, layout, pool));
}

Result<std::vector<uint8_t>> decode_all(Bytes section, const StreamLayout& layout, ThreadPool* pool,
                                        const StreamLimits& limits) {
  UPSCOPE_TRY(auto s, open(section, layout, pool, limits));
  std::vector<uint8_t> out;
  if (layout.decoded_size) {
    if (*layout.decoded_size > limits.max_output)
      return fail(ErrorCode::kLimit, layout.container + " stream",
                  fmt::format("decodes to more than the {} bytes allowed", limits.max_output));
    UPSCOPE_CHECK(check_memory(*layout.decoded_size, layout.container + " stream"));
    out.resize(*layout.decoded_size);
    UPSCOPE_TRY(size_t n, s->read(out));
    out.resize(n);
    return out;
  }
  std::vector<uint8_t> buf(1 << 20);
  for (;;) {
    UPSCOPE_TRY(size_t n, s->read(buf));
    if (n == 0) break;
    if (out.size() + n > limits.max_output)
      return fail(ErrorCode::kLimit, layout.container + " stream",
                  fmt::format("decodes to more than the {} bytes allowed", limits.max_output));
    UPSCOPE_CHECK(check_memory(out.size() + n, layout.container + " stream"));
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

}  // namespace upscope::pbzx
