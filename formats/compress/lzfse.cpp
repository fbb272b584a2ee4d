// LZFSE: a stream of blocks (stored bvx-, LZVN bvxn, FSE-coded bvx1/bvx2) ended by bvx$. An FSE
// block holds its literals, FSE-coded with four interleaved states, then (L, M, D) triples, FSE-coded
// as a symbol plus raw extra bits: copy L literals, then M bytes from D back (D = 0: previous D).
// The whole stream is decoded in one pass into the caller's buffer; every block's declared size is
// checked against the room left before anything is written.
#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "compress/codec.hpp"
#include "compress/codec_internal.hpp"
#include "compress/fse.hpp"
#include "compress/lz_copy.hpp"
#include "compress/lzfse_structs.hpp"
#include "compress/lzvn_core.hpp"

namespace upscope::compress {

namespace {

using namespace lzfse;

// Value bases derived from the extra-bit counts: symbol i starts where symbol i-1's range ends.
template <size_t N>
constexpr std::array<uint32_t, N> bases_from_extra_bits(const std::array<uint8_t, N>& extra) {
  std::array<uint32_t, N> base{};
  for (size_t i = 1; i < N; ++i) base[i] = base[i - 1] + (uint32_t(1) << extra[i - 1]);
  return base;
}
constexpr std::array<uint8_t, kLSymbols> kLExtra = [] {
  std::array<uint8_t, kLSymbols> a{};
  for (int i = 0; i < kLSymbols; ++i) a[i] = kLExtraBits[i];
  return a;
}();
constexpr std::array<uint8_t, kMSymbols> kMExtra = [] {
  std::array<uint8_t, kMSymbols> a{};
  for (int i = 0; i < kMSymbols; ++i) a[i] = kMExtraBits[i];
  return a;
}();
constexpr std::array<uint8_t, kDSymbols> kDExtra = [] {
  std::array<uint8_t, kDSymbols> a{};
  for (int i = 0; i < kDSymbols; ++i) a[i] = d_extra_bits(i);
  return a;
}();
constexpr auto kLBase = bases_from_extra_bits(kLExtra);
constexpr auto kMBase = bases_from_extra_bits(kMExtra);
constexpr auto kDBase = bases_from_extra_bits(kDExtra);
static_assert(kLBase[19] == 60 && kMBase[19] == 312 && kDBase[63] == 229372);

// The v2 frequency code: the low 5 bits of the bit stream select a code length and, for the short
// codes, the value. 8-bit codes carry 8 + 4 bits, 14-bit codes 24 + 10 bits.
constexpr uint8_t kFreqCodeBits[32] = {2, 3, 2, 5, 2, 3, 2, 8, 2, 3, 2, 5, 2, 3, 2, 14,
                                       2, 3, 2, 5, 2, 3, 2, 8, 2, 3, 2, 5, 2, 3, 2, 14};
constexpr uint8_t kFreqCodeValue[32] = {0, 2, 1, 4, 0, 3, 1, 0, 0, 2, 1, 5, 0, 3, 1, 0,
                                        0, 2, 1, 6, 0, 3, 1, 0, 0, 2, 1, 7, 0, 3, 1, 0};

// The fields of a bvx1 header, which a bvx2 header packs.
struct BlockHeader {
  uint32_t n_raw_bytes = 0;
  uint32_t n_literals = 0;
  uint32_t n_matches = 0;
  uint32_t n_literal_payload_bytes = 0;
  uint32_t n_lmd_payload_bytes = 0;
  int32_t literal_bits = 0;
  int32_t lmd_bits = 0;
  uint16_t literal_state[4] = {};
  uint16_t l_state = 0, m_state = 0, d_state = 0;
  uint16_t freq[kFreqCount] = {};  // L[20], M[20], D[64], literal[256]
  uint64_t header_size = 0;
};

// Per-call scratch for FSE blocks (about 50 KiB), allocated on the first bvx1/bvx2 block.
struct Workspace {
  fse::SymbolEntry literal_table[kLiteralStates];
  fse::ValueEntry lmd_table[kLStates + kMStates + kDStates];  // L, then M, then D
  // Decoded literals, with room for wide copies to read past the last one.
  uint8_t literals[kLiteralsPerBlock + 64];
};

// The inner loops, kept free of error text so they compile to tight code.
namespace fast {

// Literals: four interleaved states, four literals per refill (at most 4 x 10 bits of the 56 a
// refill guarantees). n is at most kLiteralsPerBlock; up to 3 bytes past lit + n are written (the
// workspace has room).
[[gnu::always_inline]] inline void literals_body(fse::BackwardBitReader& in, const fse::SymbolEntry* t,
                                                 uint16_t (&state)[4], uint8_t* lit, uint32_t n) {
  // Locals, not the caller's objects: the byte stores below could alias them otherwise.
  fse::BackwardBitReader bits = in;
  size_t s0 = state[0], s1 = state[1], s2 = state[2], s3 = state[3];
  for (const uint8_t* const end = lit + n; lit < end; lit += 4) {
    bits.refill();
    lit[0] = fse::decode_symbol(s0, t, bits);
    lit[1] = fse::decode_symbol(s1, t, bits);
    lit[2] = fse::decode_symbol(s2, t, bits);
    lit[3] = fse::decode_symbol(s3, t, bits);
  }
  in = bits;
  state[0] = uint16_t(s0), state[1] = uint16_t(s1), state[2] = uint16_t(s2), state[3] = uint16_t(s3);
}

// What the L/M/D loop carries between the fast loop and the careful code of the block decoder.
struct LmdRun {
  fse::BackwardBitReader bits;
  uint16_t l_state = 0, m_state = 0, d_state = 0;
  const uint8_t* lit = nullptr;  // next literal
  uint8_t* op = nullptr;         // next output byte
  size_t dist = 0;               // the current distance; 0 = none yet in this block
  uint32_t left = 0;             // matches not yet decoded
  bool stopped = false;          // the fast loop decoded a match (L, M, dist) but did not run it
  size_t L = 0, M = 0;
};

struct LmdLimits {
  const fse::ValueEntry* tables;  // L, M, D tables one after the other
  const uint8_t* lit_end;  // one past the block's literals
  uint8_t* ob;             // start of output: matches may reach back to here
  uint8_t* fast_end;       // the end of the block, or kLzSlop before the end of the buffer if nearer
};

// Decodes and runs matches while each one passes a single check that covers every rule and the
// room the wide copies need: its literals exist, it ends before fast_end, and its distance reaches
// into output already written (a match of length 0 with no distance yet also fails it, and goes to
// the careful path like everything else that fails).
[[gnu::always_inline]] inline void lmd_body(LmdRun& r, const LmdLimits& lim) {
  // Everything in locals: stores through op may alias anything reached through a pointer.
  fse::BackwardBitReader bits = r.bits;
  size_t ls = r.l_state, ms = r.m_state, ds = r.d_state;
  const uint8_t* lit = r.lit;
  uint8_t* op = r.op;
  size_t dist = r.dist;
  uint32_t left = r.left;
  const fse::ValueEntry* const tables = lim.tables;
  const uint8_t* const lit_end = lim.lit_end;
  uint8_t* const ob = lim.ob;
  uint8_t* const fast_end = lim.fast_end;
  r.stopped = false;
  while (left != 0) {
    // L, M and D together pull at most 14 + 17 + 23 = 54 bits.
    bits.refill();
    const size_t L = fse::decode_value(ls, tables, bits);
    const size_t M = fse::decode_value(ms, tables + kLStates, bits);
    const size_t D = fse::decode_value(ds, tables + kLStates + kMStates, bits);
    --left;
    dist = D != 0 ? D : dist;
    const bool ok = (L <= size_t(lit_end - lit)) & (ptrdiff_t(L + M) <= fast_end - op) &
                    (dist - 1 < size_t(op - ob) + L);
    if (!ok) [[unlikely]] {
      r.stopped = true;
      r.L = L;
      r.M = M;
      break;
    }
    detail::copy_literals_wide(op, lit, L);
    op += L;
    lit += L;
    detail::copy_match_wide(op, dist, M);
    op += M;
  }
  r.bits = bits;
  r.l_state = uint16_t(ls), r.m_state = uint16_t(ms), r.d_state = uint16_t(ds);
  r.lit = lit;
  r.op = op;
  r.dist = dist;
  r.left = left;
}

// Out of line, so the loops get the registers to themselves. On x86-64 CPUs with BMI2 (nearly all
// since 2013; the build targets the x86-64 baseline) a second copy of each loop is compiled for it,
// chosen once at run time: its three-operand shifts (shrx) spare the bit pulls the register moves
// that the baseline's shift-by-cl needs.
#if defined(__x86_64__) && defined(__GNUC__)
#define UPSCOPE_LZFSE_BMI2 1
[[gnu::noinline, gnu::target("bmi2")]] void decode_literals_bmi2(fse::BackwardBitReader& bits,
                                                                const fse::SymbolEntry* t, uint16_t (&state)[4],
                                                                uint8_t* lit, uint32_t n) {
  literals_body(bits, t, state, lit, n);
}
[[gnu::noinline, gnu::target("bmi2")]] void decode_lmd_bmi2(LmdRun& r, const LmdLimits& lim) {
  lmd_body(r, lim);
}
bool use_bmi2() {
  static const bool yes = (__builtin_cpu_init(), __builtin_cpu_supports("bmi2"));
  return yes;
}
#endif

[[gnu::noinline]] void decode_literals(fse::BackwardBitReader& bits, const fse::SymbolEntry* t, uint16_t (&state)[4],
                                       uint8_t* lit, uint32_t n) {
#ifdef UPSCOPE_LZFSE_BMI2
  if (use_bmi2()) return decode_literals_bmi2(bits, t, state, lit, n);
#endif
  literals_body(bits, t, state, lit, n);
}
[[gnu::noinline]] void decode_lmd(LmdRun& r, const LmdLimits& lim) {
#ifdef UPSCOPE_LZFSE_BMI2
  if (use_bmi2()) return decode_lmd_bmi2(r, lim);
#endif
  lmd_body(r, lim);
}

}  // namespace fast

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

class StreamDecoder {
 public:
  StreamDecoder(Bytes in, std::span<uint8_t> out) : in_(in), out_(out) {}

