// The xar header and its zlib-compressed XML table of contents (docs/formats/pkg.md §1), read by our
// own code so that the TOC's size is bounded before libarchive sees the archive.
#pragma once

#include <cstdint>
#include <string>

#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope::pkg {

struct Toc {
  uint16_t header_size = 0;
  uint16_t version = 0;
  uint64_t compressed = 0;    // TOC bytes in the file (from header_size on)
  uint64_t uncompressed = 0;  // declared
  uint32_t checksum = 0;      // 0 none, 1 SHA-1, 2 MD5, 3 named in the TOC
  std::string xml;            // inflated
};

// The TOC may declare at most `max_toc` bytes (and must inflate to exactly what it declares).
Result<Toc> read_toc(const Source& src, uint64_t max_toc);

// Whether the TOC names a member that only installer packages have (Bom, PackageInfo, Distribution).
bool names_installer_member(const std::string& xml);

}  // namespace upscope::pkg
