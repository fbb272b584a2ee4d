// Shared by the update-package commands (inspect, ls, verdict): read a package with the global
// options applied, and the RSR verdict from what one package touches.
#pragma once

#include <string>

#include "cli.hpp"
#include "diff_output.hpp"
#include "inspect/thread_pool.hpp"
#include "analysis/verdict.hpp"
#include "analysis/update_changes.hpp"
#include "ota/ota.hpp"
#include "reports/update.hpp"

namespace upscope::cli {

inline Result<ota::Package> read_update(const Context& ctx, const std::string& path, ThreadPool& pool,
                                        ota::ReadOptions opt = {}) {
  (void)ctx;
  opt.pool = &pool;
  return ota::read_package(path, opt);
}

// `upscope verdict UPDATE`: every path the package writes or patches becomes a change placed by
// the placement table, what could not be read stays not analysed, and decide_rsr rules.
inline int run_update_verdict(Context& ctx, const std::string& path) {
  if (!ota::is_update_package(path)) {
    Error e = make_error(ErrorCode::kUnsupported, "",
                         "a verdict from one input needs a security advisory's text or an update package; this is "
                         "neither (give OLD and NEW builds to compare two builds)");
    e.file = path;
    print_error(e);
    return kExitError;
  }
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  ota::ReadOptions opt;
  opt.hash = false;
  auto p = read_update(ctx, path, pool, opt);
  if (!p) {
    print_error(p.error());
    return kExitError;
  }
  print_diagnostics(ctx, path, p->diagnostics);
  auto touched = placed_touched_paths(*p);
  BuildDiff diff = update_changes(*p, touched);
  Verdict v = decide_rsr(diff);
  int rc = ctx.global.output_format() == Format::kJson
               ? emit(ctx, reports::update_verdict_document(path, *p, touched, v, diff))
               : emit(ctx, reports::update_verdict_text(path, *p, v, diff));
  return rc != kExitOk ? rc : verdict_exit(v);
}

}  // namespace upscope::cli
