#include "apfs/probe.hpp"

#include <fmt/format.h>

#include "inspect/text.hpp"

namespace upscope::apfs {

std::optional<Identification> probe(const ProbeInput& in) {
  if (in.head.starts_with("NXSB", 32)) {
    Cursor c(in.head, 36);
    uint32_t block_size = c.u32le();
    uint64_t block_count = c.u64le();
    c.skip(24);
    Bytes uuid = c.bytes(16);
    Identification id;
    id.format = "apfs";
    id.details["block_size"] = block_size;
    id.details["block_count"] = block_count;
    id.details["container_uuid"] = uuid_string(uuid);
    id.description = fmt::format("APFS container, {} blocks of {} bytes, UUID {}", block_count, block_size,
                                 uuid_string(uuid));
    if (c.ok() && block_size) {
      auto need = checked_mul(block_count, block_size);
      if (!need || *need > in.source.size())
        id.warnings.push_back(fmt::format("container declares {} but the input holds {}",
                                          need ? human_size(*need) : std::string("more than 2^64 bytes"),
                                          human_size(in.source.size())));
    }
    return id;
  }
  if (in.head.starts_with("APSB", 32)) {
    Identification id;
    id.format = "apfs-volume";
    auto name = in.head.cstring(704, 256);
    id.details["name"] = name ? std::string(*name) : "";
    id.description = fmt::format("APFS volume superblock '{}' (no container)", name ? *name : "");
    return id;
  }
  return std::nullopt;
}

}  // namespace upscope::apfs
