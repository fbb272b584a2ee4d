#include "zip/probe.hpp"

#include <fmt/format.h>

namespace upscope::zip {

std::optional<Identification> probe(const ProbeInput& in) {
  bool local = in.head.starts_with("PK\x03\x04");
  bool empty = in.head.starts_with("PK\x05\x06");
  if (!local && !empty) return std::nullopt;
  Identification id;
  id.format = "zip";
  // The end-of-central-directory record (22 bytes + comment) sits in the tail.
  std::optional<uint64_t> entries;
  const uint64_t n = in.tail.size();
  for (uint64_t back = 22; back <= n && back <= 22 + 0xffff; ++back) {
    uint64_t off = n - back;
    if (!in.tail.starts_with("PK\x05\x06", off)) continue;
    auto count = in.tail.u16le(off + 10);
    if (count) entries = *count;
    break;
  }
  if (entries) id.details["entries"] = *entries;
  id.description = entries ? fmt::format("zip archive, {} entries", *entries) : std::string("zip archive");
  if (entries && *entries == 0xffff) id.description += " (zip64)";
  return id;
}

}  // namespace upscope::zip