  Result<size_t> run() {
    for (;;) {
      if (in_.size() - pos_ < 4)
        return fail(ErrorCode::kTruncated, "LZFSE stream", "ends without the bvx$ end-of-stream block", pos_);
      const uint32_t magic = load_u32le(in_.data() + pos_);
      switch (magic) {
        case kEndOfStreamMagic:
          return op_;
        case kUncompressedMagic:
          UPSCOPE_CHECK(stored_block());
          break;
        case kLzvnMagic:
          UPSCOPE_CHECK(lzvn_block());
          break;
        case kCompressedV1Magic:
        case kCompressedV2Magic:
          UPSCOPE_CHECK(fse_block(magic == kCompressedV2Magic));
          break;
        default:
          return fail(ErrorCode::kMalformed, "LZFSE stream", "unknown block magic " + hex32(magic), pos_);
      }
    }
  }

 private:
  Error block_error(ErrorCode code, std::string rule) const {
    return make_error(code, std::string("LZFSE ") + kind_ + " block", std::move(rule), pos_);
  }
  size_t in_left() const { return in_.size() - pos_; }
  size_t out_left() const { return out_.size() - op_; }

  // The decompression-bomb guard: a block may not declare more than the caller's buffer holds.
  Status reserve_output(uint32_t n_raw) const {
    if (n_raw <= out_left()) return {};
    return fail(make_error(ErrorCode::kLimit, std::string("LZFSE ") + kind_ + " block",
                           std::string(detail::kOutputFullRule) + " of " + std::to_string(out_.size()) +
                               " bytes (the block declares " + std::to_string(n_raw) + " bytes at output offset " +
                               std::to_string(op_) + ")",
                           pos_));
  }

