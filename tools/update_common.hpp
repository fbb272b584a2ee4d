// Shared by the update-package commands (inspect, ls, verdict): read a package with the global
// options applied, and the RSR verdict from what one package touches.
#pragma once

#include <string>

#include <fmt/format.h>

#include "cli.hpp"
#include "inspect/thread_pool.hpp"
#include "analysis/verdict.hpp"
#include "analysis/update_changes.hpp"
#include "ota/ota.hpp"
#include "reports/model.hpp"

namespace upscope::cli {

inline Result<ota::Package> read_update(const Context& ctx, const std::string& path, ThreadPool& pool,
                                        ota::ReadOptions opt = {}) {
  (void)ctx;
  opt.pool = &pool;
  return ota::read_package(path, opt);
}

// `upscope verdict UPDATE`: every path the package writes or patches becomes a change placed by
// the classify table, what could not be read stays not analysed, and decide_rsr rules.
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
  const ota::Metadata& m = p->metadata;
  auto touched = placed_touched_paths(*p);
  BuildDiff diff = update_changes(*p, touched);
  Verdict v = decide_rsr(diff);
  const std::string version = m.product_version.empty() ? m.os_version : m.product_version;
  const std::string new_label = fmt::format("{}{} ({})", version, m.product_version_extra.empty() ? "" : " " + m.product_version_extra, m.build);
  const std::string old_label = m.prerequisite_build.empty()           ? "any build (no prerequisite)"
                                : m.prerequisite_os_version.empty() ? m.prerequisite_build
                                                                    : fmt::format("{} ({})", m.prerequisite_os_version, m.prerequisite_build);
  int rc;
  if (ctx.global.output_format() == Format::kJson) {
    auto doc = reports::make_document("verdict");
    doc["builds"] = {{"old", {{"source", path}, {"label", old_label}, {"product", ""}, {"version", m.prerequisite_os_version},
                              {"build", m.prerequisite_build}, {"version_extra", ""}, {"components", 0}}},
                     {"new", {{"source", path}, {"label", new_label}, {"product", ""}, {"version", version},
                              {"build", m.build}, {"version_extra", m.product_version_extra}, {"components", touched.size()}}}};
    doc["verdict"] = reports::to_json(v);
    doc["diff"] = reports::to_json(diff);
    reports::Json u;
    u["kind"] = ota::to_string(p->kind);
    u["reasons"] = p->reasons;
    reports::Json t = reports::Json::array();
    for (const auto& x : touched) t.push_back(reports::to_json(x));
    u["touched"] = std::move(t);
    doc["update"] = std::move(u);
    rc = emit(ctx, doc);
  } else {
    rc = emit(ctx, fmt::format("update package {} ({}): {} -> {}\n{}", path, ota::to_string(p->kind), old_label, new_label,
                               reports::verdict_text(v, diff)));
  }
  if (rc != kExitOk) return rc;
  switch (v.rsr_eligible) {
    case Eligibility::kYes: return kExitOk;
    case Eligibility::kNo: return kExitDifferent;
    case Eligibility::kUndetermined: return kExitUndetermined;
  }
  return kExitError;
}

}  // namespace upscope::cli
