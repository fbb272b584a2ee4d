// Sizes and layouts of Apple Encrypted Archive structures (docs/formats/aea.md). Private to
// formats/aea: fields are read one by one through ByteReader/Cursor, so there are no packed structs.
#pragma once

#include <cstdint>

namespace upscope::aea {

inline constexpr uint64_t kFileHeaderSize = 12;    // "AEA1", u24 profile, u8 scrypt strength, u32 auth size
inline constexpr uint64_t kSaltSize = 32;          // main salt
inline constexpr uint64_t kMacSize = 32;           // every HMAC-SHA256
inline constexpr uint64_t kRootHeaderSize = 48;    // §7
inline constexpr uint64_t kRootReservedOffset = 26;
inline constexpr uint64_t kSignatureSize = 128;    // DER ECDSA signature, zero-padded
inline constexpr uint64_t kPublicKeySize = 65;     // uncompressed X9.62 P-256 point
inline constexpr uint64_t kSymmetricKeySize = 32;  // profiles 1 and 2, and profile 0's key material
inline constexpr uint64_t kSegmentHeaderFixed = 8;  // u32 plaintext size, u32 stored size, then the checksum

// Data keys (§5): the HMAC key, then (encrypting profiles) the AES-256 key and the CTR counter block.
inline constexpr uint64_t kDataKeyMac = 32;
inline constexpr uint64_t kDataKeyFull = 80;
inline constexpr uint64_t kAesKeyOffset = 32;
inline constexpr uint64_t kIvOffset = 64;

// Our own caps (not the format's): a decoded segment is held whole in memory.
inline constexpr uint32_t kMaxSegmentSize = 64u << 20;

// Checksum ids (root header byte 25) and their sizes.
inline constexpr uint8_t kChecksumNone = 0, kChecksumMurmur = 1, kChecksumSha256 = 2;
inline constexpr uint64_t kMurmurSeed = 0xE2236FDC26A5F6D2ull;

}  // namespace upscope::aea
