#include "pbzx/pbzx.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "compress/codec_internal.hpp"
#include "inspect/limits.hpp"
#include "inspect/text.hpp"
#include "inspect/thread_pool.hpp"
#include "pbzx/probe.hpp"

namespace upscope::pbzx {

namespace {

std::optional<compress::Codec> codec_of(std::string_view magic) {
  if (magic == "pbzx") return compress::Codec::kXz;
  if (magic == "pbze") return compress::Codec::kLzfse;
  if (magic == "pbz4") return compress::Codec::kLz4Block;
  if (magic == "pbzz") return compress::Codec::kZlib;
  if (magic == "pbzb") return compress::Codec::kLzbitmap;  // each chunk one ZBM stream (docs/formats/lzbitmap.md §4)
  return std::nullopt;  // pbzm (LZRaven): no public decoder
}

std::string chunk_label(const Stream& s, size_t i) { return fmt::format("{} chunk {}", s.magic, i); }

Error chunk_error(ErrorCode code, const Stream& s, size_t i, uint64_t abs_offset, std::string rule) {
  return make_error(code, chunk_label(s, i), std::move(rule), abs_offset);
}

}  // namespace

bool is_pbz(Bytes data) {
  return data.size() >= 4 && codec_of_magic(std::string_view(reinterpret_cast<const char*>(data.data()), 4)) != nullptr;
}

Result<Stream> parse(const ByteReader& r, Diagnostics& diags) {
  if (r.size() < kHeaderSize)
    return fail(ErrorCode::kTruncated, "pbz* header",
                fmt::format("stream is {} bytes, shorter than the 12-byte header", r.size()), r.base());
  Stream s;
  UPSCOPE_TRY(Bytes magic, r.bytes(0, 4));
  const char* codec = codec_of_magic(std::string_view(reinterpret_cast<const char*>(magic.data()), 4));
  if (!codec)
    return fail(ErrorCode::kMalformed, "pbz* header", fmt::format("unknown magic '{}'", printable(magic)), r.base());
  s.magic.assign(reinterpret_cast<const char*>(magic.data()), 4);
  s.codec_name = codec;
  s.codec = codec_of(s.magic);
  UPSCOPE_TRY(s.block_size, r.u64be(4));

  auto stop = [&](Error e) {
    diags.add(e);
    s.framing_error = std::move(e);
  };
  uint64_t off = kHeaderSize;
  while (off < r.size()) {
    size_t i = s.chunks.size();
    uint64_t abs = r.base() + off;
    uint64_t left = r.size() - off;
    if (left < kChunkHeaderSize) {
      stop(chunk_error(ErrorCode::kTruncated, s, i, abs,
                       fmt::format("chunk header runs past the end of the stream ({} bytes left, 16 needed)", left)));
      break;
    }
    Chunk c;
    c.header_offset = off;
    c.data_offset = off + kChunkHeaderSize;
    c.raw_size = *r.u64be(off);
    c.stored_size = *r.u64be(off + 8);
    c.stored = c.stored_size == c.raw_size;
    if (c.stored_size > c.raw_size) {
      stop(chunk_error(ErrorCode::kMalformed, s, i, abs,
                       fmt::format("stored size {} is larger than raw size {}", c.stored_size, c.raw_size)));
      break;
    }
    if (c.raw_size > s.block_size) {
      stop(chunk_error(ErrorCode::kMalformed, s, i, abs,
                       fmt::format("raw size {} exceeds the block size {}", c.raw_size, s.block_size)));
      break;
    }
    if (c.raw_size > kMaxChunkSize) {
      stop(chunk_error(ErrorCode::kLimit, s, i, abs,
                       fmt::format("raw size {} exceeds the {}-byte chunk limit", c.raw_size, kMaxChunkSize)));
      break;
    }
    if (!range_fits(c.data_offset, c.stored_size, r.size())) {
      stop(chunk_error(ErrorCode::kTruncated, s, i, abs,
                       fmt::format("stored size {} runs past the end of the stream ({} bytes left)", c.stored_size,
                                   r.size() - c.data_offset)));
      break;
    }
    s.chunks.push_back(c);
    s.decoded_size += c.raw_size;  // cannot wrap: each raw size is capped and chunks are >= 16 bytes
    s.stored_bytes += c.stored_size;
    off = c.data_offset + c.stored_size;
  }
  s.end_offset = s.chunks.empty() ? kHeaderSize : s.chunks.back().data_offset + s.chunks.back().stored_size;
  if (s.chunks.empty() && !s.framing_error) diags.warning(r.base(), s.magic + " stream", "stream has no chunks");
  return s;
}

Result<std::vector<uint8_t>> decode_chunk(const ByteReader& r, const Stream& s, size_t index) {
  if (index >= s.chunks.size())
    return fail(ErrorCode::kInvalidArgument, s.magic + " stream", fmt::format("no chunk {}", index));
  const Chunk& c = s.chunks[index];
  UPSCOPE_TRY(Bytes data, r.bytes(c.data_offset, c.stored_size));
  uint64_t abs = r.base() + c.data_offset;
  if (c.stored) return std::vector<uint8_t>(data.begin(), data.end());
  if (!s.codec)
    return fail(ErrorCode::kUnsupported, s.magic + " stream", "unsupported codec " + s.codec_name, r.base());
  std::vector<uint8_t> out(c.raw_size);
  auto n = compress::decode(*s.codec, data, out);
  // pbzz: zlib with its 2-byte header first, raw deflate second (docs/formats/pbzx.md §2).
  if (!n && *s.codec == compress::Codec::kZlib && !compress::detail::is_output_full(n.error())) {
    auto raw = compress::deflate_decode(data, out);
    if (raw) n = raw;
  }
  if (!n) {
    Error e = n.error().shifted(abs);
    if (compress::detail::is_output_full(e)) {
      e.code = ErrorCode::kMalformed;
      e.rule = fmt::format("decodes to more than its raw size {}", c.raw_size);
    }
    e.structure = chunk_label(s, index) + ": " + e.structure;
    return fail(std::move(e));
  }
  if (*n != c.raw_size)
    return fail(chunk_error(ErrorCode::kMalformed, s, index, abs,
                            fmt::format("decoded to {} bytes, header says {}", *n, c.raw_size)));
  return out;
}

Result<uint64_t> decode(const ByteReader& r, const Stream& s, unsigned jobs, uint64_t max_output, const Sink& sink) {
  if (s.framing_error) return fail(*s.framing_error);
  // Refused even when every chunk happens to be stored: we cannot vouch for the stream.
  if (!s.codec) return fail(ErrorCode::kUnsupported, s.magic + " stream", "unsupported codec " + s.codec_name, r.base());
  if (s.decoded_size > max_output)
    return fail(ErrorCode::kLimit, s.magic + " stream",
                fmt::format("decoded size {} exceeds the limit of {} bytes (decompression bomb guard)", s.decoded_size,
                            max_output),
                r.base());

  uint64_t written = 0;
  std::optional<Error> failure;
  auto consume = [&](size_t i, Result<std::vector<uint8_t>> chunk) -> bool {
    const Chunk& c = s.chunks[i];
    Status st;
    if (!chunk) {
      failure = std::move(chunk).error();
      return false;
    }
    if (c.stored) {
      st = sink(r.data().subspan(c.data_offset, c.stored_size));  // zero copy
    } else {
      st = sink(Bytes(*chunk));
    }
    if (!st) {
      failure = st.error();
      return false;
    }
    written += c.raw_size;
    return true;
  };
  auto produce = [&](size_t i) -> Result<std::vector<uint8_t>> {
    if (s.chunks[i].stored) return std::vector<uint8_t>{};  // handed out of the mapping by consume
    return decode_chunk(r, s, i);
  };

  unsigned threads = resolve_jobs(jobs);
  size_t compressed = 0;
  uint64_t largest = 0;  // each chunk in flight holds its decoded bytes
  for (size_t i = 0; i < s.chunks.size(); ++i) {
    const Chunk& c = s.chunks[i];
    if (c.stored) continue;
    ++compressed;
    if (c.raw_size > largest) {
      largest = c.raw_size;
      UPSCOPE_CHECK(check_memory(largest, fmt::format("{} chunk {}", s.magic, i), r.base() + c.header_offset));
    }
  }
  // Under --max-memory, fewer chunks in flight rather than a failure.
  if (largest > 0) threads = static_cast<unsigned>(std::clamp<uint64_t>(memory_limit() / (2 * largest), 1, threads));
  if (threads <= 1 || compressed <= 1) {
    for (size_t i = 0; i < s.chunks.size(); ++i)
      if (!consume(i, produce(i))) break;
  } else {
    ThreadPool pool(threads);
    // Two chunks per worker keeps every core busy while the sink writes; memory stays at about
    // 2 × threads × block size.
    ordered_parallel_map(pool, s.chunks.size(), size_t{2} * threads, produce, consume);
  }
  if (failure) return fail(std::move(*failure));
  return written;
}

Result<std::vector<uint8_t>> decode_to_vector(const ByteReader& r, uint64_t max_output, unsigned jobs) {
  Diagnostics diags;
  UPSCOPE_TRY(Stream s, parse(r, diags));
  if (s.framing_error) return fail(*s.framing_error);
  if (s.decoded_size > max_output)
    return fail(ErrorCode::kLimit, s.magic + " stream",
                fmt::format("decoded size {} exceeds the limit of {} bytes (decompression bomb guard)", s.decoded_size,
                            max_output),
                r.base());
  UPSCOPE_CHECK(check_memory(s.decoded_size, s.magic + " stream", r.base()));
  auto size = to_size(s.decoded_size);
  if (!size) return fail(ErrorCode::kLimit, s.magic + " stream", "decoded size does not fit in memory", r.base());
  std::vector<uint8_t> out;
  out.reserve(*size);
  UPSCOPE_TRY(uint64_t n, decode(r, s, jobs, max_output, [&](Bytes b) -> Status {
                out.insert(out.end(), b.begin(), b.end());
                return {};
              }));
  (void)n;
  return out;
}

}  // namespace upscope::pbzx
