// IM4P payload reader: the DER SEQUENCE { IA5String "IM4P", IA5String type, IA5String description,
// OCTET STRING data, [SEQUENCE { INTEGER algorithm, INTEGER size }], [OCTET STRING keybag], ... }
// that wraps kernelcaches and firmware. Every length is checked against its enclosing element.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope::img4 {

struct Im4pCompression {
  uint64_t algorithm = 0;          // 0 LZSS, 1 LZFSE
  uint64_t uncompressed_size = 0;
};

struct Im4p {
  std::string type;                // "krnl", "ibss", ...
  std::string description;
  ByteReader payload;              // the OCTET STRING content (base = absolute offset)
  std::optional<Im4pCompression> compression;
  bool has_keybag = false;         // an encrypted payload
  // "lzss" (complzss), "lzfse" (bvx*), "raw": sniffed from the payload, the compression element wins.
  std::string payload_kind() const;
};

Result<Im4p> parse_im4p(const ByteReader& r);

}  // namespace upscope::img4
