#include "compress/stream_decode.hpp"

#include <bzlib.h>
#include <fmt/format.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <vector>

#include "compress/codec.hpp"

namespace upscope::compress {

namespace {

constexpr size_t kPiece = size_t{1} << 20;

// The part shared by every codec: a 1 MiB output buffer, the cap, the sink and progress.
class Pump {
 public:
  Pump(const char* structure, uint64_t max_output, const std::function<Status(Bytes)>& sink,
       const std::function<void(const StreamProgress&)>& progress)
      : structure_(structure), max_(max_output), sink_(sink), progress_(progress), buf_(kPiece) {}
  uint8_t* out() { return buf_.data(); }
  size_t capacity() const { return buf_.size(); }
  // Hands n bytes of the buffer to the sink.
  Status flush(size_t n, uint64_t consumed) {
    if (n == 0) return {};
    if (n > max_ - produced_)
      return fail(ErrorCode::kLimit, structure_,
                  fmt::format("decoded data exceeds the limit of {} bytes (decompression bomb guard)", max_), consumed);
    produced_ += n;
    UPSCOPE_CHECK(sink_(Bytes(buf_.data(), n)));
    if (progress_) progress_(StreamProgress{consumed, produced_});
    return {};
  }
  uint64_t produced() const { return produced_; }
  const char* structure() const { return structure_; }

 private:
  const char* structure_;
  uint64_t max_;
  const std::function<Status(Bytes)>& sink_;
  const std::function<void(const StreamProgress&)>& progress_;
  std::vector<uint8_t> buf_;
  uint64_t produced_ = 0;
};

Result<uint64_t> run_xz(Bytes in, Pump& p) {
  lzma_stream s = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&s, kLzmaMemLimit, LZMA_CONCATENATED) != LZMA_OK)
    return fail(ErrorCode::kLimit, p.structure(), "cannot initialise liblzma");
  struct End { lzma_stream* s; ~End() { lzma_end(s); } } end{&s};
  s.next_in = in.data();
  s.avail_in = in.size();
  for (;;) {
    s.next_out = p.out();
    s.avail_out = p.capacity();
    lzma_ret ret = lzma_code(&s, LZMA_FINISH);
    UPSCOPE_CHECK(p.flush(p.capacity() - s.avail_out, s.total_in));
    if (ret == LZMA_STREAM_END) return p.produced();
    if (ret == LZMA_OK) continue;
    uint64_t at = s.total_in;
    switch (ret) {
      case LZMA_MEMLIMIT_ERROR:
        return fail(ErrorCode::kLimit, p.structure(), lzma_memlimit_rule(), at);
      case LZMA_FORMAT_ERROR: return fail(ErrorCode::kMalformed, p.structure(), "bad magic", uint64_t{0});
      case LZMA_OPTIONS_ERROR: return fail(ErrorCode::kUnsupported, p.structure(), "unsupported options or filter", at);
      case LZMA_DATA_ERROR: return fail(ErrorCode::kMalformed, p.structure(), "corrupt compressed data", at);
      case LZMA_BUF_ERROR: return fail(ErrorCode::kTruncated, p.structure(), "stream ends before its end marker", at);
      default: return fail(ErrorCode::kMalformed, p.structure(), fmt::format("decoder error {}", int(ret)), at);
    }
  }
}

Result<uint64_t> run_gzip(Bytes in, Pump& p) {
  size_t pos = 0;
  // gzip(1) decodes concatenated members; so do we.
  while (pos < in.size()) {
    z_stream z{};
    if (inflateInit2(&z, 16 + 15) != Z_OK) return fail(ErrorCode::kLimit, p.structure(), "cannot initialise zlib");
    struct End { z_stream* z; ~End() { inflateEnd(z); } } end{&z};
    for (;;) {
      z.next_in = const_cast<Bytef*>(in.data() + pos);
      z.avail_in = static_cast<uInt>(std::min<size_t>(in.size() - pos, UINT_MAX));
      uInt before = z.avail_in;
      z.next_out = p.out();
      z.avail_out = static_cast<uInt>(p.capacity());
      int ret = inflate(&z, Z_NO_FLUSH);
      pos += before - z.avail_in;
      UPSCOPE_CHECK(p.flush(p.capacity() - z.avail_out, pos));
      if (ret == Z_STREAM_END) break;
      if (ret == Z_DATA_ERROR)
        return fail(ErrorCode::kMalformed, p.structure(), z.msg ? z.msg : "invalid compressed data", pos);
      if (ret == Z_MEM_ERROR) return fail(ErrorCode::kLimit, p.structure(), "out of memory", pos);
      if (ret == Z_BUF_ERROR || (ret == Z_OK && pos == in.size() && z.avail_out != 0))
        return fail(ErrorCode::kTruncated, p.structure(), "stream ends before its end marker", pos);
    }
    // Trailing zero padding after the last member is tolerated, like gzip -d does.
    if (std::all_of(in.begin() + pos, in.end(), [](uint8_t b) { return b == 0; })) break;
  }
  return p.produced();
}

