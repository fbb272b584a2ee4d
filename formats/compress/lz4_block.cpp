// Apple's LZ4 block framing (libcompression's COMPRESSION_LZ4, pbz4 chunks): blocks until bv4$.
//   "bv41" u32le raw_size u32le payload_size  payload: one LZ4 block
//   "bv4-" u32le raw_size                     raw_size stored bytes
//   "bv4$"                                    end of stream
// A block may refer back into earlier blocks' output (up to 64 KiB), so each block is decoded
// with the output so far as its prefix dictionary.
#include <fmt/format.h>
#include <lz4.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "compress/codec.hpp"
#include "compress/codec_internal.hpp"

namespace upscope::compress {

Result<size_t> lz4_block_stream_decode(Bytes in, std::span<uint8_t> out) {
  const char* structure = "LZ4 block stream";
  ByteReader r(in);
  uint64_t ip = 0;
  size_t op = 0;
  for (;;) {
    if (!r.has(ip, 4))
      return fail(ErrorCode::kTruncated, structure, "stream ends without a bv4$ end-of-stream block", ip);
    const uint8_t* m = in.data() + ip;
    if (m[0] != 'b' || m[1] != 'v' || m[2] != '4')
      return fail(ErrorCode::kMalformed, structure,
                  fmt::format("unknown block magic {:02x}{:02x}{:02x}{:02x}", m[0], m[1], m[2], m[3]), ip);
    const uint64_t at = ip;
    if (m[3] == '$') return op;
    if (m[3] == '-') {
      if (!r.has(ip, 8)) return fail(ErrorCode::kTruncated, "LZ4 bv4- block", "header runs past the end of the input", at);
      uint64_t raw = *r.u32le(ip + 4);
      if (!r.has(ip + 8, raw))
        return fail(ErrorCode::kTruncated, "LZ4 bv4- block",
                    fmt::format("{} stored bytes run past the end of the input", raw), at);
      if (out.size() - op < raw) return fail(detail::output_full(structure, out.size(), at));
      std::memcpy(out.data() + op, in.data() + ip + 8, raw);
      op += raw;
      ip += 8 + raw;
      continue;
    }
    if (m[3] != '1')
      return fail(ErrorCode::kMalformed, structure, fmt::format("unknown block magic bv4{:c}", char(m[3])), at);
    if (!r.has(ip, 12)) return fail(ErrorCode::kTruncated, "LZ4 bv41 block", "header runs past the end of the input", at);
    uint64_t raw = *r.u32le(ip + 4), payload = *r.u32le(ip + 8);
    if (!r.has(ip + 12, payload))
      return fail(ErrorCode::kTruncated, "LZ4 bv41 block",
                  fmt::format("payload of {} bytes runs past the end of the input", payload), at);
    if (out.size() - op < raw) return fail(detail::output_full(structure, out.size(), at));
    if (raw > INT_MAX || payload > INT_MAX)
      return fail(ErrorCode::kLimit, "LZ4 bv41 block", "block larger than 2 GiB", at);
    size_t dict = std::min<size_t>(op, 64 * 1024);
    int n = LZ4_decompress_safe_usingDict(reinterpret_cast<const char*>(in.data() + ip + 12),
                                          reinterpret_cast<char*>(out.data() + op), int(payload), int(raw),
                                          reinterpret_cast<const char*>(out.data() + op - dict), int(dict));
    if (n < 0)
      return fail(ErrorCode::kMalformed, "LZ4 bv41 block",
                  fmt::format("corrupt LZ4 block (decoder stopped at payload byte {})", -n - 1), at);
    if (uint64_t(n) != raw)
      return fail(ErrorCode::kMalformed, "LZ4 bv41 block", fmt::format("decoded to {} bytes, header says {}", n, raw), at);
    op += raw;
    ip += 12 + payload;
  }
}

}  // namespace upscope::compress
