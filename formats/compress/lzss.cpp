// The LZSS of "complzss" kernelcaches (Okumura's 1989 LZSS as Apple's kext loader uses it): a
// 4096-byte ring buffer whose first 4078 bytes start as spaces, writing from position 4078; a flag
// byte read LSB first (1 = literal byte, 0 = a two-byte match); a match is 12 bits of absolute
// ring position (low 8 bits in byte 0, high 4 in the top of byte 1) and a length of the low 4 bits
// of byte 1 plus 3 (threshold 2, so 3..18 bytes).
#include <fmt/format.h>
#include <zlib.h>

#include <array>
#include <cstring>

#include "compress/codec.hpp"
#include "compress/codec_internal.hpp"
#include "compress/complzss.hpp"
#include "inspect/limits.hpp"

namespace upscope::compress {

namespace {
constexpr size_t kRing = 4096;
constexpr size_t kMaxMatch = 18;
constexpr size_t kThreshold = 2;
}  // namespace

Result<size_t> lzss_decode(Bytes in, std::span<uint8_t> out) {
  const char* structure = "LZSS stream";
  // Apple's decoder leaves the last 18 ring bytes uninitialised; a valid encoder never reads them
  // before writing, so any fill is correct for valid input. Spaces keep the output deterministic.
  std::array<uint8_t, kRing> ring;
  ring.fill(' ');
  size_t r = kRing - kMaxMatch;
  size_t ip = 0, op = 0;
  const size_t in_size = in.size(), out_size = out.size();
  unsigned flags = 0;  // bit 8 and up: how many flag bits remain
  for (;;) {
    flags >>= 1;
    if ((flags & 0x100) == 0) {
      if (ip >= in_size) break;
      flags = in[ip++] | 0xFF00u;
    }
    if (flags & 1) {
      if (ip >= in_size) break;  // the last flag byte's unused bits
      if (op >= out_size) return fail(detail::output_full(structure, out_size, ip));
      uint8_t c = in[ip++];
      out[op++] = c;
      ring[r] = c;
      r = (r + 1) & (kRing - 1);
      continue;
    }
    if (ip >= in_size) break;  // unused bits of the last flag byte read as matches
    if (in_size - ip < 2)
      return fail(ErrorCode::kTruncated, structure, "2-byte match token runs past the end of the input", ip);
    size_t pos = in[ip] | (size_t(in[ip + 1] & 0xF0) << 4);
    size_t len = (in[ip + 1] & 0x0F) + kThreshold + 1;
    if (out_size - op < len) return fail(detail::output_full(structure, out_size, ip));
    ip += 2;
    for (size_t k = 0; k < len; ++k) {
      uint8_t c = ring[(pos + k) & (kRing - 1)];
      out[op++] = c;
      ring[r] = c;
      r = (r + 1) & (kRing - 1);
    }
  }
  return op;
}

uint32_t adler32(Bytes data) {
  uLong a = ::adler32(0L, Z_NULL, 0);
  return static_cast<uint32_t>(::adler32_z(a, data.data(), data.size()));
}

Result<ComplzssHeader> parse_complzss(const ByteReader& r) {
  const char* structure = "complzss header";
  if (!r.starts_with("complzss"))
    return fail(ErrorCode::kMalformed, structure, "missing \"complzss\" signature", r.base());
  if (r.size() < kComplzssHeaderSize)
    return fail(ErrorCode::kTruncated, structure,
                fmt::format("input is {} bytes, shorter than the 384-byte header", r.size()), r.base());
  ComplzssHeader h;
  h.adler32 = *r.u32be(8);
  h.decoded_size = *r.u32be(12);
  h.encoded_size = *r.u32be(16);
  h.platform_name = std::string(*r.fixed_string(0x40, 64));
  h.root_path = std::string(*r.fixed_string(0x80, 256));
  uint64_t avail = r.size() - kComplzssHeaderSize;
  if (h.encoded_size > avail)
    return fail(ErrorCode::kTruncated, structure,
                fmt::format("encoded size {} runs past the end of the input ({} bytes after the header)",
                            h.encoded_size, avail),
                r.base() + 16);
  h.trailing_bytes = avail - h.encoded_size;
  return h;
}

Result<ComplzssPayload> decode_complzss(const ByteReader& r, uint64_t max_output) {
  ComplzssPayload p;
  UPSCOPE_TRY(p.header, parse_complzss(r));
  if (p.header.decoded_size > max_output)
    return fail(ErrorCode::kLimit, "complzss header",
                fmt::format("decoded size {} exceeds the limit of {} bytes (decompression bomb guard)",
                            p.header.decoded_size, max_output),
                r.base() + 12);
  UPSCOPE_CHECK(check_memory(p.header.decoded_size, "complzss payload", r.base() + 12));
  UPSCOPE_TRY(Bytes body, r.bytes(kComplzssHeaderSize, p.header.encoded_size));
  p.data.resize(p.header.decoded_size);
  auto n = lzss_decode(body, p.data);
  if (!n) {
    Error e = n.error().shifted(r.base() + kComplzssHeaderSize);
    if (detail::is_output_full(e))
      e = make_error(ErrorCode::kMalformed, "LZSS stream",
                     fmt::format("decodes to more than the {} bytes the header promises", p.header.decoded_size),
                     e.offset);
    return fail(std::move(e));
  }
  if (*n != p.header.decoded_size)
    return fail(ErrorCode::kMalformed, "LZSS stream",
                fmt::format("decoded to {} bytes, header says {}", *n, p.header.decoded_size),
                r.base() + kComplzssHeaderSize);
  p.computed_adler32 = adler32(p.data);
  return p;
}

}  // namespace upscope::compress
