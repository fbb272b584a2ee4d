// `upscope inspect UPDATE`: an OTA/RSR update package (zip, zip64, or extracted directory): asset
// metadata, the classification with its evidence, and the table of files and payloads
// (reports/format_reports.hpp).
#include "inspect_registry.hpp"
#include "reports/format_reports.hpp"
#include "update_common.hpp"
#include "zip/archive.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_update(const Context& ctx, const SourcePtr& src, const Identification& id) {
  InspectResult r;
  const bool is_dir = id.format == "directory";
  if (is_dir && !ota::is_update_package(id.details.value("path", std::string()))) {
    // Any other directory keeps the answer it always had (the file-open error).
    auto f = FileSource::open(id.details.value("path", std::string()));
    r.error = f ? make_error(ErrorCode::kUnsupported, "", "a directory that is not an extracted update package") : f.error();
    return r;
  }
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  ota::ReadOptions opt;
  opt.pool = &pool;
  auto p = is_dir ? ota::read_package(id.details.value("path", std::string()), opt) : ota::read_package(src, opt);
  if (!p && !is_dir && p.error().code == ErrorCode::kUnsupported && p.error().rule.rfind("not an OTA/RSR", 0) == 0) {
    // A zip that is not an update package (an IPSW, any archive): its member count only.
    auto a = zip::open(src);
    if (!a) { r.error = a.error(); return r; }
    r.set_report(reports::zip_report(*a));
    r.diagnostics = a->diagnostics;
    return r;
  }
  if (!p) { r.error = p.error(); return r; }
  r.set_report(reports::update_report(*p, ota::touched_paths(*p).size()));
  r.diagnostics = p->diagnostics;
  return r;
}

const InspectorRegistrar registered_inspect_update({"zip", "directory"}, inspect_update);

}  // namespace
}  // namespace upscope::cli