  Status stored_block() {
    kind_ = "bvx-";
    if (in_left() < kUncompressedHeaderSize)
      return fail(block_error(ErrorCode::kTruncated, "header extends past the end of input"));
    const uint32_t n_raw = load_u32le(in_.data() + pos_ + 4);
    if (n_raw > in_left() - kUncompressedHeaderSize)
      return fail(block_error(ErrorCode::kTruncated, "payload extends past the end of input"));
    UPSCOPE_CHECK(reserve_output(n_raw));
    if (n_raw) std::memcpy(out_.data() + op_, in_.data() + pos_ + kUncompressedHeaderSize, n_raw);
    op_ += n_raw;
    pos_ += kUncompressedHeaderSize + n_raw;
    return {};
  }

  Status lzvn_block() {
    kind_ = "bvxn";
    if (in_left() < kLzvnHeaderSize)
      return fail(block_error(ErrorCode::kTruncated, "header extends past the end of input"));
    const uint32_t n_raw = load_u32le(in_.data() + pos_ + 4);
    const uint32_t n_payload = load_u32le(in_.data() + pos_ + 8);
    if (n_payload > in_left() - kLzvnHeaderSize)
      return fail(block_error(ErrorCode::kTruncated, "payload extends past the end of input"));
    UPSCOPE_CHECK(reserve_output(n_raw));
    const size_t payload_at = pos_ + kLzvnHeaderSize;
    const auto stop = detail::lzvn_run(in_.subspan(payload_at, n_payload), out_.data(), op_, op_ + n_raw, out_.size());
    using Kind = detail::LzvnStop::Kind;
    if (stop.kind == Kind::kOutputFull)
      return fail(block_error(ErrorCode::kMalformed,
                              "decodes to more than the " + std::to_string(n_raw) + " bytes its header declares"));
    if (stop.kind != Kind::kEndOfStream) return fail(detail::lzvn_stop_error(stop, payload_at));
    if (stop.in_pos != n_payload)
      return fail(block_error(ErrorCode::kMalformed, "LZVN payload has " + std::to_string(n_payload - stop.in_pos) +
                                                         " bytes after its end-of-stream opcode"));
    if (stop.out_pos != op_ + n_raw)
      return fail(block_error(ErrorCode::kMalformed, "decodes to " + std::to_string(stop.out_pos - op_) +
                                                         " bytes, fewer than the " + std::to_string(n_raw) +
                                                         " its header declares"));
    op_ += n_raw;
    pos_ = payload_at + n_payload;
    return {};
  }

