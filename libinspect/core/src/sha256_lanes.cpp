// SHA-256 (FIPS 180-4) in sixteen AVX-512 lanes, plus a one-message path on the SHA extensions for
// the tail of a batch. Only the functions marked with target attributes use those instructions;
// hash_many() is called only when available() says the CPU has them.
#include "inspect/sha256_lanes.hpp"

// GCC 12's AVX-512 headers build _mm512_undefined_* from a self-initialised variable, which
// -Wmaybe-uninitialized reports at every inlined intrinsic of this file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <cpuid.h>
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <limits>
#include <vector>

namespace upscope::sha256_lanes {
namespace {

constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
constexpr uint32_t kInit[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
constexpr size_t kLanes = 16;
// Below this many busy lanes (and nothing left to start), one message at a time on the SHA extensions
// is faster: a lane runs at 1/16 of the vector's 3.3-3.9 GB/s, one SHA-NI stream at 1.5-1.9 GB/s.
constexpr size_t kMinBusyLanes = 8;

bool detect() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool osxsave = c & (1u << 27), ssse3 = c & (1u << 9), sse41 = c & (1u << 19);
  if (!osxsave || !ssse3 || !sse41) return false;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool avx512f = b & (1u << 16), sha = b & (1u << 29), avx512bw = b & (1u << 30);
  if (!avx512f || !sha || !avx512bw) return false;
  uint32_t xcr0_lo = 0, xcr0_hi = 0;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  // SSE, AVX, opmask, upper ZMM0-15 and ZMM16-31 state all enabled by the OS.
  return (xcr0_lo & 0xe6) == 0xe6;
}

// Blocks [ptr[l], ptr[l] + 64 * blocks) of each lane l, ptr[l] advancing by stride[l] (0 for an idle
// lane that re-reads one block of zeros). state[word][lane].
__attribute__((target("avx512f,avx512bw"))) void compress_lanes(uint32_t (&state)[8][kLanes],
                                                                 const uint8_t* const (&ptr)[kLanes],
                                                                 const size_t (&stride)[kLanes], size_t blocks) {
  const __m512i bswap = _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
  __m512i st[8];
  for (int i = 0; i < 8; ++i) st[i] = _mm512_loadu_si512(state[i]);
  for (size_t n = 0; n < blocks; ++n) {
    // Row l = lane l's sixteen big-endian words; transposed so that w[t] holds word t of every lane.
    __m512i r[16], t[16];
    for (size_t l = 0; l < kLanes; ++l)
      r[l] = _mm512_shuffle_epi8(_mm512_loadu_si512(ptr[l] + n * stride[l]), bswap);
    for (int i = 0; i < 16; i += 2) {
      t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
      r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
      r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
      r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
      r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int i = 0; i < 4; ++i) {
      for (int k = 0; k < 16; k += 8) {
        t[i + k] = _mm512_shuffle_i32x4(r[i + k], r[i + k + 4], 0x88);
        t[i + k + 4] = _mm512_shuffle_i32x4(r[i + k], r[i + k + 4], 0xdd);
      }
    }
    __m512i w[16];
    for (int i = 0; i < 8; ++i) {
      w[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
      w[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
    }
    __m512i a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
    for (int i = 0; i < 64; ++i) {
      if (i >= 16) {
        const __m512i w15 = w[(i - 15) & 15], w2 = w[(i - 2) & 15];
        const __m512i s0 = _mm512_ternarylogic_epi32(_mm512_ror_epi32(w15, 7), _mm512_ror_epi32(w15, 18),
                                                     _mm512_srli_epi32(w15, 3), 0x96);
        const __m512i s1 = _mm512_ternarylogic_epi32(_mm512_ror_epi32(w2, 17), _mm512_ror_epi32(w2, 19),
                                                     _mm512_srli_epi32(w2, 10), 0x96);
        w[i & 15] = _mm512_add_epi32(_mm512_add_epi32(w[i & 15], s0), _mm512_add_epi32(w[(i - 7) & 15], s1));
      }
      // 0x96 = x^y^z, 0xca = Ch(e,f,g), 0xe8 = Maj(a,b,c).
      const __m512i S1 = _mm512_ternarylogic_epi32(_mm512_ror_epi32(e, 6), _mm512_ror_epi32(e, 11),
                                                   _mm512_ror_epi32(e, 25), 0x96);
      const __m512i ch = _mm512_ternarylogic_epi32(e, f, g, 0xca);
      const __m512i t1 = _mm512_add_epi32(
          _mm512_add_epi32(h, S1),
          _mm512_add_epi32(ch, _mm512_add_epi32(w[i & 15], _mm512_set1_epi32(static_cast<int>(kRound[i])))));
      const __m512i S0 = _mm512_ternarylogic_epi32(_mm512_ror_epi32(a, 2), _mm512_ror_epi32(a, 13),
                                                   _mm512_ror_epi32(a, 22), 0x96);
      const __m512i maj = _mm512_ternarylogic_epi32(a, b, c, 0xe8);
      h = g;
      g = f;
      f = e;
      e = _mm512_add_epi32(d, t1);
      d = c;
      c = b;
      b = a;
      a = _mm512_add_epi32(t1, _mm512_add_epi32(S0, maj));
    }
    st[0] = _mm512_add_epi32(st[0], a);
    st[1] = _mm512_add_epi32(st[1], b);
    st[2] = _mm512_add_epi32(st[2], c);
    st[3] = _mm512_add_epi32(st[3], d);
    st[4] = _mm512_add_epi32(st[4], e);
    st[5] = _mm512_add_epi32(st[5], f);
    st[6] = _mm512_add_epi32(st[6], g);
    st[7] = _mm512_add_epi32(st[7], h);
  }
  for (int i = 0; i < 8; ++i) _mm512_storeu_si512(state[i], st[i]);
}

// One message, `blocks` consecutive 64-byte blocks, with the SHA extensions. The instructions keep
// the eight words as two registers, (A,B,E,F) and (C,D,G,H).
__attribute__((target("sha,sse4.1,ssse3"))) void compress_one(uint32_t (&s)[8], const uint8_t* p, size_t blocks) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(&s[0])), 0xb1);
  __m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(&s[4])), 0x1b);
  __m128i abef = _mm_alignr_epi8(dcba, hgfe, 8);
  __m128i cdgh = _mm_blend_epi16(hgfe, dcba, 0xf0);
  for (size_t n = 0; n < blocks; ++n, p += 64) {
    const __m128i abef0 = abef, cdgh0 = cdgh;
    __m128i m[4];
    for (int i = 0; i < 4; ++i)
      m[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i)), bswap);
    for (int r = 0; r < 16; ++r) {
      if (r >= 4) {
        // W[t..t+3] from W[t-16..t-1]: sigma0 part, plus W[t-7..t-4], then the sigma1 part.
        const __m128i x = _mm_add_epi32(_mm_sha256msg1_epu32(m[r & 3], m[(r + 1) & 3]),
                                        _mm_alignr_epi8(m[(r + 3) & 3], m[(r + 2) & 3], 4));
        m[r & 3] = _mm_sha256msg2_epu32(x, m[(r + 3) & 3]);
      }
      __m128i wk = _mm_add_epi32(m[r & 3], _mm_loadu_si128(reinterpret_cast<const __m128i*>(&kRound[4 * r])));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
      wk = _mm_shuffle_epi32(wk, 0x0e);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);
    }
    abef = _mm_add_epi32(abef, abef0);
    cdgh = _mm_add_epi32(cdgh, cdgh0);
  }
  const __m128i feba = _mm_shuffle_epi32(abef, 0x1b);
  const __m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&s[0]), _mm_blend_epi16(feba, dchg, 0xf0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&s[4]), _mm_alignr_epi8(dchg, feba, 8));
}

