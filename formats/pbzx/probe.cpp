#include "pbzx/probe.hpp"

#include <fmt/format.h>

namespace upscope::pbzx {

const char* codec_of_magic(std::string_view m) {
  if (m == "pbzx") return "xz";
  if (m == "pbze") return "lzfse";
  if (m == "pbz4") return "lz4";
  if (m == "pbzz") return "zlib";
  if (m == "pbzb") return "lzbitmap";
  if (m == "pbzm") return "lzraven";
  return nullptr;
}

std::optional<Identification> probe(const ProbeInput& in) {
  auto magic = in.head.fixed_string(0, 4);
  if (!magic) return std::nullopt;
  const char* codec = codec_of_magic(*magic);
  if (!codec) return std::nullopt;
  Identification id;
  id.format = std::string(*magic);
  id.details["codec"] = codec;
  bool supported = id.format != "pbzm";
  id.details["supported"] = supported;
  auto block = in.head.u64be(4);
  if (block) id.details["block_size"] = *block;
  else id.warnings.push_back("pbz* header truncated: no block size");
  id.description = fmt::format("{} chunked stream ({} chunks{}){}", id.format, codec,
                               block ? fmt::format(", block size {:#x}", *block) : "",
                               supported ? "" : fmt::format(": unsupported codec {}", codec));
  return id;
}

}  // namespace upscope::pbzx
