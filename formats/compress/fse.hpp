// Finite State Entropy (tANS) decoding as LZFSE uses it: decoder tables built from normalised
// frequencies, and the bit stream that the encoder wrote forwards and the decoder reads from the end.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "compress/lz_copy.hpp"

namespace upscope::compress::fse {

// Low-bit masks by width, so a pull is shift + and with no mask arithmetic on the hot path.
inline constexpr uint64_t kLowMask[65] = {
    0x0, 0x1, 0x3, 0x7, 0xf, 0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff,
    0x1fff, 0x3fff, 0x7fff, 0xffff, 0x1ffff, 0x3ffff, 0x7ffff, 0xfffff, 0x1fffff, 0x3fffff, 0x7fffff,
    0xffffff, 0x1ffffff, 0x3ffffff, 0x7ffffff, 0xfffffff, 0x1fffffff, 0x3fffffff, 0x7fffffff,
    0xffffffff, 0x1ffffffff, 0x3ffffffff, 0x7ffffffff, 0xfffffffff, 0x1fffffffff, 0x3fffffffff,
    0x7fffffffff, 0xffffffffff, 0x1ffffffffff, 0x3ffffffffff, 0x7ffffffffff, 0xfffffffffff,
    0x1fffffffffff, 0x3fffffffffff, 0x7fffffffffff, 0xffffffffffff, 0x1ffffffffffff,
    0x3ffffffffffff, 0x7ffffffffffff, 0xfffffffffffff, 0x1fffffffffffff, 0x3fffffffffffff,
    0x7fffffffffffff, 0xffffffffffffff, 0x1ffffffffffffff, 0x3ffffffffffffff, 0x7ffffffffffffff,
    0xfffffffffffffff, 0x1fffffffffffffff, 0x3fffffffffffffff, 0x7fffffffffffffff,
    0xffffffffffffffff};

// Reads bits from the end of a payload towards its start, most recently written bits first.
// The accumulator is the 8-byte window of the payload starting at byte `pos_` (little-endian, so
// the latest bytes are at the top); its low `count_` bits are unread and the next bits to read are
// the top of those. A refill slides the window down by the bytes already consumed, leaving
// 57..64 unread bits, so a caller may pull up to 56 bits between refills; the common refill is one
// load and four integer operations. Near the start of the payload the window reaches before byte 0
// (pos_ < 0) and reads zero bits there ("virtual" bits); the reference decoder reads real bytes
// before the payload instead. Valid streams never consume them, and overran() reports a stream
// that did.
class BackwardBitReader {
 public:
  // final_bits in [-7, 0]: the last byte holds 8 + final_bits stream bits; its top bits are zero.
  // Returns false when those padding bits are not zero.
  bool init(const uint8_t* begin, size_t size, int final_bits) {
    begin_ = begin;
    size_ = ptrdiff_t(size);
    pos_ = size_ - 8;
    count_ = 64;
    load();
    count_ = unsigned(64 + final_bits);
    return count_ == 64 || (accum_ >> count_) == 0;
  }

  void refill() {
    const unsigned spent = 64 - count_;  // bits consumed from the top of the window
    const ptrdiff_t k = ptrdiff_t(spent >> 3);
    count_ += unsigned(k) * 8;
    pos_ -= k;
    if (pos_ >= 0) [[likely]]
      accum_ = detail::load_word(begin_ + pos_);
    else
      load();
  }

  // n <= 56 since the last refill. count_ is 64 after a pull only when n == 0 and the window is
  // unread: "& 63" keeps that shift defined (the x86 shift ignores the bit anyway) and the mask
  // gives 0. The mask comes from a table: one "and" with a memory operand.
  uint64_t pull(unsigned n) {
    count_ -= n;
    return (accum_ >> (count_ & 63)) & kLowMask[n];
  }

  // Unread bits left in the payload, counting those still in the window: negative once the
  // stream has read virtual bits.
  bool overran() const { return 8 * pos_ + ptrdiff_t(count_) < 0; }

