// The codec dispatcher: names, the table of decoders, and decoding into a growing buffer.
#include "compress/codec.hpp"

#include <algorithm>
#include <string>

#include "compress/codec_internal.hpp"
#include "compress/lzfse_blocks.hpp"
#include "inspect/limits.hpp"

namespace upscope::compress {

namespace {

struct CodecInfo {
  Codec codec;
  const char* name;
  DecodeFn fn;
};

const CodecInfo kCodecs[] = {
    {Codec::kZlib, "zlib", zlib_decode},
    {Codec::kDeflate, "deflate", deflate_decode},
    {Codec::kBzip2, "bzip2", bzip2_decode},
    {Codec::kXz, "xz", xz_decode},
    {Codec::kLzma, "lzma", lzma_decode},
    {Codec::kZstd, "zstd", zstd_decode},
    {Codec::kLz4Frame, "lz4", lz4_frame_decode},
    {Codec::kLz4Block, "lz4-block", lz4_block_stream_decode},
    {Codec::kLzfse, "lzfse", lzfse_decode},
    {Codec::kLzvn, "lzvn", lzvn_decode},
    {Codec::kAdc, "adc", adc_decode},
    {Codec::kLzss, "lzss", lzss_decode},
    {Codec::kLzbitmap, "lzbitmap", lzbitmap_decode},
};

const CodecInfo* find(Codec c) {
  for (const auto& info : kCodecs)
    if (info.codec == c) return &info;
  return nullptr;
}

}  // namespace

const char* codec_name(Codec c) {
  const CodecInfo* info = find(c);
  return info ? info->name : "unknown";
}

std::optional<Codec> codec_from_name(std::string_view name) {
  for (const auto& info : kCodecs)
    if (name == info.name) return info.codec;
  return std::nullopt;
}

DecodeFn decoder_for(Codec c) {
  const CodecInfo* info = find(c);
  return info ? info->fn : nullptr;
}

Result<size_t> decode(Codec c, Bytes in, std::span<uint8_t> out) {
  DecodeFn fn = decoder_for(c);
  if (!fn) return fail(ErrorCode::kUnsupported, "compressed stream", std::string("no decoder for codec ") + codec_name(c));
  return fn(in, out);
}

Result<std::vector<uint8_t>> decode_to_vector(Codec c, Bytes in, uint64_t max_output) {
  DecodeFn fn = decoder_for(c);
  if (!fn) return fail(ErrorCode::kUnsupported, "compressed stream", std::string("no decoder for codec ") + codec_name(c));
  // Start near a typical ratio and double: each retry re-decodes, so the total work stays within
  // about twice the final decode, and memory never exceeds max_output (nor the --max-memory limit).
  const uint64_t reader_cap = max_output;
  max_output = clamp_to_memory_limit(max_output);
  uint64_t cap = std::min<uint64_t>(max_output, std::max<uint64_t>(uint64_t{64} << 10, uint64_t(in.size()) * 4));
  // LZFSE block headers give the decoded size: one buffer of exactly that size, decoded once. A
  // 300 MB kernelcache otherwise took a 4x-input buffer and then a shrunk copy, 700 MB at the peak.
  if (c == Codec::kLzfse)
    if (auto layout = lzfse_block_layout(ByteReader(in)); layout && layout->decoded_size <= max_output)
      cap = std::max<uint64_t>(layout->decoded_size, 1);
  std::vector<uint8_t> out;
  for (;;) {
    auto size = to_size(cap);
    if (!size) return fail(ErrorCode::kLimit, std::string(codec_name(c)) + " stream", "output cap does not fit in memory");
    out.resize(*size);
    auto n = fn(in, std::span<uint8_t>(out.data(), out.size()));
    if (n) {
      if (*n != out.size()) {
        out.resize(*n);
        out.shrink_to_fit();
      }
      return out;
    }
    if (!detail::is_output_full(n.error())) return fail(std::move(n).error());
    if (cap >= max_output) {
      if (max_output < reader_cap) return fail(memory_limit_error(std::string(codec_name(c)) + " stream"));
      return fail(ErrorCode::kLimit, std::string(codec_name(c)) + " stream",
                  "decoded data exceeds the limit of " + std::to_string(max_output) + " bytes (decompression bomb guard)");
    }
    cap = cap > max_output / 2 ? max_output : cap * 2;
  }
}

}  // namespace upscope::compress
