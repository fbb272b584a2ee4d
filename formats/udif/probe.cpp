#include "udif/probe.hpp"

#include <fmt/format.h>

#include "inspect/text.hpp"

namespace upscope::udif {

std::optional<Identification> probe(const ProbeInput& in) {
  const uint64_t size = in.source.size();
  if (size < 512) return std::nullopt;
  auto koly = in.tail.sub(in.tail.size() - 512, 512, "koly trailer");
  if (!koly || !koly->starts_with("koly")) return std::nullopt;
  Cursor c(*koly, 4);
  uint32_t version = c.u32be(), header_size = c.u32be(), flags = c.u32be();
  c.skip(8);
  uint64_t data_fork_offset = c.u64be(), data_fork_length = c.u64be();
  c.seek(216);
  uint64_t xml_offset = c.u64be(), xml_length = c.u64be();
  c.seek(296);
  uint64_t sig_offset = c.u64be(), sig_length = c.u64be();
  c.seek(352);
  uint32_t master_type = c.u32be();
  c.seek(488);
  uint32_t variant = c.u32be();
  uint64_t sectors = c.u64be();
  if (!c.ok() || header_size != 512) return std::nullopt;
  Identification id;
  id.format = "udif";
  id.description = fmt::format("UDIF disk image (koly v{}), {} sectors ({} decoded){}", version, sectors,
                               human_size(sectors * 512), sig_length ? ", code-signed" : "");
  id.details["version"] = version;
  id.details["flags"] = flags;
  id.details["data_fork_offset"] = data_fork_offset;
  id.details["data_fork_length"] = data_fork_length;
  id.details["xml_offset"] = xml_offset;
  id.details["xml_length"] = xml_length;
  id.details["code_signature_offset"] = sig_offset;
  id.details["code_signature_length"] = sig_length;
  id.details["master_checksum_type"] = master_type;
  id.details["image_variant"] = variant;
  id.details["sector_count"] = sectors;
  const uint64_t koly_off = size - 512;
  if (!range_fits(data_fork_offset, data_fork_length, koly_off))
    id.warnings.push_back("data fork extends past the koly trailer");
  if (!range_fits(xml_offset, xml_length, koly_off)) id.warnings.push_back("XML plist extends past the koly trailer");
  return id;
}

std::optional<Identification> probe_encrypted(const ProbeInput& in) {
  Identification id;
  id.format = "udif-encrypted";
  if (in.head.starts_with("encrcdsa")) {
    auto version = in.head.u32be(8);
    id.details["header"] = "encrcdsa";
    id.details["version"] = version ? *version : 0;
    id.description = fmt::format("encrypted disk image (encrcdsa v{}); no key handling: contents not readable",
                                 version ? *version : 0);
    return id;
  }
  if (in.tail.size() >= 8 && in.tail.starts_with("cdsaencr", in.tail.size() - 8)) {
    id.details["header"] = "cdsaencr";
    id.details["version"] = 1;
    id.description = "encrypted disk image (cdsaencr v1); no key handling: contents not readable";
    return id;
  }
  return std::nullopt;
}

std::optional<Identification> probe_sparse(const ProbeInput& in) {
  if (!in.head.starts_with("sprs")) return std::nullopt;
  Cursor c(in.head, 4);
  uint32_t version = c.u32be(), sectors_per_band = c.u32be();
  c.skip(4);
  uint32_t total_sectors = c.u32be();
  Identification id;
  id.format = "sparseimage";
  id.details["version"] = version;
  id.details["sectors_per_band"] = sectors_per_band;
  id.details["sector_count"] = total_sectors;
  id.description = fmt::format("sparse disk image (sprs v{}), {} sectors, {}-sector bands", version, total_sectors,
                               sectors_per_band);
  if (!c.ok()) id.warnings.push_back("sparse image header truncated");
  return id;
}

}  // namespace upscope::udif
