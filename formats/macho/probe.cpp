#include "macho/probe.hpp"

#include <fmt/format.h>

#include "macho/names.hpp"

namespace upscope::macho {

namespace {

constexpr uint32_t kMagic32 = 0xfeedface, kMagic64 = 0xfeedfacf;
constexpr uint32_t kFatMagic = 0xcafebabe, kFatMagic64 = 0xcafebabf;

std::optional<Identification> probe_thin(const ProbeInput& in) {
  auto le = in.head.u32le(0);
  if (!le) return std::nullopt;
  bool big = false, is64 = false;
  if (*le == kMagic32 || *le == kMagic64) {
    is64 = *le == kMagic64;
  } else if (*in.head.u32be(0) == kMagic32 || *in.head.u32be(0) == kMagic64) {
    big = true;
    is64 = *in.head.u32be(0) == kMagic64;
  } else {
    return std::nullopt;
  }
  auto rd = [&](uint64_t off) { return big ? in.head.u32be(off) : in.head.u32le(off); };
  Identification id;
  auto cputype = rd(4), cpusubtype = rd(8), filetype = rd(12), ncmds = rd(16), sizeofcmds = rd(20), flags = rd(24);
  if (!cputype || !cpusubtype || !filetype || !ncmds || !sizeofcmds || !flags) {
    id.format = "macho";
    id.description = "Mach-O header truncated";
    id.warnings.push_back(fmt::format("the file ends at {} bytes, inside the Mach-O header", in.source.size()));
    return id;
  }
  id.format = *filetype == 12 ? "macho-fileset" : "macho";
  std::string arch = cpu_name(*cputype, *cpusubtype);
  id.details["arch"] = arch;
  id.details["bits"] = is64 ? 64 : 32;
  id.details["byte_order"] = big ? "big" : "little";
  id.details["filetype"] = filetype_name(*filetype);
  id.details["ncmds"] = *ncmds;
  id.details["sizeofcmds"] = *sizeofcmds;
  id.details["flags"] = *flags;
  if ((*cpusubtype & 0x80000000u) && arch == "arm64e")
    id.details["ptrauth_abi_version"] = (*cpusubtype >> 24) & 0xf;
  id.description = *filetype == 12
                       ? fmt::format("kernel collection (Mach-O MH_FILESET, {}), {} load commands", arch, *ncmds)
                       : fmt::format("Mach-O {} {}, {} load commands", arch, filetype_name(*filetype), *ncmds);
  uint64_t header = is64 ? 32 : 28;
  if (!range_fits(header, *sizeofcmds, in.source.size()))
    id.warnings.push_back(fmt::format("load commands ({} bytes) extend past the end of the {}-byte file", *sizeofcmds,
                                      in.source.size()));
  if (!is_known_cputype(*cputype)) id.warnings.push_back(fmt::format("unknown CPU type {:#x}", *cputype));
  return id;
}

std::optional<Identification> probe_fat(const ProbeInput& in) {
  auto magic = in.head.u32be(0);
  if (!magic || (*magic != kFatMagic && *magic != kFatMagic64)) return std::nullopt;
  const bool fat64 = *magic == kFatMagic64;
  auto nfat = in.head.u32be(4);
  if (!nfat || *nfat == 0 || *nfat > 64) return std::nullopt;
  const uint64_t entry = fat64 ? 32 : 20;
  nlohmann::ordered_json slices = nlohmann::ordered_json::array();
  std::vector<std::string> warnings;
  std::string summary;
  for (uint32_t i = 0; i < *nfat; ++i) {
    Cursor c(in.head, 8 + i * entry);
    uint32_t cputype = c.u32be(), cpusubtype = c.u32be();
    uint64_t offset = fat64 ? c.u64be() : c.u32be();
    uint64_t size = fat64 ? c.u64be() : c.u32be();
    if (!c.ok()) return std::nullopt;
    if (!is_known_cputype(cputype)) return std::nullopt;  // a Java class file or noise, not a fat table
    nlohmann::ordered_json s;
    s["arch"] = cpu_name(cputype, cpusubtype);
    s["offset"] = offset;
    s["size"] = size;
    slices.push_back(s);
    summary += (summary.empty() ? "" : ", ") + s["arch"].get<std::string>();
    if (!range_fits(offset, size, in.source.size()))
      warnings.push_back(fmt::format("slice {} ({}) extends past the end of the file", i, s["arch"].get<std::string>()));
  }
  Identification id;
  id.format = "macho-fat";
  id.details["slices"] = slices;
  id.description = fmt::format("universal (fat{}) Mach-O, {} slice{}: {}", fat64 ? "64" : "", *nfat,
                               *nfat == 1 ? "" : "s", summary);
  id.warnings = std::move(warnings);
  return id;
}

}  // namespace

std::optional<Identification> probe(const ProbeInput& in) {
  if (auto id = probe_fat(in)) return id;
  return probe_thin(in);
}

}  // namespace upscope::macho