  Status read_v1_header(BlockHeader& h) {
    if (in_left() < v1::kSize) return fail(block_error(ErrorCode::kTruncated, "header extends past the end of input"));
    const uint8_t* p = in_.data() + pos_;
    h.n_raw_bytes = load_u32le(p + v1::n_raw_bytes);
    h.n_literals = load_u32le(p + v1::n_literals);
    h.n_matches = load_u32le(p + v1::n_matches);
    h.n_literal_payload_bytes = load_u32le(p + v1::n_literal_payload_bytes);
    h.n_lmd_payload_bytes = load_u32le(p + v1::n_lmd_payload_bytes);
    h.literal_bits = int32_t(load_u32le(p + v1::literal_bits));
    h.lmd_bits = int32_t(load_u32le(p + v1::lmd_bits));
    for (int i = 0; i < 4; ++i) h.literal_state[i] = load_u16le(p + v1::literal_state + 2 * i);
    h.l_state = load_u16le(p + v1::l_state);
    h.m_state = load_u16le(p + v1::m_state);
    h.d_state = load_u16le(p + v1::d_state);
    for (int i = 0; i < kFreqCount; ++i) h.freq[i] = load_u16le(p + v1::freq + 2 * i);
    h.header_size = v1::kSize;
    return {};
  }

