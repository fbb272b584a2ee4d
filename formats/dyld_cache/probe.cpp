#include "dyld_cache/probe.hpp"

#include <fmt/format.h>

#include "inspect/text.hpp"

namespace upscope::dyld_cache {

std::optional<Identification> probe(const ProbeInput& in) {
  if (!in.head.starts_with("dyld_v1")) return std::nullopt;
  Identification id;
  id.format = "dyld-cache";
  auto magic = in.head.fixed_string(0, 16);
  if (!magic) {
    id.description = "dyld shared cache header truncated";
    id.warnings.push_back(fmt::format("the file ends at {} bytes, inside the 16-byte magic", in.source.size()));
    return id;
  }
  std::string arch(magic->substr(7));
  arch.erase(0, arch.find_first_not_of(' '));
  id.details["arch"] = arch;
  Cursor c(in.head, 16);
  uint32_t mapping_offset = c.u32le(), mapping_count = c.u32le();
  c.skip(4);  // imagesOffsetOld
  uint32_t images_count_old = c.u32le();
  c.seek(0x58);
  Bytes uuid = c.bytes(16);
  if (!c.ok()) {
    id.description = fmt::format("dyld shared cache ({}), header truncated", arch);
    id.warnings.push_back(c.error().rule);
    return id;
  }
  id.details["header_size"] = mapping_offset;  // the builder sets mappingOffset = sizeof(header)
  id.details["mapping_count"] = mapping_count;
  id.details["uuid"] = uuid_string(uuid);
  uint64_t images = images_count_old;
  if (mapping_offset >= 0x1c8) images = in.head.u32le(0x1c4).value_or(0);  // newer layout: 0x1c0/0x1c4
  id.details["image_count"] = images;
  id.description = fmt::format("dyld shared cache ({}), header {:#x} bytes, {} mappings, {} images", arch,
                               mapping_offset, mapping_count, images);
  if (mapping_count > 20) id.warnings.push_back(fmt::format("{} mappings (dyld accepts at most 20)", mapping_count));
  return id;
}

}  // namespace upscope::dyld_cache
