// `upscope inspect UPDATE`: an OTA/RSR update package (zip, zip64, or extracted directory): asset
// metadata, the classification with its evidence, and the table of files and payloads.
#include <fmt/format.h>

#include "inspect_registry.hpp"
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
    r.json["format"] = "zip";
    r.json["update_package"] = false;
    r.json["zip64"] = a->zip64;
    r.json["members"] = a->members.size();
    r.text = fmt::format("  zip archive{}, {} members; no update metadata (not an OTA/RSR package)\n",
                         a->zip64 ? " (zip64)" : "", a->members.size());
    r.diagnostics = a->diagnostics;
    return r;
  }
  if (!p) { r.error = p.error(); return r; }
  r.json = ota::to_json(*p);
  r.json["update_package"] = true;
  auto touched = ota::touched_paths(*p);
  r.json["touched"] = touched.size();
  r.text = ota::to_text(*p);
  r.text += fmt::format("  {} device paths written, patched or removed (list them with `upscope ls`)\n", touched.size());
  r.diagnostics = p->diagnostics;
  return r;
}

const InspectorRegistrar registered_inspect_update({"zip", "directory"}, inspect_update);

}  // namespace
}  // namespace upscope::cli