  Status read_v2_header(BlockHeader& h) {
    if (in_left() < v2::kFixedSize)
      return fail(block_error(ErrorCode::kTruncated, "header extends past the end of input"));
    const uint8_t* p = in_.data() + pos_;
    const uint64_t w0 = load_u64le(p + v2::packed_fields);
    const uint64_t w1 = load_u64le(p + v2::packed_fields + 8);
    const uint64_t w2 = load_u64le(p + v2::packed_fields + 16);
    auto field = [](uint64_t w, unsigned lsb, unsigned width) { return uint32_t((w >> lsb) & ((uint64_t(1) << width) - 1)); };
    h.n_raw_bytes = load_u32le(p + v2::n_raw_bytes);
    h.n_literals = field(w0, 0, 20);
    h.n_literal_payload_bytes = field(w0, 20, 20);
    h.n_matches = field(w0, 40, 20);
    h.literal_bits = int32_t(field(w0, 60, 3)) - 7;
    for (unsigned i = 0; i < 4; ++i) h.literal_state[i] = uint16_t(field(w1, 10 * i, 10));
    h.n_lmd_payload_bytes = field(w1, 40, 20);
    h.lmd_bits = int32_t(field(w1, 60, 3)) - 7;
    h.header_size = field(w2, 0, 32);
    h.l_state = uint16_t(field(w2, 32, 10));
    h.m_state = uint16_t(field(w2, 42, 10));
    h.d_state = uint16_t(field(w2, 52, 10));

    if (h.header_size < v2::kFixedSize)
      return fail(block_error(ErrorCode::kMalformed, "header_size " + std::to_string(h.header_size) +
                                                         " is smaller than the 32-byte fixed header"));
    if (h.header_size > in_left())
      return fail(block_error(ErrorCode::kTruncated, "header extends past the end of input"));
    if (h.header_size == v2::kFixedSize) return {};  // tables omitted: all frequencies are zero

    // The tables are one little-endian bit stream, read from the least significant bit.
    const uint8_t* src = p + v2::freq;
    const uint8_t* end = p + h.header_size;
    uint32_t acc = 0;
    unsigned nbits = 0;
    for (int i = 0; i < kFreqCount; ++i) {
      while (src < end && nbits <= 24) {
        acc |= uint32_t(*src++) << nbits;
        nbits += 8;
      }
      const unsigned code = acc & 31;
      const unsigned len = kFreqCodeBits[code];
      if (len > nbits)
        return fail(block_error(ErrorCode::kMalformed, "frequency tables end after " + std::to_string(i) + " of " +
                                                           std::to_string(kFreqCount) + " values (header_size " +
                                                           std::to_string(h.header_size) + ")"));
      if (len == 8)
        h.freq[i] = uint16_t(8 + ((acc >> 4) & 0xF));
      else if (len == 14)
        h.freq[i] = uint16_t(24 + ((acc >> 4) & 0x3FF));
      else
        h.freq[i] = kFreqCodeValue[code];
      acc >>= len;
      nbits -= len;
    }
    const size_t unused = size_t(end - src) + nbits / 8;
    if (unused != 0)
      return fail(block_error(ErrorCode::kMalformed, "frequency tables leave " + std::to_string(unused) +
                                                         " unused bytes before header_size " +
                                                         std::to_string(h.header_size)));
    return {};
  }

  // Each table's frequencies must sum to its state count; an all-zero table is allowed only when
  // nothing is decoded with it.
  Status check_table(const char* name, const uint16_t* freq, int nsymbols, unsigned nstates, uint32_t uses,
                     const char* use_name) const {
    uint32_t sum = 0;
    for (int i = 0; i < nsymbols; ++i) sum += freq[i];
    if (sum == nstates || (sum == 0 && uses == 0)) return {};
    if (sum == 0)
      return fail(block_error(ErrorCode::kMalformed, std::string(name) + " frequencies are all zero but the block has " +
                                                         std::to_string(uses) + " " + use_name));
    return fail(block_error(ErrorCode::kMalformed, std::string(name) + " frequencies sum to " + std::to_string(sum) +
                                                       ", not the table size " + std::to_string(nstates)));
  }