// Where one message stands: the unread rest of its current piece, up to 63 bytes carried over to the
// next piece, and at the end its final one or two padded blocks.
struct Lane {
  size_t msg = 0;
  bool busy = false;
  const uint8_t* p = nullptr;
  size_t left = 0;
  uint64_t length = 0;  // bytes of the message taken so far (pieces and carry)
  alignas(64) uint8_t carry[64];
  size_t carried = 0;
  alignas(64) uint8_t tail[128];
  size_t tail_blocks = 0, tail_done = 0;
};

enum class Ready { kBlocks, kFailed };

// Points *ptr at the lane's next whole blocks and returns how many follow contiguously. Pulls pieces
// as needed; at the message's end builds the padded tail.
Ready prepare(Lane& ln, size_t msg, const NextPiece& next, const uint8_t*& ptr, size_t& blocks, Error& err) {
  if (ln.tail_blocks) {
    ptr = ln.tail + 64 * ln.tail_done;
    blocks = ln.tail_blocks - ln.tail_done;
    return Ready::kBlocks;
  }
  for (;;) {
    if (ln.carried == 0 && ln.left >= 64) {
      ptr = ln.p;
      blocks = ln.left / 64;
      return Ready::kBlocks;
    }
    if (ln.left) {
      const size_t n = std::min(ln.left, 64 - ln.carried);
      std::memcpy(ln.carry + ln.carried, ln.p, n);
      ln.carried += n;
      ln.p += n;
      ln.left -= n;
      ln.length += n;
      if (ln.carried == 64) {
        ptr = ln.carry;
        blocks = 1;
        return Ready::kBlocks;
      }
      continue;
    }
    auto piece = next(msg);
    if (!piece) {
      err = piece.error();
      return Ready::kFailed;
    }
    if (!piece->empty()) {
      ln.p = piece->data();
      ln.left = piece->size();
      continue;
    }
    // End of message: 0x80, zeros, the 64-bit big-endian bit length, in one or two blocks.
    const uint64_t bits = ln.length * 8;
    std::memset(ln.tail, 0, sizeof ln.tail);
    std::memcpy(ln.tail, ln.carry, ln.carried);
    ln.tail[ln.carried] = 0x80;
    ln.tail_blocks = ln.carried + 1 + 8 <= 64 ? 1 : 2;
    for (int i = 0; i < 8; ++i) ln.tail[64 * ln.tail_blocks - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
    ln.carried = 0;
    ptr = ln.tail;
    blocks = ln.tail_blocks;
    return Ready::kBlocks;
  }
}

// Accounts for `blocks` blocks hashed from where prepare() pointed; true when the message is done.
bool advance(Lane& ln, const uint8_t* ptr, size_t blocks) {
  if (ln.tail_blocks) {
    ln.tail_done += blocks;
    return ln.tail_done == ln.tail_blocks;
  }
  if (ptr == ln.carry) {
    ln.carried = 0;
    return false;
  }
  ln.p += 64 * blocks;
  ln.left -= 64 * blocks;
  ln.length += 64 * blocks;
  return false;
}

Digest to_digest(const uint32_t (&s)[8]) {
  Digest d;
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) d[4 * i + j] = static_cast<uint8_t>(s[i] >> (24 - 8 * j));
  return d;
}

}  // namespace

