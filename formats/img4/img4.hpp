// Image4 containers as a whole: an IMG4 SEQUENCE { IA5String "IMG4", IM4P, [0] { IM4M }, [1] { IM4R } }
// or a bare IM4P, read with the DER header reader of probe.hpp and the IM4P reader of im4p.hpp.
// Callers that want the payload (a trust cache, a kernelcache) take it from `im4p` either way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "img4/im4p.hpp"
#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope::img4 {

struct Image4 {
  std::string container;            // "img4" or "im4p": the outer SEQUENCE of the input
  Im4p im4p;
  uint64_t im4p_offset = 0;         // the IM4P SEQUENCE, header included (absolute)
  uint64_t im4p_length = 0;
  std::optional<uint64_t> manifest_offset;  // the IM4M SEQUENCE inside [0], when present
  uint64_t manifest_length = 0;
  bool has_restore_info = false;    // [1] IM4R
};

Result<Image4> parse_image4(const ByteReader& r);

}  // namespace upscope::img4
