// xar header layout (docs/formats/pkg.md §1): big-endian fields read one by one at these offsets.
#pragma once

#include <cstdint>
#include <string_view>

namespace upscope::pkg {

inline constexpr std::string_view kXarMagic = "xar!";
inline constexpr uint64_t kXarHeaderSize = 28;  // magic, u16 size, u16 version, u64 TOC lengths x2, u32 checksum
inline constexpr uint64_t kHeaderSizeField = 4;
inline constexpr uint64_t kVersionField = 6;
inline constexpr uint64_t kTocCompressedField = 8;
inline constexpr uint64_t kTocUncompressedField = 16;
inline constexpr uint64_t kChecksumField = 24;

}  // namespace upscope::pkg
