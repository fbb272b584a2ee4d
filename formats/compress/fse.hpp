// Finite State Entropy (tANS) decoding as LZFSE uses it: decoder tables built from normalised
// frequencies, and the bit stream that the encoder wrote forwards and the decoder reads from the end.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "compress/lz_copy.hpp"

namespace upscope::compress::fse {

// Reads bits from the end of a payload towards its start, most recently written bits first.
// The accumulator holds `count_` unread bits in its low end (bits above them are stale). A refill
// tops it up to 56..63 bits, so a caller may pull up to 56 bits between refills. Near the start
// of the payload a refill shifts in zero bits that are not part of the stream ("virtual" bits);
// the reference decoder reads real bytes before the payload there instead. Valid streams never
// consume them, and overran() reports a stream that did.
class BackwardBitReader {
 public:
  // final_bits in [-7, 0]: the last byte holds 8 + final_bits stream bits; its top bits are zero.
  // Returns false when those padding bits are not zero.
  bool init(const uint8_t* begin, size_t size, int final_bits) {
    begin_ = begin;
    pos_ = size;
    accum_ = 0;
    count_ = 0;
    virtual_bits_ = 0;
    refill();  // exactly 56 bits
    count_ = unsigned(int(count_) + final_bits);
    return (accum_ >> count_) == 0;
  }

  void refill() {
    const unsigned k = (63 - count_) >> 3;  // bytes that fit without reaching 64 bits
    uint64_t word;                           // the 8 bytes ending at pos_, newest in the top byte
    if (pos_ >= 8) [[likely]] {
      word = detail::load_word(begin_ + pos_ - 8);
      pos_ -= k;
    } else {
      word = 0;
      for (size_t i = 0; i < pos_; ++i) word |= uint64_t(begin_[i]) << (8 * (8 - pos_ + i));
      if (k > pos_) {
        virtual_bits_ += 8 * (k - pos_);
        pos_ = 0;
      } else {
        pos_ -= k;
      }
    }
    accum_ = (accum_ << (8 * k)) | ((word >> (56 - 8 * k)) >> 8);
    count_ += 8 * k;
  }

  uint32_t pull(unsigned n) {
    count_ -= n;
    return uint32_t((accum_ >> count_) & ((uint64_t(1) << n) - 1));
  }

  bool overran() const { return count_ < virtual_bits_; }

 private:
  const uint8_t* begin_ = nullptr;
  size_t pos_ = 0;  // bytes [0, pos_) are not yet in the accumulator
  uint64_t accum_ = 0;
  unsigned count_ = 0;
  uint64_t virtual_bits_ = 0;
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

inline uint8_t decode_symbol(uint16_t& state, const SymbolEntry* t, BackwardBitReader& in) {
  const SymbolEntry e = t[state];
  state = uint16_t(e.base + in.pull(e.nbits));
  return e.symbol;
}

inline uint32_t decode_value(uint16_t& state, const ValueEntry* t, BackwardBitReader& in) {
  const ValueEntry e = t[state];
  const uint32_t bits = in.pull(e.total_bits);
  state = uint16_t(e.base + (bits >> e.value_bits));
  return e.value_base + (bits & ((1u << e.value_bits) - 1));
}

}  // namespace upscope::compress::fse
