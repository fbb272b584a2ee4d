// LZVN: Apple's byte-oriented LZ77 (decmpfs types 7/8, LZFSE bvxn blocks). Each opcode byte carries
// a literal count L, a match length M and a distance D, or reuses the previous distance; the L
// literal bytes follow the opcode's operands, then M bytes are copied from D bytes back.
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

constexpr size_t kFastMargin = 2 + 271 + 2 * kLzSlop;

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
      const uint8_t* const at = ip;
      const unsigned opc = *ip;
      size_t lit, match;
      switch (kOps.op[opc]) {
        case Op::kSmallDist:
          lit = opc >> 6;
          match = ((opc >> 3) & 7) + 3;
          dist = ((opc & 7u) << 8) | ip[1];
          ip += 2;
          break;
        case Op::kMediumDist: {
          lit = (opc >> 3) & 3;
          const unsigned w = ip[1] | (unsigned(ip[2]) << 8);
          match = (((opc & 7u) << 2) | (w & 3u)) + 3;
          dist = w >> 2;
          ip += 3;
          break;
        }
        case Op::kLargeDist:
          lit = opc >> 6;
          match = ((opc >> 3) & 7) + 3;
          dist = ip[1] | (size_t(ip[2]) << 8);
          ip += 3;
          break;
        case Op::kPrevDist:
          lit = opc >> 6;
          match = ((opc >> 3) & 7) + 3;
          ip += 1;
          break;
        case Op::kSmallLit:
          lit = opc & 15;
          std::memcpy(op, ip + 1, 16);
          op += lit;
          ip += 1 + lit;
          continue;
        case Op::kLargeLit:
          lit = size_t(ip[1]) + 16;
          copy_literals_wide(op, ip + 2, lit);
          op += lit;
          ip += 2 + lit;
          continue;
        case Op::kSmallMatch:
          lit = 0;
          match = opc & 15;
          ip += 1;
          break;
        case Op::kLargeMatch:
          lit = 0;
          match = size_t(ip[1]) + 16;
          ip += 2;
          break;
        case Op::kNop:
          ++ip;
          continue;
        default:
          goto checked;
      }
      // Up to 3 literals: one 4-byte copy.
      std::memcpy(op, ip, 4);
      op += lit;
      ip += lit;
      // dist - 1 wraps for dist == 0, so one compare rejects both 0 and too far back.
      if (dist - 1 >= size_t(op - ob)) [[unlikely]]
        return LzvnStop{Kind::kBadDistance, size_t(at - ib), size_t(op - ob), dist, uint8_t(opc)};
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
