#include "aa/probe.hpp"

#include <fmt/format.h>

namespace upscope::aa {

std::optional<Identification> probe(const ProbeInput& in) {
  bool aa01 = in.head.starts_with("AA01"), yaa1 = in.head.starts_with("YAA1");
  if (!aa01 && !yaa1) return std::nullopt;
  Identification id;
  id.format = "apple-archive";
  id.details["variant"] = aa01 ? "AA01" : "YAA1";
  auto hs = in.head.u16le(4);
  if (hs) id.details["first_header_size"] = *hs;
  if (!hs || *hs <= 5) id.warnings.push_back("first entry header size is missing or not above 5");
  id.description = fmt::format("Apple Archive ({})", aa01 ? "AA01" : "YAA1, legacy");
  return id;
}

}  // namespace upscope::aa
