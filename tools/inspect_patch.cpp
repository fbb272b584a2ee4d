// `upscope inspect` for patches and archives: BXDIFF50/4x, RIDIFF10, Apple Archive (AEA: inspect_aea.cpp);
// the reports are reports/format_reports.hpp's.
#include "aa/aa.hpp"
#include "bxdiff50/bxdiff50.hpp"
#include "inspect/thread_pool.hpp"
#include "inspect_registry.hpp"
#include "reports/format_reports.hpp"
#include "ridiff10/ridiff10.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_bxdiff(const Context& ctx, const SourcePtr& src, const Identification&) {
  InspectResult r;
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  bxdiff50::ParseOptions po;
  po.pool = &pool;
  auto p = bxdiff50::parse(*src, po);
  if (!p) { r.error = p.error(); return r; }
  r.set_report(reports::patch_report(*p));
  r.diagnostics = p->diagnostics;
  return r;
}

InspectResult inspect_ridiff(const Context& ctx, const SourcePtr& src, const Identification&) {
  InspectResult r;
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  ridiff10::ParseOptions po;
  po.pool = &pool;
  auto p = ridiff10::parse(*src, po);
  if (!p) { r.error = p.error(); return r; }
  r.set_report(reports::patch_report(*p));
  r.diagnostics = p->diagnostics;
  return r;
}

InspectResult inspect_aa(const Context& ctx, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto bytes = src->contiguous();
  if (!bytes) { r.error = make_error(ErrorCode::kUnsupported, "Apple Archive", "input is not mapped"); return r; }
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  aa::ReadOptions ro;
  ro.pool = &pool;
  auto l = aa::list(*bytes, ro);
  if (!l) { r.error = l.error(); return r; }
  r.set_report(reports::apple_archive_report(*l));
  r.diagnostics = l->diagnostics;
  return r;
}

const InspectorRegistrar reg_bx({"bxdiff50", "bxdiff4x"}, inspect_bxdiff);
const InspectorRegistrar reg_ri({"ridiff10"}, inspect_ridiff);
const InspectorRegistrar reg_aa({"apple-archive"}, inspect_aa);

}  // namespace
}  // namespace upscope::cli
