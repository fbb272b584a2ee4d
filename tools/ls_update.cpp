// `upscope ls UPDATE[:/prefix]`: every device path an OTA/RSR update package would write, patch or
// remove, with its size, the package file that carries it, its location and space, and (--hash) the
// hash of the written content (payload files; patches give the declared output SHA-1).
#include "inspect/text.hpp"
#include "ls_registry.hpp"
#include "update_common.hpp"

namespace upscope::cli {
namespace {

int list_update(Context& ctx, const LsRequest& req, const IdentifiedInput& input) {
  const bool json = ctx.global.output_format() == Format::kJson;
  if (!ota::is_update_package(req.image)) {
    Error e = make_error(ErrorCode::kUnsupported, "",
                         input.id.format == "directory"
                             ? "'upscope ls' cannot list directories other than extracted update packages "
                               "(no AssetData/Info.plist, and no Info.plist beside an AssetData/ tree)"
                             : "zip archive without update metadata: not an OTA/RSR package");
    e.file = req.image;
    print_error(e);
    return kExitError;
  }
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  ota::ReadOptions opt;
  opt.entry_hash = req.hash;
  opt.hash = req.hash.has_value();
  auto p = read_update(ctx, req.image, pool, opt);
  if (!p) {
    print_error(p.error());
    return kExitError;
  }
  auto touched = placed_touched_paths(*p);
  std::vector<const PlacedPath*> rows;
  for (const auto& t : touched)
    if (req.path.empty() || req.path == "/" || t.path.rfind(req.path, 0) == 0) rows.push_back(&t);
  int rc = kExitOk;
  if (json) {
    rc = emit(ctx, reports::update_ls_document(req.image, *p, rows, req.hash));
    if (ctx.global.strict && (p->diagnostics.has_errors() || p->diagnostics.count(Severity::kWarning))) rc = kExitError;
  } else {
    std::string text = reports::update_ls_text(*p, rows, req.hash);
    if (print_diagnostics(ctx, req.image, p->diagnostics)) rc = kExitError;
    int out = emit(ctx, text);
    if (out != kExitOk) rc = out;
  }
  return rc;
}

const ListerRegistrar registered_ls_update({"zip", "directory"}, list_update);

}  // namespace
}  // namespace upscope::cli
