// Apple Data Compression (UDIF chunk type 0x80000004; docs/formats/udif.md §7). A byte-oriented LZ77
// with no header and no end marker: the stream ends with the input.
//   1LLLLLLL                     literal run of L+1 bytes
//   01MMMMDD DDDDDDDD            match of M+3 bytes at distance D+1
//   00MMMMMM DDDDDDDD DDDDDDDD   match of M+4 bytes at distance D+1 (big-endian D)
#include <fmt/format.h>

#include <cstring>

#include "compress/codec.hpp"
#include "compress/codec_internal.hpp"

namespace upscope::compress {

Result<size_t> adc_decode(Bytes in, std::span<uint8_t> out) {
  const char* structure = "ADC stream";
  size_t ip = 0, op = 0;
  const size_t in_size = in.size(), out_size = out.size();
  while (ip < in_size) {
    const size_t at = ip;
    const uint8_t b = in[ip];
    if (b & 0x80) {
      size_t len = (b & 0x7F) + 1u;
      if (in_size - ip - 1 < len)
        return fail(ErrorCode::kTruncated, structure,
                    fmt::format("literal run of {} bytes runs past the end of the input", len), at);
      if (out_size - op < len) return fail(detail::output_full(structure, out_size, at));
      std::memcpy(out.data() + op, in.data() + ip + 1, len);
      ip += 1 + len;
      op += len;
      continue;
    }
    size_t len, dist, opcode_size = (b & 0x40) ? 2 : 3;
    if (in_size - ip < opcode_size)
      return fail(ErrorCode::kTruncated, structure,
                  fmt::format("{}-byte match opcode runs past the end of the input", opcode_size), at);
    if (b & 0x40) {
      len = ((b >> 2) & 0x0F) + 3u;
      dist = ((size_t(b & 0x03) << 8) | in[ip + 1]) + 1u;
    } else {
      len = (b & 0x3F) + 4u;
      dist = ((size_t(in[ip + 1]) << 8) | in[ip + 2]) + 1u;
    }
    if (dist > op)
      return fail(ErrorCode::kMalformed, structure,
                  fmt::format("match distance {} reaches before the start of the output ({} bytes written)", dist, op), at);
    if (out_size - op < len) return fail(detail::output_full(structure, out_size, at));
    // Byte by byte: a distance shorter than the length repeats the last bytes (run-length).
    for (size_t k = 0; k < len; ++k) out[op + k] = out[op + k - dist];
    ip += opcode_size;
    op += len;
  }
  return op;
}

}  // namespace upscope::compress
