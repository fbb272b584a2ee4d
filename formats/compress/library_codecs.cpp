// Debian's compression libraries behind the DecodeFn contract (codec.hpp): decode all of `in`
// into `out`, never past out.size(); a full destination is kLimit, bad or short input is an
// Error whose offset is the input position the library had reached.
#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <string>

#ifdef UPSCOPE_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include "compress/codec.hpp"
#include "compress/codec_internal.hpp"

namespace upscope::compress {

namespace {

Unexpected bad(ErrorCode code, const char* structure, std::string rule, uint64_t offset) {
  return fail(code, structure, std::move(rule), offset);
}

// ---- zlib / raw deflate ----------------------------------------------------------------------

#ifdef UPSCOPE_HAVE_LIBDEFLATE
struct DeflateFree {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

libdeflate_decompressor* thread_decompressor() {
  thread_local std::unique_ptr<libdeflate_decompressor, DeflateFree> d(libdeflate_alloc_decompressor());
  return d.get();
}

Result<size_t> libdeflate_decode(bool zlib_header, Bytes in, std::span<uint8_t> out) {
  const char* structure = zlib_header ? "zlib stream" : "deflate stream";
  libdeflate_decompressor* d = thread_decompressor();
  if (!d) return fail(ErrorCode::kLimit, structure, "cannot allocate a decompressor");
  size_t in_used = 0, out_len = 0;
  libdeflate_result r = zlib_header
      ? libdeflate_zlib_decompress_ex(d, in.data(), in.size(), out.data(), out.size(), &in_used, &out_len)
      : libdeflate_deflate_decompress_ex(d, in.data(), in.size(), out.data(), out.size(), &in_used, &out_len);
  switch (r) {
    case LIBDEFLATE_SUCCESS:
      return out_len;
    case LIBDEFLATE_INSUFFICIENT_SPACE:
      return fail(detail::output_full(structure, out.size(), 0));
    case LIBDEFLATE_SHORT_OUTPUT:  // cannot happen with actual_out set; treat as corrupt
    case LIBDEFLATE_BAD_DATA:
    default:
      // libdeflate cannot say where, nor tell truncation from corruption.
      return bad(ErrorCode::kMalformed, structure, "invalid or truncated compressed data", 0);
  }
}
#endif

Result<size_t> zlib_inflate(bool zlib_header, Bytes in, std::span<uint8_t> out) {
  const char* structure = zlib_header ? "zlib stream" : "deflate stream";
  z_stream z{};
  if (inflateInit2(&z, zlib_header ? 15 : -15) != Z_OK) return fail(ErrorCode::kLimit, structure, "cannot initialise zlib");
  struct End { z_stream* z; ~End() { inflateEnd(z); } } end{&z};
  size_t in_pos = 0, out_pos = 0;
  for (;;) {
    // zlib counts in uInt: feed at most UINT_MAX at a time.
    z.next_in = const_cast<Bytef*>(in.data() + in_pos);
    z.avail_in = static_cast<uInt>(std::min<size_t>(in.size() - in_pos, UINT_MAX));
    z.next_out = out.data() + out_pos;
    z.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - out_pos, UINT_MAX));
    uInt in_before = z.avail_in, out_before = z.avail_out;
    int ret = inflate(&z, Z_NO_FLUSH);
    in_pos += in_before - z.avail_in;
    out_pos += out_before - z.avail_out;
    if (ret == Z_STREAM_END) return out_pos;
    if (ret == Z_DATA_ERROR) return bad(ErrorCode::kMalformed, structure, z.msg ? z.msg : "invalid compressed data", in_pos);
    if (ret == Z_MEM_ERROR) return bad(ErrorCode::kLimit, structure, "out of memory", in_pos);
    if (ret == Z_OK) continue;
    // Z_BUF_ERROR: no progress possible.
    if (out_pos == out.size()) return fail(detail::output_full(structure, out.size(), in_pos));
    if (in_pos == in.size()) return bad(ErrorCode::kTruncated, structure, "stream ends before its end marker", in_pos);
    return bad(ErrorCode::kMalformed, structure, "invalid compressed data", in_pos);
  }
}

}  // namespace

Result<size_t> zlib_decode(Bytes in, std::span<uint8_t> out) {
#ifdef UPSCOPE_HAVE_LIBDEFLATE
  auto r = libdeflate_decode(true, in, out);
  // libdeflate gives no position or reason: re-run zlib on failure for a precise message.
  if (r || detail::is_output_full(r.error())) return r;
#endif
  return zlib_inflate(true, in, out);
}

Result<size_t> deflate_decode(Bytes in, std::span<uint8_t> out) {
#ifdef UPSCOPE_HAVE_LIBDEFLATE
  auto r = libdeflate_decode(false, in, out);
  if (r || detail::is_output_full(r.error())) return r;
#endif
  return zlib_inflate(false, in, out);
}

// ---- bzip2 -----------------------------------------------------------------------------------