Result<uint64_t> run_bzip2(Bytes in, Pump& p) {
  size_t pos = 0;
  do {
    bz_stream s{};
    if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK) return fail(ErrorCode::kLimit, p.structure(), "cannot initialise bzip2");
    struct End { bz_stream* s; ~End() { BZ2_bzDecompressEnd(s); } } end{&s};
    for (;;) {
      s.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data() + pos));
      s.avail_in = static_cast<unsigned>(std::min<size_t>(in.size() - pos, UINT_MAX));
      unsigned before = s.avail_in;
      s.next_out = reinterpret_cast<char*>(p.out());
      s.avail_out = static_cast<unsigned>(p.capacity());
      int ret = BZ2_bzDecompress(&s);
      pos += before - s.avail_in;
      size_t produced = p.capacity() - s.avail_out;
      UPSCOPE_CHECK(p.flush(produced, pos));
      if (ret == BZ_STREAM_END) break;
      if (ret == BZ_DATA_ERROR_MAGIC) return fail(ErrorCode::kMalformed, p.structure(), "missing BZh signature", pos);
      if (ret == BZ_DATA_ERROR) return fail(ErrorCode::kMalformed, p.structure(), "corrupt data (block CRC or structure)", pos);
      if (ret != BZ_OK) return fail(ErrorCode::kMalformed, p.structure(), fmt::format("decoder error {}", ret), pos);
      if (before == s.avail_in && produced == 0)
        return fail(ErrorCode::kTruncated, p.structure(), "stream ends before its end marker", pos);
    }
  } while (in.size() - pos >= 3 && in[pos] == 'B' && in[pos + 1] == 'Z' && in[pos + 2] == 'h');
  return p.produced();
}

Result<uint64_t> run_zstd(Bytes in, Pump& p) {
  struct Free { void operator()(ZSTD_DStream* d) const { ZSTD_freeDStream(d); } };
  std::unique_ptr<ZSTD_DStream, Free> ds(ZSTD_createDStream());
  if (!ds) return fail(ErrorCode::kLimit, p.structure(), "cannot allocate a decoder");
  ZSTD_DCtx_setParameter(ds.get(), ZSTD_d_windowLogMax, 28);
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  size_t hint = 0;
  for (;;) {
    ZSTD_outBuffer ob{p.out(), p.capacity(), 0};
    hint = ZSTD_decompressStream(ds.get(), &ob, &ib);
    if (ZSTD_isError(hint)) return fail(ErrorCode::kMalformed, p.structure(), ZSTD_getErrorName(hint), ib.pos);
    UPSCOPE_CHECK(p.flush(ob.pos, ib.pos));
    // Done when all input is used and the decoder holds nothing back (output not full).
    if (ib.pos == ib.size && ob.pos < ob.size) break;
  }
  if (hint != 0) return fail(ErrorCode::kTruncated, p.structure(), "stream ends before the frame is complete", ib.pos);
  return p.produced();
}

Result<uint64_t> run_lz4(Bytes in, Pump& p) {
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION)))
    return fail(ErrorCode::kLimit, p.structure(), "cannot allocate a decoder");
  struct Free { void operator()(LZ4F_dctx* d) const { LZ4F_freeDecompressionContext(d); } };
  std::unique_ptr<LZ4F_dctx, Free> ctx(raw);
  size_t pos = 0, hint = 1;
  for (;;) {
    size_t src = in.size() - pos, dst = p.capacity();
    hint = LZ4F_decompress(ctx.get(), p.out(), &dst, in.data() + pos, &src, nullptr);
    if (LZ4F_isError(hint)) return fail(ErrorCode::kMalformed, p.structure(), LZ4F_getErrorName(hint), pos);
    pos += src;
    UPSCOPE_CHECK(p.flush(dst, pos));
    if (pos == in.size() && dst < p.capacity()) break;
  }
  if (hint != 0) return fail(ErrorCode::kTruncated, p.structure(), "stream ends before the frame is complete", pos);
  return p.produced();
}

}  // namespace

std::optional<StreamKind> stream_kind_from_format(std::string_view id) {
  if (id == "xz") return StreamKind::kXz;
  if (id == "gzip") return StreamKind::kGzip;
  if (id == "bzip2") return StreamKind::kBzip2;
  if (id == "zstd") return StreamKind::kZstd;
  if (id == "lz4") return StreamKind::kLz4Frame;
  return std::nullopt;
}

const char* stream_kind_name(StreamKind k) {
  switch (k) {
    case StreamKind::kXz: return "xz";
    case StreamKind::kGzip: return "gzip";
    case StreamKind::kBzip2: return "bzip2";
    case StreamKind::kZstd: return "zstd";
    case StreamKind::kLz4Frame: return "lz4";
  }
  return "unknown";
}

Result<uint64_t> stream_decode(StreamKind kind, Bytes in, uint64_t max_output, const std::function<Status(Bytes)>& sink,
                               const std::function<void(const StreamProgress&)>& progress) {
  static const char* kStructure[] = {"xz stream", "gzip stream", "bzip2 stream", "zstd frame", "LZ4 frame"};
  Pump p(kStructure[static_cast<int>(kind)], max_output, sink, progress);
  switch (kind) {
    case StreamKind::kXz: return run_xz(in, p);
    case StreamKind::kGzip: return run_gzip(in, p);
    case StreamKind::kBzip2: return run_bzip2(in, p);
    case StreamKind::kZstd: return run_zstd(in, p);
    case StreamKind::kLz4Frame: return run_lz4(in, p);
  }
  return fail(ErrorCode::kUnsupported, "compressed stream", "unknown stream kind");
}

}  // namespace upscope::compress