 private:
  // The window [pos_, pos_ + 8) when part of it lies outside [0, size_): bytes there read as 0.
  void load() {
    uint64_t w = 0;
    for (ptrdiff_t i = 0; i < 8; ++i)
      if (pos_ + i >= 0 && pos_ + i < size_) w |= uint64_t(begin_[pos_ + i]) << (8 * i);
    accum_ = w;
  }

  const uint8_t* begin_ = nullptr;
  ptrdiff_t size_ = 0;
  ptrdiff_t pos_ = 0;  // first byte of the window; bytes [0, pos_) are not yet read
  uint64_t accum_ = 0;
  unsigned count_ = 0;
};

// One state of a symbol decoder: emit `symbol`, then next state = base + (nbits fresh bits).
struct SymbolEntry {
  uint8_t nbits;
  uint8_t symbol;
  uint16_t base;
};

// One state of a value decoder (L, M, D): the symbol is folded into a value base plus raw extra
// bits, read together with the state bits in one pull of total_bits.
struct ValueEntry {
  uint8_t total_bits;  // state bits + extra value bits
  uint8_t value_bits;  // extra value bits (the low bits of the pull)
  uint16_t base;       // next-state base
  uint32_t value_base;
};

// Walks the states of a table with `nstates` states (a power of two) built from freq[nsymbols],
// calling visit(state, symbol, nbits, base). Symbol s owns freq[s] consecutive states; with
// k chosen so that nstates <= freq << k < 2 * nstates, its first (2 * nstates >> k) - freq states
// read k bits and the rest k - 1. Requires the frequencies to sum to nstates exactly.
template <typename Visit>
void spread_states(unsigned nstates, const uint16_t* freq, unsigned nsymbols, Visit visit) {
  const int n_lz = std::countl_zero(nstates);
  unsigned state = 0;
  for (unsigned s = 0; s < nsymbols; ++s) {
    const unsigned f = freq[s];
    if (f == 0) continue;
    const unsigned k = unsigned(std::countl_zero(f) - n_lz);
    const unsigned wide = ((2 * nstates) >> k) - f;
    for (unsigned j = 0; j < f; ++j, ++state) {
      if (j < wide)
        visit(state, s, k, ((f + j) << k) - nstates);
      else
        visit(state, s, k - 1, (j - wide) << (k - 1));
    }
  }
}

inline void build_symbol_table(unsigned nstates, const uint16_t* freq, unsigned nsymbols, SymbolEntry* t) {
  spread_states(nstates, freq, nsymbols, [t](unsigned state, unsigned symbol, unsigned nbits, unsigned base) {
    t[state] = SymbolEntry{uint8_t(nbits), uint8_t(symbol), uint16_t(base)};
  });
}

inline void build_value_table(unsigned nstates, const uint16_t* freq, unsigned nsymbols, const uint8_t* extra_bits,
                              const uint32_t* value_base, ValueEntry* t) {
  spread_states(nstates, freq, nsymbols, [&](unsigned state, unsigned symbol, unsigned nbits, unsigned base) {
    t[state] = ValueEntry{uint8_t(nbits + extra_bits[symbol]), extra_bits[symbol], uint16_t(base), value_base[symbol]};
  });
}

// The state is below the table size by construction (base + the bits pulled stays below it), so
// the decoders keep it in a plain register.
inline uint8_t decode_symbol(size_t& state, const SymbolEntry* t, BackwardBitReader& in) {
  const SymbolEntry e = t[state];
  state = e.base + in.pull(e.nbits);
  return e.symbol;
}

inline size_t decode_value(size_t& state, const ValueEntry* t, BackwardBitReader& in) {
  const ValueEntry e = t[state];
  const uint64_t bits = in.pull(e.total_bits);
  state = e.base + (bits >> e.value_bits);
  return e.value_base + (bits & kLowMask[e.value_bits]);
}

}  // namespace upscope::compress::fse
