// `upscope inspect` for disk images: UDIF (.dmg), .sparseimage and raw partitioned disks: the image
// opened, then the partition map of the decoded disk read (reports/format_reports.hpp words them).
#include "inspect_registry.hpp"
#include "partition/partition_map.hpp"
#include "reports/format_reports.hpp"
#include "udif/disk_image.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_disk(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto img = udif::open_disk_image(src, &r.diagnostics);
  if (!img) {
    r.error = img.error();
    return r;
  }
  auto map = partition::read_partition_map(img->disk, &r.diagnostics);
  if (!map) {
    r.diagnostics.add(map.error());
    r.set_report(reports::disk_image_report(*img, std::nullopt));
    return r;
  }
  r.set_report(reports::disk_image_report(*img, *map));
  for (const auto& p : map->partitions)
    if (p.filesystem_error) r.diagnostics.add(*p.filesystem_error);
  return r;
}

InspectResult inspect_encrypted(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  if (auto e = udif::detect_encrypted(*src)) r.error = *e;
  r.set_report(reports::encrypted_disk_image_report());
  return r;
}

const InspectorRegistrar reg_disk({"udif", "sparseimage", "gpt", "apm", "mbr"}, inspect_disk);
const InspectorRegistrar reg_enc({"udif-encrypted"}, inspect_encrypted);

}  // namespace
}  // namespace upscope::cli
