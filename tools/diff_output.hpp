// The diff and verdict outputs (documents, text, exit codes) of two build inventories, shared by
// `upscope diff/verdict` (builds read from files) and `upscope catalog diff/verdict` (builds loaded
// from the catalogue), so the two give the same output for the same builds.
#pragma once

#include <fmt/format.h>

#include "cli.hpp"
#include "analysis/diff.hpp"
#include "analysis/verdict.hpp"
#include "reports/model.hpp"
#include "reports/rich.hpp"

namespace upscope::cli {

// --format md / html: the rich renderings (reports/rich.hpp).
inline bool wants_rich(const Context& ctx) {
  auto f = ctx.global.output_format();
  return f == Format::kMarkdown || f == Format::kHtml;
}

inline int emit_rich(const Context& ctx, const reports::RichReport& r) {
  return emit_rendered(ctx, ctx.global.output_format() == Format::kHtml ? reports::to_html(r) : reports::to_markdown(r));
}

inline int verdict_exit(const Verdict& v) {
  switch (v.rsr_eligible) {
    case Eligibility::kYes: return kExitOk;
    case Eligibility::kNo: return kExitDifferent;
    case Eligibility::kUndetermined: return kExitUndetermined;
  }
  return kExitError;
}

// Writes the diff; exit code 0 no differences, 1 differences, 2 output failed. `all`: list
// relink-only changes in text too (JSON always has every change).
inline int emit_diff(const Context& ctx, const BuildInventory& old_build, const BuildInventory& new_build,
                     const BuildDiff& diff, bool all = false) {
  int rc;
  if (ctx.global.output_format() == Format::kJson) {
    rc = emit(ctx, reports::diff_document(old_build, new_build, diff));
  } else if (wants_rich(ctx)) {
    reports::RichReport r;
    r.title = reports::build_label(old_build) + " → " + reports::build_label(new_build);
    r.subtitle = old_build.source + " → " + new_build.source;
    r.diff = &diff;
    rc = emit_rich(ctx, r);
  } else {
    rc = emit(ctx, reports::diff_text(old_build, new_build, diff, all));
  }
  if (rc != kExitOk) return rc;
  return diff.empty() ? kExitOk : kExitDifferent;
}

// Writes the RSR verdict; exit code 0 eligible, 1 not, 3 undetermined, 2 output failed.
inline int emit_verdict(const Context& ctx, const BuildInventory& old_build, const BuildInventory& new_build,
                        const BuildDiff& diff) {
  Verdict v = decide_rsr(diff);
  int rc;
  if (ctx.global.output_format() == Format::kJson) {
    rc = emit(ctx, reports::verdict_document(old_build, new_build, v, diff));
  } else if (wants_rich(ctx)) {
    reports::RichReport r;
    r.title = "RSR verdict: " + reports::build_label(old_build) + " → " + reports::build_label(new_build);
    r.subtitle = old_build.source + " → " + new_build.source;
    r.verdict = &v;
    r.diff = &diff;
    rc = emit_rich(ctx, r);
  } else {
    rc = emit(ctx, fmt::format("{} -> {}\n{}", reports::build_label(old_build), reports::build_label(new_build),
                               reports::verdict_text(v, diff)));
  }
  return rc != kExitOk ? rc : verdict_exit(v);
}

}  // namespace upscope::cli
