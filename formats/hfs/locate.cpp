#include "hfs/locate.hpp"

#include <fmt/format.h>

#include "hfs/structs.hpp"
#include "partition/partition_map.hpp"
#include "udif/disk_image.hpp"

namespace upscope::hfs {

bool has_volume_header(const Source& src) {
  uint8_t b[2];
  if (src.size() < kVolumeHeaderOffset + kVolumeHeaderSize || !src.read_at(kVolumeHeaderOffset, std::span<uint8_t>(b, 2)))
    return false;
  const uint16_t sig = load_u16be(b);
  if (sig == kHFSPlusSigWord || sig == kHFSXSigWord) return true;
  if (sig != kHFSSigWord) return false;
  return src.read_at(kVolumeHeaderOffset + kMDBEmbedSigWord, std::span<uint8_t>(b, 2)) && load_u16be(b) == kHFSPlusSigWord;
}

Result<LocatedVolume> locate_volume(SourcePtr file, Diagnostics* diags, uint32_t partition) {
  Diagnostics local;
  Diagnostics* d = diags ? diags : &local;
  if (partition == 0 && has_volume_header(*file)) return LocatedVolume{file, "raw volume"};
  UPSCOPE_TRY(auto img, udif::open_disk_image(file, d));
  std::string prefix = img.kind == udif::ImageKind::kRaw ? "" : fmt::format("{} image, ", udif::to_string(img.kind));
  if (partition == 0 && img.kind != udif::ImageKind::kRaw && has_volume_header(*img.disk))
    return LocatedVolume{img.disk, prefix + "raw volume"};
  UPSCOPE_TRY(auto map, partition::read_partition_map(img.disk, d));
  for (const auto& p : map.partitions) {
    if (partition && p.index != partition) continue;
    if (p.source && has_volume_header(*p.source))
      return LocatedVolume{p.source, fmt::format("{}{} partition {}", prefix, partition::to_string(map.scheme), p.index)};
  }
  if (partition)
    return fail(ErrorCode::kNotFound, file->name(), fmt::format("partition {} holds no HFS+ volume", partition));
  return fail(ErrorCode::kNotFound, file->name(),
              fmt::format("no HFS+ volume found ({}{} partition map with {} partitions)", prefix,
                          partition::to_string(map.scheme), map.partitions.size()));
}

Result<OpenedVolume> open_image(const std::string& path, Diagnostics* diags) {
  UPSCOPE_TRY(auto file, FileSource::open(path));
  return open_source(std::move(file), diags);
}

Result<OpenedVolume> open_source(SourcePtr file, Diagnostics* diags) {
  UPSCOPE_TRY(auto loc, locate_volume(file, diags));
  UPSCOPE_TRY(auto vol, Volume::open(loc.source, diags));
  return OpenedVolume{std::move(loc), std::move(vol)};
}

}  // namespace upscope::hfs
