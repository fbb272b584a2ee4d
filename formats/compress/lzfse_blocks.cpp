#include "compress/lzfse_blocks.hpp"

#include <fmt/format.h>

#include "inspect/text.hpp"

namespace upscope::compress {

Result<LzfseLayout> lzfse_block_layout(const ByteReader& r, size_t max_blocks) {
  const char* structure = "LZFSE block header";
  LzfseLayout layout;
  uint64_t off = 0;
  for (;;) {
    const uint64_t abs = r.base() + off;
    if (!r.has(off, 4))
      return fail(ErrorCode::kTruncated, structure, "stream ends without a bvx$ end-of-stream block", abs);
    if (layout.blocks.size() >= max_blocks)
      return fail(ErrorCode::kLimit, structure, fmt::format("more than {} blocks", max_blocks), abs);
    LzfseBlock b;
    b.offset = off;
    b.magic = std::string(*r.fixed_string(off, 4));
    uint8_t kind = *r.u8(off + 3);
    if (!r.starts_with("bvx", off) || (kind != '$' && kind != '-' && kind != 'n' && kind != '1' && kind != '2'))
      return fail(ErrorCode::kMalformed, structure, fmt::format("unknown block magic {}", printable(*r.bytes(off, 4))), abs);
    auto need = [&](uint64_t n) -> Status {
      if (!r.has(off, n))
        return fail(ErrorCode::kTruncated, structure, fmt::format("{} header runs past the end of the stream", b.magic), abs);
      return {};
    };
    uint64_t payload = 0, header = 0;
    switch (kind) {
      case '$':
        b.block_size = 4;
        break;
      case '-':
        UPSCOPE_CHECK(need(8));
        b.raw_size = *r.u32le(off + 4);
        header = 8;
        payload = b.raw_size;
        break;
      case 'n':
        UPSCOPE_CHECK(need(12));
        b.raw_size = *r.u32le(off + 4);
        header = 12;
        payload = *r.u32le(off + 8);
        break;
      case '1':
        UPSCOPE_CHECK(need(770));
        b.raw_size = *r.u32le(off + 4);
        header = 770;
        payload = uint64_t(*r.u32le(off + 20)) + *r.u32le(off + 24);  // literal + lmd payload bytes
        break;
      case '2': {
        UPSCOPE_CHECK(need(32));
        b.raw_size = *r.u32le(off + 4);
        uint64_t w0 = *r.u64le(off + 8), w1 = *r.u64le(off + 16), w2 = *r.u64le(off + 24);
        header = w2 & 0xFFFFFFFFu;
        if (header < 32)
          return fail(ErrorCode::kMalformed, structure, fmt::format("bvx2 header size {} is below 32", header), abs);
        payload = ((w0 >> 20) & 0xFFFFF) + ((w1 >> 40) & 0xFFFFF);
        break;
      }
    }
    if (kind != '$') {
      b.block_size = header + payload;  // both below 2^33: no overflow
      if (!r.has(off, b.block_size))
        return fail(ErrorCode::kTruncated, structure,
                    fmt::format("{} block of {} bytes runs past the end of the stream", b.magic, b.block_size), abs);
    }
    layout.decoded_size += b.raw_size;
    off += b.block_size;
    layout.blocks.push_back(std::move(b));
    if (kind == '$') break;
  }
  layout.end_offset = off;
  return layout;
}

}  // namespace upscope::compress
