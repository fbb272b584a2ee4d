#include "chunklist/probe.hpp"

#include <fmt/format.h>

namespace upscope::chunklist {

// Header (docs/formats/chunklist.md), little-endian: "CNKL", u32 header size (36), u8 version,
// u8 chunk method, u8 signature method, u8 pad, u64 chunk count, u64 chunk table offset, u64
// signature offset.
std::optional<Identification> probe(const ProbeInput& in) {
  if (!in.head.starts_with("CNKL")) return std::nullopt;
  auto header_size = in.head.u32le(4);
  auto version = in.head.u8(8);
  auto chunks = in.head.u64le(12);
  if (!header_size || *header_size != 36 || !version || !chunks) return std::nullopt;
  Identification id;
  id.format = "chunklist";
  id.details["version"] = *version;
  id.details["chunk_count"] = *chunks;
  id.description = fmt::format("chunklist (CNKL v{}), {} chunk{}", *version, *chunks, *chunks == 1 ? "" : "s");
  return id;
}

}  // namespace upscope::chunklist
