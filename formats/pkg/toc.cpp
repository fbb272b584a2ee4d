#include "pkg/toc.hpp"

#include <fmt/format.h>

#include "compress/codec.hpp"
#include "inspect/text.hpp"
#include "pkg/structs.hpp"

namespace upscope::pkg {

Result<Toc> read_toc(const Source& src, uint64_t max_toc) {
  std::vector<uint8_t> scratch;
  if (src.size() < kXarHeaderSize)
    return fail(ErrorCode::kTruncated, "xar header", fmt::format("needs 28 bytes, the file has {}", src.size()), 0);
  UPSCOPE_TRY(ByteReader h, src.view(0, kXarHeaderSize, scratch, "xar header"));
  if (!h.starts_with(kXarMagic))
    return fail(ErrorCode::kMalformed, "xar header", fmt::format("magic '{}' is not 'xar!'", printable(*h.bytes(0, 4))), 0);
  Toc t;
  t.header_size = *h.u16be(kHeaderSizeField);
  t.version = *h.u16be(kVersionField);
  t.compressed = *h.u64be(kTocCompressedField);
  t.uncompressed = *h.u64be(kTocUncompressedField);
  t.checksum = *h.u32be(kChecksumField);
  if (t.header_size < kXarHeaderSize)
    return fail(ErrorCode::kMalformed, "xar header", fmt::format("header size {} is smaller than 28", t.header_size),
                kHeaderSizeField);
  if (t.version != 1)
    return fail(ErrorCode::kUnsupported, "xar header", fmt::format("version {} is not 1", t.version), kVersionField);
  if (!range_fits(t.header_size, t.compressed, src.size()))
    return fail(ErrorCode::kTruncated, "xar TOC",
                fmt::format("{} compressed bytes run past the end of the file ({} bytes)", t.compressed, src.size()),
                t.header_size);
  if (t.uncompressed > max_toc)
    return fail(ErrorCode::kLimit, "xar TOC",
                fmt::format("declares {} bytes, over the limit of {}", t.uncompressed, max_toc), t.header_size);
  std::vector<uint8_t> zscratch;
  UPSCOPE_TRY(ByteReader z, src.view(t.header_size, t.compressed, zscratch, "xar TOC"));
  std::vector<uint8_t> xml(t.uncompressed);
  auto n = compress::decode(compress::Codec::kZlib, z.data(), xml);
  if (!n && n.error().code == ErrorCode::kLimit)
    return fail(ErrorCode::kMalformed, "xar TOC",
                fmt::format("inflates to more than the {} bytes the header declares", t.uncompressed), t.header_size);
  if (!n) return fail(n.error().shifted(t.header_size));
  if (*n != t.uncompressed)
    return fail(ErrorCode::kMalformed, "xar TOC",
                fmt::format("inflates to {} bytes, the header declares {}", *n, t.uncompressed), t.header_size);
  t.xml.assign(reinterpret_cast<const char*>(xml.data()), xml.size());
  return t;
}

bool names_installer_member(const std::string& xml) {
  for (const char* n : {"<name>Bom</name>", "<name>PackageInfo</name>", "<name>Distribution</name>"})
    if (xml.find(n) != std::string::npos) return true;
  return false;
}

}  // namespace upscope::pkg
