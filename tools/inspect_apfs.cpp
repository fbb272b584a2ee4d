// `upscope inspect` for APFS containers: the container superblock in use, and per volume its name,
// UUID, role, flags (case sensitivity, encryption, seal) and snapshots (reports/format_reports.hpp).
#include "apfs/container.hpp"
#include "apfs/volume.hpp"
#include "inspect_registry.hpp"
#include "reports/format_reports.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_apfs(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto c = apfs::Container::open(src);
  if (!c) {
    r.error = c.error();
    return r;
  }
  r.diagnostics.append((*c)->diagnostics());
  std::vector<std::optional<reports::ApfsVolumeReading>> volumes((*c)->volumes().size());
  for (size_t i = 0; i < volumes.size(); ++i) {
    const auto& v = (*c)->volumes()[i];
    if (reports::apfs_volume_unreadable(v)) continue;  // already among the container's diagnostics
    auto vol = (*c)->open_volume(i);
    if (!vol) {
      r.diagnostics.add(vol.error());
      continue;
    }
    auto& read = volumes[i].emplace();
    if (auto snaps = (*vol)->snapshots())
      read.snapshots = std::move(*snaps);
    else
      r.diagnostics.add(snaps.error());
    if (v.sealed) read.cryptex_role = (*vol)->guess_cryptex_role();
  }
  r.set_report(reports::apfs_report(**c, volumes));
  return r;
}

const InspectorRegistrar registered_inspect_apfs({"apfs"}, inspect_apfs);

}  // namespace
}  // namespace upscope::cli