  Status check_header(const BlockHeader& h) const {
    auto bad = [&](std::string rule) { return fail(block_error(ErrorCode::kMalformed, std::move(rule))); };
    if (h.n_literals > kLiteralsPerBlock)
      return bad("n_literals " + std::to_string(h.n_literals) + " exceeds the " + std::to_string(kLiteralsPerBlock) +
                 " literals a block may hold");
    if (h.n_matches > kMatchesPerBlock)
      return bad("n_matches " + std::to_string(h.n_matches) + " exceeds the " + std::to_string(kMatchesPerBlock) +
                 " matches a block may hold");
    if (h.literal_bits < -7 || h.literal_bits > 0)
      return bad("literal_bits " + std::to_string(h.literal_bits) + " is outside [-7, 0]");
    if (h.lmd_bits < -7 || h.lmd_bits > 0) return bad("lmd_bits " + std::to_string(h.lmd_bits) + " is outside [-7, 0]");
    for (int i = 0; i < 4; ++i)
      if (h.literal_state[i] >= kLiteralStates)
        return bad("literal_state[" + std::to_string(i) + "] " + std::to_string(h.literal_state[i]) +
                   " is not below the " + std::to_string(kLiteralStates) + " literal states");
    if (h.l_state >= kLStates)
      return bad("l_state " + std::to_string(h.l_state) + " is not below the " + std::to_string(kLStates) + " L states");
    if (h.m_state >= kMStates)
      return bad("m_state " + std::to_string(h.m_state) + " is not below the " + std::to_string(kMStates) + " M states");
    if (h.d_state >= kDStates)
      return bad("d_state " + std::to_string(h.d_state) + " is not below the " + std::to_string(kDStates) + " D states");
    const uint16_t* f = h.freq;
    UPSCOPE_CHECK(check_table("L", f, kLSymbols, kLStates, h.n_matches, "matches"));
    UPSCOPE_CHECK(check_table("M", f + kLSymbols, kMSymbols, kMStates, h.n_matches, "matches"));
    UPSCOPE_CHECK(check_table("D", f + kLSymbols + kMSymbols, kDSymbols, kDStates, h.n_matches, "matches"));
    UPSCOPE_CHECK(check_table("literal", f + kLSymbols + kMSymbols + kDSymbols, kLiteralSymbols, kLiteralStates,
                              h.n_literals, "literals"));
    return {};
  }

  Status fse_block(bool v2_header) {
    kind_ = v2_header ? "bvx2" : "bvx1";
    BlockHeader h;
    if (v2_header)
      UPSCOPE_CHECK(read_v2_header(h));
    else
      UPSCOPE_CHECK(read_v1_header(h));
    UPSCOPE_CHECK(check_header(h));
    const uint64_t payload = uint64_t(h.n_literal_payload_bytes) + h.n_lmd_payload_bytes;
    if (payload > in_left() - h.header_size)
      return fail(block_error(ErrorCode::kTruncated, "payload extends past the end of input"));
    UPSCOPE_CHECK(reserve_output(h.n_raw_bytes));

    if (!ws_) ws_.reset(new Workspace);  // no value-initialisation: every entry used is built below
    const uint16_t* f = h.freq;
    if (h.n_matches) {
      fse::ValueEntry* t = ws_->lmd_table;
      fse::build_value_table(kLStates, f, kLSymbols, kLExtra.data(), kLBase.data(), t);
      fse::build_value_table(kMStates, f + kLSymbols, kMSymbols, kMExtra.data(), kMBase.data(), t + kLStates);
      fse::build_value_table(kDStates, f + kLSymbols + kMSymbols, kDSymbols, kDExtra.data(), kDBase.data(),
                             t + kLStates + kMStates);
    }
    const uint8_t* lit_payload = in_.data() + pos_ + h.header_size;
    if (h.n_literals) {
      fse::build_symbol_table(kLiteralStates, f + kLSymbols + kMSymbols + kDSymbols, kLiteralSymbols,
                              ws_->literal_table);
      UPSCOPE_CHECK(decode_literals(h, lit_payload));
    }
    UPSCOPE_CHECK(decode_lmd(h, lit_payload + h.n_literal_payload_bytes));
    pos_ += size_t(h.header_size + payload);
    return {};
  }