Result<size_t> bzip2_decode(Bytes in, std::span<uint8_t> out) {
  const char* structure = "bzip2 stream";
  size_t in_pos = 0, out_pos = 0;
  // Concatenated streams (pbzip2, `cat a.bz2 b.bz2`) decode as one, like bzip2(1) does.
  do {
    bz_stream s{};
    if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK) return fail(ErrorCode::kLimit, structure, "cannot initialise bzip2");
    struct End { bz_stream* s; ~End() { BZ2_bzDecompressEnd(s); } } end{&s};
    for (;;) {
      s.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data() + in_pos));
      s.avail_in = static_cast<unsigned>(std::min<size_t>(in.size() - in_pos, UINT_MAX));
      s.next_out = reinterpret_cast<char*>(out.data() + out_pos);
      s.avail_out = static_cast<unsigned>(std::min<size_t>(out.size() - out_pos, UINT_MAX));
      unsigned in_before = s.avail_in, out_before = s.avail_out;
      int ret = BZ2_bzDecompress(&s);
      in_pos += in_before - s.avail_in;
      out_pos += out_before - s.avail_out;
      if (ret == BZ_STREAM_END) break;
      if (ret == BZ_DATA_ERROR_MAGIC) return bad(ErrorCode::kMalformed, structure, "missing BZh signature", in_pos);
      if (ret == BZ_DATA_ERROR) return bad(ErrorCode::kMalformed, structure, "corrupt data (block CRC or structure)", in_pos);
      if (ret == BZ_MEM_ERROR) return bad(ErrorCode::kLimit, structure, "out of memory", in_pos);
      if (ret != BZ_OK) return bad(ErrorCode::kMalformed, structure, "decoder error " + std::to_string(ret), in_pos);
      if (in_before == s.avail_in && out_before == s.avail_out) {
        if (out_pos == out.size()) return fail(detail::output_full(structure, out.size(), in_pos));
        return bad(ErrorCode::kTruncated, structure, "stream ends before its end marker", in_pos);
      }
    }
  } while (in.size() - in_pos >= 3 && in[in_pos] == 'B' && in[in_pos + 1] == 'Z' && in[in_pos + 2] == 'h');
  return out_pos;
}

// ---- xz and LZMA (liblzma) -------------------------------------------------------------------

namespace {

Result<size_t> run_lzma(lzma_stream& s, const char* structure, Bytes in, std::span<uint8_t> out,
                        bool accept_full_at_end) {
  struct End { lzma_stream* s; ~End() { lzma_end(s); } } end{&s};
  s.next_in = in.data();
  s.avail_in = in.size();
  s.next_out = out.data();
  s.avail_out = out.size();
  for (;;) {
    lzma_ret ret = lzma_code(&s, LZMA_FINISH);
    uint64_t at = s.total_in;
    switch (ret) {
      case LZMA_OK: continue;
      case LZMA_STREAM_END: return static_cast<size_t>(s.total_out);
      case LZMA_MEMLIMIT_ERROR:
        return bad(ErrorCode::kLimit, structure, lzma_memlimit_rule(), at);
      case LZMA_MEM_ERROR: return bad(ErrorCode::kLimit, structure, "out of memory", at);
      case LZMA_FORMAT_ERROR: return bad(ErrorCode::kMalformed, structure, "bad magic", 0);
      case LZMA_OPTIONS_ERROR: return bad(ErrorCode::kUnsupported, structure, "unsupported options or filter", at);
      case LZMA_DATA_ERROR: return bad(ErrorCode::kMalformed, structure, "corrupt compressed data", at);
      case LZMA_BUF_ERROR:
        if (s.avail_out == 0) {
          if (accept_full_at_end && s.avail_in == 0) return static_cast<size_t>(s.total_out);
          return fail(detail::output_full(structure, out.size(), at));
        }
        return bad(ErrorCode::kTruncated, structure, "stream ends before its end marker", at);
      default: return bad(ErrorCode::kMalformed, structure, "decoder error " + std::to_string(int(ret)), at);
    }
  }
}

bool has_xz_magic(Bytes in) {
  static const uint8_t kMagic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
  return in.size() >= 6 && std::equal(kMagic, kMagic + 6, in.begin());
}

}  // namespace

Result<size_t> xz_decode(Bytes in, std::span<uint8_t> out) {
  lzma_stream s = LZMA_STREAM_INIT;
  // Concatenated streams and stream padding are legal in .xz files; check the integrity check too.
  if (lzma_stream_decoder(&s, kLzmaMemLimit, LZMA_CONCATENATED) != LZMA_OK)
    return fail(ErrorCode::kLimit, "xz stream", "cannot initialise liblzma");
  return run_lzma(s, "xz stream", in, out, false);
}

