#include "ridiff10/probe.hpp"

#include <fmt/format.h>

namespace upscope::ridiff10 {

std::optional<Identification> probe(const ProbeInput& in) {
  if (!in.head.starts_with("RIDIFF10")) return std::nullopt;
  Identification id;
  id.format = "ridiff10";
  Cursor c(in.head, 8);
  uint16_t variants = c.u16le();
  uint64_t flags = c.u64le(), controls = c.u64le();
  if (!c.ok()) {
    id.description = "RIDIFF10 patch, header truncated";
    id.warnings.push_back(c.error().rule);
    return id;
  }
  id.details["variants"] = variants;
  id.details["flags"] = flags;
  id.details["control_count"] = controls;
  id.description = fmt::format("RIDIFF10 raw-image patch, {} variant{}, {} controls", variants,
                               variants == 1 ? "" : "s", controls);
  return id;
}

}  // namespace upscope::ridiff10