  Status decode_literals(const BlockHeader& h, const uint8_t* payload) {
    fse::BackwardBitReader bits;
    if (!bits.init(payload, h.n_literal_payload_bytes, h.literal_bits))
      return fail(block_error(ErrorCode::kMalformed, "literal stream's padding bits above literal_bits are not zero"));
    uint16_t states[4] = {h.literal_state[0], h.literal_state[1], h.literal_state[2], h.literal_state[3]};
    fast::decode_literals(bits, ws_->literal_table, states, ws_->literals, h.n_literals);
    if (bits.overran())
      return fail(block_error(ErrorCode::kMalformed, "literal stream reads past the start of its payload"));
    return {};
  }

  Status decode_lmd(const BlockHeader& h, const uint8_t* payload) {
    fast::LmdRun r;
    if (!r.bits.init(payload, h.n_lmd_payload_bytes, h.lmd_bits))
      return fail(block_error(ErrorCode::kMalformed, "L/M/D stream's padding bits above lmd_bits are not zero"));
    r.l_state = h.l_state;
    r.m_state = h.m_state;
    r.d_state = h.d_state;
    r.lit = ws_->literals;
    r.op = out_.data() + op_;
    r.left = h.n_matches;
    uint8_t* const ob = out_.data();
    uint8_t* const block_start = r.op;
    uint8_t* const block_end = block_start + h.n_raw_bytes;
    uint8_t* const oe = ob + out_.size();
    fast::LmdLimits lim{ws_->lmd_table, ws_->literals + h.n_literals, ob, block_end};
    // The fast loop stays kLzSlop bytes clear of the end of the buffer.
    if (size_t(oe - block_end) < detail::kLzSlop)
      lim.fast_end = out_.size() >= detail::kLzSlop ? oe - detail::kLzSlop : ob;
    for (;;) {
      fast::decode_lmd(r, lim);
      if (!r.stopped) break;
      // The fast loop stopped on a match it could not run as it stands: check it rule by rule
      // and run it with exact copies, or report the rule it breaks.
      const size_t L = r.L, M = r.M;
      const uint32_t i = h.n_matches - r.left - 1;
      if (L > size_t(lim.lit_end - r.lit))
        return fail(block_error(ErrorCode::kMalformed, "match " + std::to_string(i) + ": literal lengths use more than the " +
                                                           std::to_string(h.n_literals) + " literals the block holds"));
      if (L + M > size_t(block_end - r.op))
        return fail(block_error(ErrorCode::kMalformed, "decodes to more than the " + std::to_string(h.n_raw_bytes) +
                                                           " bytes its header declares"));
      if (M != 0) {
        if (r.dist == 0)
          return fail(block_error(ErrorCode::kMalformed,
                                  "match " + std::to_string(i) + ": reuses the previous distance but the block has none"));
        const size_t written = size_t(r.op - ob) + L;
        if (r.dist > written)
          return fail(block_error(ErrorCode::kMalformed, "match " + std::to_string(i) + ": distance " +
                                                             std::to_string(r.dist) +
                                                             " reaches before the start of output (" +
                                                             std::to_string(written) + " bytes written)"));
      }
      if (L) std::memcpy(r.op, r.lit, L);
      r.op += L;
      r.lit += L;
      detail::copy_match_bytes(r.op, r.dist, M);
      r.op += M;
    }
    if (r.bits.overran())
      return fail(block_error(ErrorCode::kMalformed, "L/M/D stream reads past the start of its payload"));
    if (r.op != block_end)
      return fail(block_error(ErrorCode::kMalformed, "decodes to " + std::to_string(r.op - block_start) +
                                                         " bytes, fewer than the " + std::to_string(h.n_raw_bytes) +
                                                         " its header declares"));
    op_ = size_t(r.op - ob);
    return {};
  }

  Bytes in_;
  std::span<uint8_t> out_;
  size_t pos_ = 0;  // start of the current block in `in`
  size_t op_ = 0;   // bytes of output produced
  const char* kind_ = "";
  std::unique_ptr<Workspace> ws_;
};

}  // namespace

Result<size_t> lzfse_decode(Bytes in, std::span<uint8_t> out) { return StreamDecoder(in, out).run(); }

}  // namespace upscope::compress
