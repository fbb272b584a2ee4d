// LZVN: Apple's byte-oriented LZ77 (decmpfs types 7/8, LZFSE bvxn blocks). Each opcode byte carries
// a literal count L, a match length M and a distance D, or reuses the previous distance; the L
// literal bytes follow the opcode's operands, then M bytes are copied from D bytes back.
#include <bit>
#include <cstdio>
#include <cstring>
#include <string>

#include "compress/codec.hpp"
#include "compress/codec_internal.hpp"
#include "compress/lz_copy.hpp"
#include "compress/lzvn_core.hpp"

namespace upscope::compress {

namespace detail {
namespace {

enum class Op : uint8_t {
  kSmallDist,   // LLMMMDDD dddddddd: 11-bit distance
  kMediumDist,  // 101LLMMM MMDDDDDD DDDDDDDD (little-endian u16 after the opcode)
  kLargeDist,   // LLMMM111 + u16 distance
  kPrevDist,    // LLMMM110: reuse the previous distance
  kSmallLit,    // 1110LLLL
  kLargeLit,    // 0xE0 + byte: L = 16 + byte
  kSmallMatch,  // 1111MMMM, previous distance
  kLargeMatch,  // 0xF0 + byte: M = 16 + byte, previous distance
  kNop,         // 0x0E, 0x16
  kEnd,         // 0x06 followed by 7 padding bytes
  kUndefined,
};

constexpr Op classify(unsigned b) {
  if (b == 0x06) return Op::kEnd;
  if (b == 0x0E || b == 0x16) return Op::kNop;
  if (b == 0x1E || b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E) return Op::kUndefined;
  if ((b >= 0x70 && b <= 0x7F) || (b >= 0xD0 && b <= 0xDF)) return Op::kUndefined;
  if (b >= 0xA0 && b <= 0xBF) return Op::kMediumDist;
  if (b == 0xE0) return Op::kLargeLit;
  if (b > 0xE0 && b <= 0xEF) return Op::kSmallLit;
  if (b == 0xF0) return Op::kLargeMatch;
  if (b > 0xF0) return Op::kSmallMatch;
  if ((b & 7) == 7) return Op::kLargeDist;
  if ((b & 7) == 6) return Op::kPrevDist;
  return Op::kSmallDist;
}

struct OpTable {
  Op op[256];
  constexpr OpTable() : op() {
    for (unsigned b = 0; b < 256; ++b) op[b] = classify(b);
  }
};
constexpr OpTable kOps;

// How the fast loop decodes each opcode byte without branching on its kind. With w the two bytes
// after the opcode (little-endian; read even when the opcode has no operands):
//   L = l_base + (w & l_mask), M = m_base + (w & m_mask),
//   distance = (previous & keep) | (((d_hi | (w & d_mask)) >> d_shift) & ~keep),
// keep being 0xFFFF for the opcodes that keep the previous distance (distances fit 16 bits).
// Literal-only opcodes have M = 0; every other kind has M >= 1. Nops, end-of-stream and undefined
// opcodes are marked slow and go through the checked path. 16 bytes, so an entry is one shift away.
struct FastOp {
  uint16_t l_base, l_mask;
  uint16_t m_base, m_mask;
  uint16_t d_hi, d_mask;
  uint16_t keep;
  uint8_t d_shift;
  uint8_t len;  // opcode + operand bytes; 0: slow
};
static_assert(sizeof(FastOp) == 16);

constexpr FastOp fast_op(unsigned b) {
  const uint16_t l2 = uint16_t(b >> 6), m3 = uint16_t(((b >> 3) & 7) + 3);
  switch (classify(b)) {
    case Op::kSmallDist:
      return {l2, 0, m3, 0, uint16_t((b & 7) << 8), 0xFF, 0, 0, 2};
    case Op::kMediumDist:
      return {uint16_t((b >> 3) & 3), 0, uint16_t(((b & 7) << 2) + 3), 3, 0, 0xFFFF, 0, 2, 3};
    case Op::kLargeDist:
      return {l2, 0, m3, 0, 0, 0xFFFF, 0, 0, 3};
    case Op::kPrevDist:
      return {l2, 0, m3, 0, 0, 0, 0xFFFF, 0, 1};
    case Op::kSmallLit:
      return {uint16_t(b & 15), 0, 0, 0, 0, 0, 0xFFFF, 0, 1};
    case Op::kLargeLit:
      return {16, 0xFF, 0, 0, 0, 0, 0xFFFF, 0, 2};
    case Op::kSmallMatch:
      return {0, 0, uint16_t(b & 15), 0, 0, 0, 0xFFFF, 0, 1};
    case Op::kLargeMatch:
      return {0, 0, 16, 0xFF, 0, 0, 0xFFFF, 0, 2};
    default:
      return {0, 0, 0, 0, 0, 0, 0xFFFF, 0, 0};
  }
}

struct FastOpTable {
  FastOp op[256];
  constexpr FastOpTable() : op() {
    for (unsigned b = 0; b < 256; ++b) op[b] = fast_op(b);
  }
};
constexpr FastOpTable kFastOps;

// The fast loop runs while both buffers have this much room: an opcode reads at most 3 + 271 bytes
// plus the literal copy's 16-byte rounding, and writes at most 271 bytes plus kLzSlop.
constexpr size_t kFastMargin = 3 + 271 + 16 + kLzSlop;

inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

std::string hex_byte(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

}  // namespace

LzvnStop lzvn_run(std::span<const uint8_t> in, uint8_t* out, size_t out_pos, size_t out_limit, size_t out_end) {
  using Kind = LzvnStop::Kind;
  const uint8_t* const ib = in.data();
  const uint8_t* ip = ib;
  const uint8_t* const ie = ib + in.size();
  uint8_t* const ob = out;
  uint8_t* op = out + out_pos;
  uint8_t* const ol = out + out_limit;
  uint8_t* const oe = out + out_end;
  size_t dist = 0;  // the previous distance; 0 = none yet

  auto stop = [&](Kind kind, size_t extra = 0) {
    return LzvnStop{kind, size_t(ip - ib), size_t(op - ob), extra, ip < ie ? *ip : uint8_t(0)};
  };

  for (;;) {
    // Fast loop: at least kFastMargin bytes from the end of both input and output, no opcode can
    // overrun either (the largest reads 2 + 271 bytes plus copy slop and writes 271 plus slop),
    // so only distances need checking. End-of-stream, undefined opcodes and the last bytes of
    // either buffer go through the checked code below, one opcode at a time.
    while (size_t(ie - ip) >= kFastMargin && size_t(ol - op) >= kFastMargin) {
      const uint32_t x = load_u32(ip);
      const FastOp& o = kFastOps.op[x & 0xFF];
      if (o.len == 0) [[unlikely]]
        goto checked;
      const uint32_t w = (x >> 8) & 0xFFFF;
      const size_t lit = o.l_base + (w & o.l_mask);
      const size_t match = o.m_base + (w & o.m_mask);
      const uint32_t d = (o.d_hi | (w & o.d_mask)) >> o.d_shift;
      dist = (dist & o.keep) | (d & ~uint32_t(o.keep));
      const uint8_t* const at = ip;
      ip += o.len;
      copy_literals_wide(op, ip, lit);
      op += lit;
      ip += lit;
      // dist - 1 wraps for dist == 0, so one compare rejects both 0 and too far back. A
      // literal-only opcode (M = 0) runs the match copy too, copying nothing but scratch within the
      // margin: one branch fewer per opcode, and ~8% of opcodes are literal-only. It still must
      // not read before out[0], so before the first distance it skips the copy.
      if (dist - 1 >= size_t(op - ob)) [[unlikely]] {
        if (match == 0) continue;  // a literal-only opcode before the first distance
        return LzvnStop{Kind::kBadDistance, size_t(at - ib), size_t(op - ob), dist, uint8_t(x)};
      }
      copy_match_wide(op, dist, match);
      op += match;
    }
  checked:
    if (ip == ie) return stop(Kind::kInputEnded);
    const unsigned opc = *ip;
    const size_t avail = size_t(ie - ip);
    size_t lit, match, len;
    switch (kOps.op[opc]) {
      case Op::kSmallDist:
        lit = opc >> 6;
        match = ((opc >> 3) & 7) + 3;
        len = 2;
        if (avail < len + lit) return stop(Kind::kOpcodeTruncated);
        dist = ((opc & 7u) << 8) | ip[1];
        break;
      case Op::kMediumDist: {
        lit = (opc >> 3) & 3;
        len = 3;
        if (avail < len + lit) return stop(Kind::kOpcodeTruncated);
        const unsigned w = ip[1] | (unsigned(ip[2]) << 8);
        match = (((opc & 7u) << 2) | (w & 3u)) + 3;
        dist = w >> 2;
        break;
      }
      case Op::kLargeDist:
        lit = opc >> 6;
        match = ((opc >> 3) & 7) + 3;
        len = 3;
        if (avail < len + lit) return stop(Kind::kOpcodeTruncated);
        dist = ip[1] | (size_t(ip[2]) << 8);
        break;
      case Op::kPrevDist:
        lit = opc >> 6;
        match = ((opc >> 3) & 7) + 3;
        len = 1;
        if (avail < len + lit) return stop(Kind::kOpcodeTruncated);
        break;
      case Op::kSmallLit:
        lit = opc & 15;
        match = 0;
        len = 1;
        if (avail < len + lit) return stop(Kind::kOpcodeTruncated);
        break;
      case Op::kLargeLit:
        if (avail < 2) return stop(Kind::kOpcodeTruncated);
        lit = size_t(ip[1]) + 16;
        match = 0;
        len = 2;
        if (avail < len + lit) return stop(Kind::kOpcodeTruncated);
        break;
      case Op::kSmallMatch:
        lit = 0;
        match = opc & 15;
        len = 1;
        break;
      case Op::kLargeMatch:
        if (avail < 2) return stop(Kind::kOpcodeTruncated);
        lit = 0;
        match = size_t(ip[1]) + 16;
        len = 2;
        break;
      case Op::kNop:
        ++ip;
        continue;
      case Op::kEnd: {
        if (avail < 8) return stop(Kind::kOpcodeTruncated);
        ip += 8;
        LzvnStop done = stop(Kind::kEndOfStream);
        done.opcode = 0x06;
        return done;
      }
      default:
        return stop(Kind::kUndefinedOpcode);
    }

    const size_t total = lit + match;
    if (size_t(ol - op) < total) return stop(Kind::kOutputFull, total);
    if (match != 0 && (dist == 0 || dist > size_t(op - ob) + lit)) {
      LzvnStop bad = stop(Kind::kBadDistance, dist);
      bad.out_pos += lit;
      return bad;
    }
    const uint8_t* src = ip + len;
    if (size_t(oe - op) >= total + kLzSlop && size_t(ie - src) >= lit + kLzSlop) {
      copy_literals_wide(op, src, lit);
      op += lit;
      if (match) copy_match_wide(op, dist, match);
      op += match;
    } else {
      if (lit) std::memcpy(op, src, lit);
      op += lit;
      copy_match_bytes(op, dist, match);
      op += match;
    }
    ip = src + lit;
  }
}

Error lzvn_stop_error(const LzvnStop& s, uint64_t in_base) {
  using Kind = LzvnStop::Kind;
  const uint64_t at = in_base + s.in_pos;
  switch (s.kind) {
    case Kind::kInputEnded:
      return make_error(ErrorCode::kTruncated, "LZVN", "stream ends without the end-of-stream opcode 0x06", at);
    case Kind::kOpcodeTruncated:
      return make_error(ErrorCode::kTruncated, "LZVN",
                        "opcode " + hex_byte(s.opcode) + " and its operands or literals extend past the end of input", at);
    case Kind::kUndefinedOpcode:
      return make_error(ErrorCode::kMalformed, "LZVN", "undefined opcode " + hex_byte(s.opcode), at);
    case Kind::kBadDistance:
      if (s.distance == 0)
        return make_error(ErrorCode::kMalformed, "LZVN", "match distance 0 is invalid (no previous distance to reuse)", at);
      return make_error(ErrorCode::kMalformed, "LZVN",
                        "match distance " + std::to_string(s.distance) + " reaches before the start of output (" +
                            std::to_string(s.out_pos) + " bytes written)",
                        at);
    case Kind::kOutputFull:
    case Kind::kEndOfStream:
      break;
  }
  return make_error(ErrorCode::kMalformed, "LZVN", "decoder stopped unexpectedly", at);
}

}  // namespace detail

Result<size_t> lzvn_decode(Bytes in, std::span<uint8_t> out) {
  const detail::LzvnStop s = detail::lzvn_run(in, out.data(), 0, out.size(), out.size());
  if (s.kind == detail::LzvnStop::Kind::kEndOfStream) return s.out_pos;
  if (s.kind == detail::LzvnStop::Kind::kOutputFull) return fail(detail::output_full("LZVN", out.size(), s.in_pos));
  return fail(detail::lzvn_stop_error(s, 0));
}

}  // namespace upscope::compress
