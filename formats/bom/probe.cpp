#include "bom/probe.hpp"

#include <fmt/format.h>

namespace upscope::bom {

// Header (docs/formats/bom.md): "BOMStore", then big-endian u32 version, block count, block-table
// offset and length, variables offset and length.
std::optional<Identification> probe(const ProbeInput& in) {
  if (!in.head.starts_with("BOMStore")) return std::nullopt;
  auto version = in.head.u32be(8);
  auto blocks = in.head.u32be(12);
  if (!version || *version != 1 || !blocks) return std::nullopt;
  Identification id;
  id.format = "bom";
  id.details["version"] = *version;
  id.details["block_count"] = *blocks;
  id.description = fmt::format("bill of materials (BOMStore v{}), {} blocks", *version, *blocks);
  return id;
}

}  // namespace upscope::bom
