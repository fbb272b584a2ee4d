#include "trustcache/probe.hpp"

#include <fmt/format.h>

#include "inspect/checked.hpp"
#include "inspect/text.hpp"

namespace upscope::trustcache {

// Layout (docs/formats/trustcache.md), little-endian: u32 version, 16-byte UUID, u32 entry count,
// then the entries: v0 a 20-byte cdhash; v1 cdhash, hash type, flags; v2 adds a constraint
// category and a reserved byte.
uint64_t entry_size(uint32_t version) {
  switch (version) {
    case 0: return 20;
    case 1: return 22;
    case 2: return 24;
    default: return 0;
  }
}

std::optional<Summary> summarize(const ByteReader& head, uint64_t size) {
  auto version = head.u32le(0);
  auto count = head.u32le(20);
  if (!version || !count || *count == 0) return std::nullopt;
  const uint64_t each = entry_size(*version);
  if (each == 0) return std::nullopt;
  auto body = checked_mul(uint64_t{*count}, each);
  auto total = body ? checked_add(*body, uint64_t{24}) : std::nullopt;
  if (!total || *total != size) return std::nullopt;
  auto uuid = head.bytes(4, 16);
  if (!uuid) return std::nullopt;
  return Summary{*version, uuid_string(*uuid), *count};
}

std::optional<Identification> probe(const ProbeInput& in) {
  auto s = summarize(in.head, in.source.size());
  if (!s) return std::nullopt;
  Identification id;
  id.format = "trustcache";
  id.details["version"] = s->version;
  id.details["uuid"] = s->uuid;
  id.details["entry_count"] = s->entry_count;
  id.description = fmt::format("trust cache v{}, {} entr{}", s->version, s->entry_count, s->entry_count == 1 ? "y" : "ies");
  return id;
}

}  // namespace upscope::trustcache
