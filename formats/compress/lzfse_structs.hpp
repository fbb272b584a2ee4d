// LZFSE on-disk layout (Apple's field names; all integers little-endian). A stream is a sequence of
// blocks, each starting with a 4-byte magic, ended by bvx$. The headers are read with explicit
// loads at these offsets: the v1 header is 770 bytes with no padding, which no C++ struct matches.
#pragma once

#include <cstddef>
#include <cstdint>

namespace upscope::compress::lzfse {

inline constexpr uint32_t kEndOfStreamMagic = 0x24787662;   // "bvx$"
inline constexpr uint32_t kUncompressedMagic = 0x2d787662;  // "bvx-": n_raw_bytes, then the bytes
inline constexpr uint32_t kCompressedV1Magic = 0x31787662;  // "bvx1": frequency tables stored as u16
inline constexpr uint32_t kCompressedV2Magic = 0x32787662;  // "bvx2": packed fields + coded tables
inline constexpr uint32_t kLzvnMagic = 0x6e787662;          // "bvxn": n_raw_bytes, n_payload_bytes

// Symbol alphabets and FSE state counts (the table sizes; each is a power of two).
inline constexpr int kLSymbols = 20, kMSymbols = 20, kDSymbols = 64, kLiteralSymbols = 256;
inline constexpr int kLStates = 64, kMStates = 64, kDStates = 256, kLiteralStates = 1024;
inline constexpr int kFreqCount = kLSymbols + kMSymbols + kDSymbols + kLiteralSymbols;  // 360

inline constexpr uint32_t kMatchesPerBlock = 10000;
inline constexpr uint32_t kLiteralsPerBlock = 4 * kMatchesPerBlock;

// bvx- and bvxn headers.
inline constexpr size_t kUncompressedHeaderSize = 8;  // magic, n_raw_bytes
inline constexpr size_t kLzvnHeaderSize = 12;         // magic, n_raw_bytes, n_payload_bytes

// lzfse_compressed_block_header_v1 (bvx1).
namespace v1 {
inline constexpr size_t n_raw_bytes = 4;
inline constexpr size_t n_payload_bytes = 8;  // not needed to decode: literal + L/M/D payload sizes
inline constexpr size_t n_literals = 12;
inline constexpr size_t n_matches = 16;
inline constexpr size_t n_literal_payload_bytes = 20;
inline constexpr size_t n_lmd_payload_bytes = 24;
inline constexpr size_t literal_bits = 28;   // i32 in [-7, 0]
inline constexpr size_t literal_state = 32;  // u16[4]
inline constexpr size_t lmd_bits = 40;       // i32 in [-7, 0]
inline constexpr size_t l_state = 44, m_state = 46, d_state = 48;
inline constexpr size_t freq = 50;  // u16 l_freq[20], m_freq[20], d_freq[64], literal_freq[256]
inline constexpr size_t kSize = freq + 2 * kFreqCount;
static_assert(kSize == 770);
}  // namespace v1

// lzfse_compressed_block_header_v2 (bvx2): magic, n_raw_bytes, packed_fields[3], then the
// frequency tables coded with a variable-length code, up to header_size.
namespace v2 {
inline constexpr size_t n_raw_bytes = 4;
inline constexpr size_t packed_fields = 8;  // u64[3]
inline constexpr size_t freq = 32;
inline constexpr size_t kFixedSize = freq;
}  // namespace v2

// L, M and D are coded as an FSE symbol giving a base value plus that many raw extra bits.
inline constexpr uint8_t kLExtraBits[kLSymbols] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 5, 8};
inline constexpr uint8_t kMExtraBits[kMSymbols] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 5, 8, 11};
// D symbols come in groups of four sharing an extra-bit count: 0,0,0,0,1,1,1,1,...,15,15,15,15.
inline constexpr uint8_t d_extra_bits(int symbol) { return uint8_t(symbol / 4); }
// Base values follow from the extra bits: each symbol starts where the previous one's range ends.

}  // namespace upscope::compress::lzfse
