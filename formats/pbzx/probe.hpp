#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::pbzx {
// The pbz* chunked streams: pbzx (xz), pbze (LZFSE), pbz4 (LZ4), pbzz (zlib), pbzb (LZBITMAP),
// pbzm (LZRaven). The last two are named but not decodable.
std::optional<Identification> probe(const ProbeInput& in);
// The codec name of a pbz* magic, or nullptr.
const char* codec_of_magic(std::string_view magic4);
}  // namespace upscope::pbzx
