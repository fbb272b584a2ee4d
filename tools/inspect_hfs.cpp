// `upscope inspect` for HFS+ / HFSX volumes (and HFS wrappers): the volume header, the catalog B-tree's
// shape and its records counted by one pass over the leaves (reports/format_reports.hpp words them).
#include "hfs/volume.hpp"
#include "inspect_registry.hpp"
#include "reports/format_reports.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_hfs(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto v = hfs::Volume::open(src, &r.diagnostics);
  if (!v) {
    r.error = v.error();
    return r;
  }
  const hfs::BTreeShape catalog = (*v)->catalog_shape();
  std::optional<hfs::Volume::Counts> records;
  if (auto c = (*v)->count_records())
    records = *c;
  else
    r.diagnostics.add(c.error());
  r.set_report(reports::hfs_report((*v)->info(), catalog, records));
  return r;
}

const InspectorRegistrar registered_inspect_hfs({"hfsplus", "hfsx"}, inspect_hfs);

}  // namespace
}  // namespace upscope::cli
