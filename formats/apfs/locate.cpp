#include "apfs/locate.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "apfs/structs.hpp"
#include "partition/partition_map.hpp"
#include "udif/disk_image.hpp"

namespace upscope::apfs {

Result<LocatedContainer> locate_container(SourcePtr file, Diagnostics* diags, uint32_t partition) {
  Diagnostics local;
  Diagnostics* d = diags ? diags : &local;
  if (partition == 0 && partition::detect_filesystem(*file) == "apfs") return LocatedContainer{file, "raw container"};
  UPSCOPE_TRY(auto img, udif::open_disk_image(file, d));
  std::string prefix = img.kind == udif::ImageKind::kRaw ? "" : fmt::format("{} image, ", udif::to_string(img.kind));
  if (partition == 0 && img.kind != udif::ImageKind::kRaw && partition::detect_filesystem(*img.disk) == "apfs")
    return LocatedContainer{img.disk, prefix + "raw container"};
  UPSCOPE_TRY(auto map, partition::read_partition_map(img.disk, d));
  for (const auto& p : map.partitions) {
    if (partition && p.index != partition) continue;
    if (p.filesystem == "apfs" || (partition && p.type_name == "Apple_APFS"))
      return LocatedContainer{p.source, fmt::format("{}{} partition {}", prefix, partition::to_string(map.scheme), p.index)};
  }
  // A partition whose start could not be read may be the container: its error says more than "not found".
  for (const auto& p : map.partitions)
    if (p.filesystem_error && (!partition || p.index == partition)) return fail(*p.filesystem_error);
  if (partition)
    return fail(ErrorCode::kNotFound, file->name(), fmt::format("partition {} is not an APFS container", partition));
  return fail(ErrorCode::kNotFound, file->name(),
              fmt::format("no APFS container found ({}{} partition map with {} partitions)", prefix,
                          partition::to_string(map.scheme), map.partitions.size()));
}

Result<OpenedImage> open_image(const std::string& path, Diagnostics* diags) {
  UPSCOPE_TRY(auto file, FileSource::open(path));
  return open_source(std::move(file), diags);
}

Result<OpenedImage> open_source(SourcePtr file, Diagnostics* diags) {
  UPSCOPE_TRY(auto loc, locate_container(file, diags));
  UPSCOPE_TRY(auto c, Container::open(loc.source));
  if (diags) diags->append(c->diagnostics());
  return OpenedImage{std::move(loc), std::move(c)};
}

std::pair<std::string, std::string> split_image_path(const std::string& arg) {
  std::error_code ec;
  if (std::filesystem::exists(arg, ec)) return {arg, ""};
  // The first ":/" whose left side exists names the image (image names may contain ':').
  for (size_t pos = arg.find(":/"); pos != std::string::npos; pos = arg.find(":/", pos + 1)) {
    if (std::filesystem::exists(arg.substr(0, pos), ec)) return {arg.substr(0, pos), arg.substr(pos + 1)};
  }
  return {arg, ""};
}

Result<std::shared_ptr<const Volume>> open_single_volume(const std::string& image, const std::string& which,
                                                         Diagnostics* diags) {
  UPSCOPE_TRY(OpenedImage opened, open_image(image, diags));
  const Container& c = *opened.container;
  if (!which.empty()) return c.open_volume(which);
  if (c.volumes().size() != 1) {
    Error e = make_error(ErrorCode::kInvalidArgument, "", fmt::format("the container holds {} volumes: choose one with --volume NAME|INDEX", c.volumes().size()));
    e.file = image;
    return fail(e);
  }
  return c.open_volume(size_t{0});
}

}  // namespace upscope::apfs
