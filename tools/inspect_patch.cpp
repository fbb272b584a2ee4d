// `upscope inspect` reports for patches and archives: BXDIFF50/4x, RIDIFF10, Apple Archive (AEA: inspect_aea.cpp).
#include <fmt/format.h>

#include "aa/aa.hpp"
#include "bxdiff50/bxdiff50.hpp"
#include "inspect/thread_pool.hpp"
#include "inspect_registry.hpp"
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
  r.json = bxdiff50::to_json(*p);
  r.text = bxdiff50::to_text(*p);
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
  r.json = ridiff10::to_json(*p);
  r.text = ridiff10::to_text(*p);
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
  r.json = aa::to_json(*l);
  size_t files = 0, dirs = 0, links = 0, unsafe = 0;
  for (const auto& e : l->entries) {
    auto t = e.type();
    files += t == 'F';
    dirs += t == 'D';
    links += t == 'L';
    unsafe += !e.unsafe_path_reason().empty();
  }
  r.text = fmt::format("  {} entries: {} files, {} directories, {} symlinks{} (list them with `upscope aa list`)\n",
                       l->entries.size(), files, dirs, links, unsafe ? fmt::format(", {} UNSAFE paths", unsafe) : "");
  r.diagnostics = l->diagnostics;
  return r;
}

const InspectorRegistrar reg_bx({"bxdiff50", "bxdiff4x"}, inspect_bxdiff);
const InspectorRegistrar reg_ri({"ridiff10"}, inspect_ridiff);
const InspectorRegistrar reg_aa({"apple-archive"}, inspect_aa);

}  // namespace
}  // namespace upscope::cli