Result<size_t> lzma_decode(Bytes in, std::span<uint8_t> out) {
  // UDIF 0x80000008 chunks seen so far are xz streams; older writers used the 13-byte
  // "lzma alone" header (properties, dictionary size, u64 decoded size or all ones).
  if (has_xz_magic(in)) return xz_decode(in, out);
  lzma_stream s = LZMA_STREAM_INIT;
  if (lzma_alone_decoder(&s, kLzmaMemLimit) != LZMA_OK) return fail(ErrorCode::kLimit, "LZMA stream", "cannot initialise liblzma");
  // A header with an unknown size and no end marker ends where the input does.
  bool unknown_size = in.size() >= 13 && std::all_of(in.begin() + 5, in.begin() + 13, [](uint8_t b) { return b == 0xFF; });
  return run_lzma(s, "LZMA stream", in, out, unknown_size);
}

// ---- zstd ------------------------------------------------------------------------------------

Result<size_t> zstd_decode(Bytes in, std::span<uint8_t> out) {
  const char* structure = "zstd frame";
  struct Free { void operator()(ZSTD_DStream* d) const { ZSTD_freeDStream(d); } };
  thread_local std::unique_ptr<ZSTD_DStream, Free> ds(ZSTD_createDStream());
  if (!ds) return fail(ErrorCode::kLimit, structure, "cannot allocate a decoder");
  ZSTD_DCtx_reset(ds.get(), ZSTD_reset_session_and_parameters);
  // A frame asking for a window over 256 MiB is refused (the same cap as liblzma's).
  ZSTD_DCtx_setParameter(ds.get(), ZSTD_d_windowLogMax, 28);
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  size_t hint = 1;
  while (ib.pos < ib.size) {
    size_t in_before = ib.pos, out_before = ob.pos;
    hint = ZSTD_decompressStream(ds.get(), &ob, &ib);
    if (ZSTD_isError(hint)) {
      ZSTD_ErrorCode code = ZSTD_getErrorCode(hint);
      if (code == ZSTD_error_frameParameter_windowTooLarge)
        return bad(ErrorCode::kLimit, structure, "window larger than 256 MiB", ib.pos);
      return bad(ErrorCode::kMalformed, structure, ZSTD_getErrorName(hint), ib.pos);
    }
    if (ib.pos == in_before && ob.pos == out_before) {
      if (ob.pos == ob.size) return fail(detail::output_full(structure, out.size(), ib.pos));
      break;
    }
  }
  // All input consumed: a frame is complete only when the decoder has nothing buffered.
  if (hint != 0) {
    if (ob.pos == ob.size) {
      // Flush what is buffered; if more output is pending, the destination is too small.
      size_t out_before = ob.pos;
      hint = ZSTD_decompressStream(ds.get(), &ob, &ib);
      if (!ZSTD_isError(hint) && hint != 0 && ob.pos == out_before)
        return fail(detail::output_full(structure, out.size(), ib.pos));
    }
    if (hint != 0) return bad(ErrorCode::kTruncated, structure, "stream ends before the frame is complete", ib.pos);
  }
  return ob.pos;
}

// ---- LZ4 frame -------------------------------------------------------------------------------

Result<size_t> lz4_frame_decode(Bytes in, std::span<uint8_t> out) {
  const char* structure = "LZ4 frame";
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION)))
    return fail(ErrorCode::kLimit, structure, "cannot allocate a decoder");
  struct Free { void operator()(LZ4F_dctx* d) const { LZ4F_freeDecompressionContext(d); } };
  std::unique_ptr<LZ4F_dctx, Free> ctx(raw);
  size_t in_pos = 0, out_pos = 0, hint = 1;
  while (in_pos < in.size()) {
    size_t src_len = in.size() - in_pos, dst_len = out.size() - out_pos;
    hint = LZ4F_decompress(ctx.get(), out.data() + out_pos, &dst_len, in.data() + in_pos, &src_len, nullptr);
    if (LZ4F_isError(hint)) return bad(ErrorCode::kMalformed, structure, LZ4F_getErrorName(hint), in_pos);
    in_pos += src_len;
    out_pos += dst_len;
    if (src_len == 0 && dst_len == 0) {
      if (out_pos == out.size()) return fail(detail::output_full(structure, out.size(), in_pos));
      break;
    }
  }
  if (hint != 0) {
    // Input exhausted: data may still be buffered inside the context waiting for space.
    size_t src_len = 0, dst_len = out.size() - out_pos;
    hint = LZ4F_decompress(ctx.get(), out.data() + out_pos, &dst_len, in.data() + in_pos, &src_len, nullptr);
    if (LZ4F_isError(hint)) return bad(ErrorCode::kMalformed, structure, LZ4F_getErrorName(hint), in_pos);
    out_pos += dst_len;
    if (hint != 0 && out_pos == out.size()) return fail(detail::output_full(structure, out.size(), in_pos));
    if (hint != 0) return bad(ErrorCode::kTruncated, structure, "stream ends before the frame is complete", in_pos);
  }
  return out_pos;
}

}  // namespace upscope::compress
