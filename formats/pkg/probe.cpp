#include "pkg/probe.hpp"

#include <fmt/format.h>

#include "pkg/structs.hpp"
#include "pkg/toc.hpp"

namespace upscope::pkg {

// A TOC this large is still read to tell an installer package from other xar files; beyond it the
// input is named "xar" with a warning.
constexpr uint64_t kProbeTocLimit = uint64_t{16} << 20;

std::optional<Identification> probe(const ProbeInput& in) {
  if (!in.head.starts_with(kXarMagic)) return std::nullopt;
  auto version = in.head.u16be(kVersionField);
  if (!version || *version != 1) return std::nullopt;
  Identification id;
  auto toc = read_toc(in.source, kProbeTocLimit);
  const bool installer = toc && names_installer_member(toc->xml);
  id.format = installer ? "pkg" : "xar";
  if (toc) {
    id.details["toc_size"] = toc->uncompressed;
    id.description = installer ? fmt::format("installer package (xar, {}-byte table of contents)", toc->uncompressed)
                               : fmt::format("xar archive ({}-byte table of contents)", toc->uncompressed);
  } else {
    id.description = "xar archive (table of contents unreadable)";
    id.warnings.push_back(toc.error().message());
  }
  return id;
}

}  // namespace upscope::pkg
