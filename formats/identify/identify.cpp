#include "identify/identify.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "aa/probe.hpp"
#include "aea/probe.hpp"
#include "bom/probe.hpp"
#include "chunklist/probe.hpp"
#include "apfs/probe.hpp"
#include "bxdiff50/probe.hpp"
#include "compress/probe.hpp"
#include "dyld_cache/probe.hpp"
#include "hfs/probe.hpp"
#include "img4/probe.hpp"
#include "macho/probe.hpp"
#include "partition/probe.hpp"
#include "pbzx/probe.hpp"
#include "pkg/probe.hpp"
#include "plist/probe.hpp"
#include "ridiff10/probe.hpp"
#include "trustcache/probe.hpp"
#include "udif/probe.hpp"
#include "zip/probe.hpp"
#include "advisory/advisory.hpp"

namespace upscope {

namespace {

using ProbeFn = std::optional<Identification> (*)(const ProbeInput&);

// Order matters: containers recognised by their tail (UDIF's koly) come first, because their
// head is arbitrary chunk data; strong magics at offset 0 next; then the weaker layouts
// (file systems and partition maps found at fixed offsets); MBR last, since GPT disks carry one.
const ProbeFn kProbes[] = {
    udif::probe_encrypted, udif::probe,      udif::probe_sparse, aa::probe,         pbzx::probe,
    aea::probe,
    compress::probe,       bxdiff50::probe,  ridiff10::probe,    dyld_cache::probe, macho::probe,
    img4::probe,           zip::probe,       plist::probe,       bom::probe,        chunklist::probe,
    pkg::probe,  // xar ("xar!"): installer packages and other xar archives
    apfs::probe,           hfs::probe,       partition::probe_gpt, partition::probe_apm, partition::probe_mbr,
    advisory::probe,  // plain text
    trustcache::probe,  // no magic, only an exact size: last, weakest
};

}  // namespace

const std::vector<FormatEntry>& known_formats() {
  static const std::vector<FormatEntry> kFormats = {
      {"udif-encrypted", "disk-image", "encrypted disk image (encrcdsa v2 / cdsaencr v1)"},
      {"udif", "disk-image", "UDIF disk image (.dmg, koly trailer)"},
      {"sparseimage", "disk-image", "sparse disk image (.sparseimage, sprs)"},
      {"aea", "archive", "Apple Encrypted Archive (AEA1)"},
      {"apple-archive", "archive", "Apple Archive (AA01 / YAA1)"},
      {"pbzx", "compression", "pbzx chunked stream (xz)"},
      {"pbze", "compression", "pbze chunked stream (LZFSE)"},
      {"pbz4", "compression", "pbz4 chunked stream (LZ4)"},
      {"pbzz", "compression", "pbzz chunked stream (zlib)"},
      {"pbzb", "compression", "pbzb chunked stream (LZBITMAP)"},
      {"pbzm", "compression", "pbzm chunked stream (LZRaven, unsupported codec)"},
      {"lzfse", "compression", "LZFSE stream (bvx*)"},
      {"lzss", "compression", "LZSS kernelcache (complzss)"},
      {"lzbitmap", "compression", "LZBITMAP stream (ZBM)"},
      {"xz", "compression", "xz stream"},
      {"zstd", "compression", "zstd frame"},
      {"lz4", "compression", "LZ4 frame"},
      {"gzip", "compression", "gzip stream"},
      {"bzip2", "compression", "bzip2 stream"},
      {"bxdiff50", "patch", "BXDIFF50 binary patch"},
      {"bxdiff4x", "patch", "BXDIFF40/41 binary patch"},
      {"ridiff10", "patch", "RIDIFF10 raw-image patch"},
      {"dyld-cache", "executable", "dyld shared cache (main file or subcache)"},
      {"macho-fat", "executable", "universal (fat) Mach-O"},
      {"macho", "executable", "thin Mach-O"},
      {"macho-fileset", "executable", "kernel collection (Mach-O MH_FILESET)"},
      {"img4", "metadata", "Image4 container"},
      {"im4p", "metadata", "Image4 payload"},
      {"im4m", "metadata", "Image4 manifest"},
      {"im4r", "metadata", "Image4 restore info"},
      {"im4c", "metadata", "Image4 certificate"},
      {"zip", "archive", "zip archive (OTA/RSR asset, IPSW)"},
      {"plist-binary", "metadata", "binary property list"},
      {"plist-xml", "metadata", "XML property list"},
      {"bom", "metadata", "bill of materials (BOMStore: installer and OTA file lists)"},
      {"pkg", "archive", "installer package (xar with a Bom, PackageInfo or Distribution)"},
      {"xar", "archive", "xar archive (not an installer package: .xip and others)"},
      {"chunklist", "metadata", "chunklist (CNKL: per-chunk SHA-256 of a disk image)"},
      {"apfs", "filesystem", "APFS container"},
      {"apfs-volume", "filesystem", "APFS volume superblock without a container"},
      {"hfsplus", "filesystem", "HFS+ volume"},
      {"hfsx", "filesystem", "HFSX volume (case-sensitive HFS+)"},
      {"hfs", "filesystem", "classic HFS volume"},
      {"gpt", "partition-map", "GPT partitioned disk"},
      {"apm", "partition-map", "Apple Partition Map disk"},
      {"mbr", "partition-map", "MBR partitioned disk"},
      {"advisory", "metadata", "security advisory text (\"About the security content of ...\")"},
      {"trustcache", "metadata", "trust cache (raw, versions 0-2)"},
      {"unknown", "unknown", "not a format upscope knows"},
  };
  return kFormats;
}

Result<Identification> identify(const Source& src) {
  std::vector<uint8_t> head_buf, tail_buf;
  const uint64_t head_n = std::min<uint64_t>(src.size(), ProbeInput::kHeadSize);
  const uint64_t tail_n = std::min<uint64_t>(src.size(), ProbeInput::kTailSize);
  UPSCOPE_TRY(ByteReader head, src.view(0, head_n, head_buf, "header"));
  UPSCOPE_TRY(ByteReader tail, src.view(src.size() - tail_n, tail_n, tail_buf, "trailer"));
  ProbeInput in{src, head, tail};
  for (ProbeFn probe : kProbes) {
    if (auto id = probe(in)) return std::move(*id);
  }
  Identification id;
  id.format = "unknown";
  id.description = src.size() == 0 ? "unknown (empty file)" : "unknown (no known signature)";
  id.details["size"] = src.size();
  return id;
}

}  // namespace upscope
