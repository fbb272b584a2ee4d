// The "complzss" container of LZSS-compressed kernelcaches: a 384-byte big-endian header
// (Apple's compression_header: signature "comp", type "lzss", Adler-32 of the decoded data,
// decoded size, encoded size, reserved words, platform name, root path) then the LZSS body.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope::compress {

inline constexpr uint64_t kComplzssHeaderSize = 384;

struct ComplzssHeader {
  uint32_t adler32 = 0;       // of the decoded data
  uint32_t decoded_size = 0;
  uint32_t encoded_size = 0;  // bytes of LZSS body after the header
  std::string platform_name;  // 64-byte field at 0x40, often empty
  std::string root_path;      // 256-byte field at 0x80, often empty
  uint64_t trailing_bytes = 0;  // after the body (e.g. a kernelcache's appended KPP), not decoded
};

// Reads and checks the header: magic, the body lying inside `r`.
Result<ComplzssHeader> parse_complzss(const ByteReader& r);

struct ComplzssPayload {
  ComplzssHeader header;
  std::vector<uint8_t> data;
  uint32_t computed_adler32 = 0;
  bool adler_ok() const { return computed_adler32 == header.adler32; }
};

// Header, LZSS body and Adler-32 of the result (a mismatch is reported, not an Error, so a
// caller can still look at the bytes). decoded_size over max_output is kLimit.
Result<ComplzssPayload> decode_complzss(const ByteReader& r, uint64_t max_output);

uint32_t adler32(Bytes data);

}  // namespace upscope::compress
