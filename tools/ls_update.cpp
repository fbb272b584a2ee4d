// `upscope ls UPDATE[:/prefix]`: every device path an OTA/RSR update package would write, patch or
// remove, with its size, the package file that carries it, its location and space, and (--hash) the
// hash of the written content (payload files; patches give the declared output SHA-1).
#include <fmt/format.h>

#include "inspect/text.hpp"
#include "ls_registry.hpp"
#include "reports/text_table.hpp"
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
    auto doc = reports::make_document("update-ls");
    doc["source"] = req.image;
    doc["kind"] = ota::to_string(p->kind);
    doc["hash"] = req.hash ? reports::Json(to_string(*req.hash)) : reports::Json(nullptr);
    reports::Json files = reports::Json::array();
    for (const auto* t : rows) files.push_back(reports::to_json(*t));
    doc["files"] = std::move(files);
    reports::Json na = reports::Json::array();
    for (const auto& n : p->not_analysed) na.push_back({{"path", n.path}, {"reason", n.reason}});
    doc["not_analysed"] = std::move(na);
    doc["diagnostics"] = reports::to_json(p->diagnostics);
    rc = emit(ctx, doc);
    if (ctx.global.strict && (p->diagnostics.has_errors() || p->diagnostics.count(Severity::kWarning))) rc = kExitError;
  } else {
    std::vector<std::string> head{"ACTION", "SIZE", "LOCATION", "SPACE", "PATH", "SOURCE"};
    if (req.hash) head.push_back(to_string(*req.hash));
    using A = reports::TextTable::Align;
    reports::TextTable table(head, {A::kLeft, A::kRight, A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kLeft});
    for (const auto* t : rows) {
      std::vector<std::string> cells{ota::to_string(t->action), std::to_string(t->size),
                                     to_string(t->placement.location), to_string(t->placement.space), t->path, t->source};
      if (req.hash) {
        std::string h = t->hash;
        if (h.empty() && *req.hash == HashKind::kSha1) h = t->output_sha1;
        cells.push_back(h.empty() ? "-" : h);
      }
      table.add_row(std::move(cells));
    }
    std::string text = table.str();
    for (const auto& n : p->not_analysed) text += fmt::format("not analysed: {}: {}\n", n.path, n.reason);
    if (print_diagnostics(ctx, req.image, p->diagnostics)) rc = kExitError;
    int out = emit(ctx, text);
    if (out != kExitOk) rc = out;
  }
  return rc;
}

const ListerRegistrar reg({"zip", "directory"}, list_update);

}  // namespace
}  // namespace upscope::cli