bool available() {
  // UPSCOPE_SHA256_LANES=0 turns the lanes off (OpenSSL one file at a time): to compare the two in one
  // build, or to rule them out when a result looks wrong.
  static const bool yes = [] {
    const char* env = std::getenv("UPSCOPE_SHA256_LANES");
    return !(env && std::string_view(env) == "0") && detect();
  }();
  return yes;
}

void hash_many(const NextMessage& start, const NextPiece& next, const Finished& finished) {
  alignas(64) static const uint8_t kZeros[64] = {};
  alignas(64) uint32_t state[8][kLanes];
  std::vector<Lane> lanes(kLanes);
  bool more = true;  // start() may still hand out messages
  Error err;
  auto finish_one = [&](size_t l) {
    uint32_t s[8];
    for (int i = 0; i < 8; ++i) s[i] = state[i][l];
    for (;;) {
      const uint8_t* ptr = nullptr;
      size_t blocks = 0;
      if (prepare(lanes[l], lanes[l].msg, next, ptr, blocks, err) == Ready::kFailed) {
        finished(lanes[l].msg, fail(err));
        break;
      }
      compress_one(s, ptr, blocks);
      if (advance(lanes[l], ptr, blocks)) {
        finished(lanes[l].msg, to_digest(s));
        break;
      }
    }
    lanes[l].busy = false;
  };
  for (;;) {
    size_t busy = 0;
    for (size_t l = 0; l < kLanes; ++l) {
      if (!lanes[l].busy && more) {
        if (auto msg = start()) {
          lanes[l] = Lane{};
          lanes[l].msg = *msg;
          lanes[l].busy = true;
          for (int i = 0; i < 8; ++i) state[i][l] = kInit[i];
        } else {
          more = false;
        }
      }
      busy += lanes[l].busy;
    }
    if (busy == 0) return;
    if (busy < kMinBusyLanes && !more) {
      for (size_t l = 0; l < kLanes; ++l)
        if (lanes[l].busy) finish_one(l);
      return;
    }
    const uint8_t* ptr[kLanes];
    size_t stride[kLanes];
    size_t blocks = std::numeric_limits<size_t>::max();
    for (size_t l = 0; l < kLanes; ++l) {
      ptr[l] = kZeros;
      stride[l] = 0;
      if (!lanes[l].busy) continue;
      size_t n = 0;
      if (prepare(lanes[l], lanes[l].msg, next, ptr[l], n, err) == Ready::kFailed) {
        finished(lanes[l].msg, fail(err));
        lanes[l].busy = false;
        ptr[l] = kZeros;
        continue;
      }
      stride[l] = 64;
      blocks = std::min(blocks, n);
    }
    if (blocks == std::numeric_limits<size_t>::max()) continue;  // every busy lane failed
    compress_lanes(state, ptr, stride, blocks);
    for (size_t l = 0; l < kLanes; ++l) {
      if (!lanes[l].busy || !advance(lanes[l], ptr[l], blocks)) continue;
      uint32_t s[8];
      for (int i = 0; i < 8; ++i) s[i] = state[i][l];
      finished(lanes[l].msg, to_digest(s));
      lanes[l].busy = false;
    }
  }
}

void hash_many(size_t count, const NextPiece& next, const Finished& finished) {
  size_t started = 0;
  hash_many([&]() -> std::optional<size_t> { return started < count ? std::optional(started++) : std::nullopt; },
            next, finished);
}

}  // namespace upscope::sha256_lanes
