#include "hfs/probe.hpp"

#include <fmt/format.h>

namespace upscope::hfs {

std::optional<Identification> probe(const ProbeInput& in) {
  auto sig = in.head.u16be(1024);
  if (!sig) return std::nullopt;
  Identification id;
  if (*sig == 0x482B || *sig == 0x4858) {  // 'H+' / 'HX'
    id.format = *sig == 0x482B ? "hfsplus" : "hfsx";
    uint16_t version = in.head.u16be(1026).value_or(0);
    uint32_t block_size = in.head.u32be(1024 + 40).value_or(0);
    uint32_t blocks = in.head.u32be(1024 + 44).value_or(0);
    id.details["version"] = version;
    id.details["block_size"] = block_size;
    id.details["total_blocks"] = blocks;
    id.description = fmt::format("{} volume (version {}), {} blocks of {} bytes",
                                 *sig == 0x482B ? "HFS+" : "HFSX (case-sensitive HFS+)", version, blocks, block_size);
    return id;
  }
  if (*sig == 0x4244) {  // 'BD': classic HFS master directory block
    uint16_t embedded = in.head.u16be(1024 + 124).value_or(0);
    id.format = embedded == 0x482B ? "hfsplus" : "hfs";
    id.details["wrapper"] = true;
    id.description = embedded == 0x482B ? "HFS+ volume inside an HFS wrapper" : "classic HFS volume";
    return id;
  }
  return std::nullopt;
}

}  // namespace upscope::hfs
