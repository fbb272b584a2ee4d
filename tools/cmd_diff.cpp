// upscope inventory BUILD | diff OLD NEW | verdict OLD NEW: the build model, its diff and the RSR
// verdict. A BUILD is a directory laid out as a system root, or a single image or file.
#include <fmt/format.h>

#include "build/inventory.hpp"
#include "cli.hpp"
#include "inspect/verdict.hpp"
#include "reports/model.hpp"

namespace upscope::cli {
namespace {

Result<BuildInventory> load(const Context& ctx, const std::string& path, bool symbols) {
  build::InventoryOptions opt;
  opt.jobs = ctx.global.jobs;
  opt.symbols = symbols;
  Diagnostics diags;
  auto inv = build::make_inventory(path, opt, diags);
  print_diagnostics(ctx, path, diags);
  return inv;
}

int run_inventory(Context& ctx, const std::string& path) {
  auto inv = load(ctx, path, true);
  if (!inv) {
    print_error(inv.error());
    return kExitError;
  }
  if (ctx.global.output_format() == Format::kJson) {
    auto doc = reports::make_document("inventory");
    doc["build"] = reports::to_json(*inv);
    return emit(ctx, doc);
  }
  return emit(ctx, reports::inventory_text(*inv));
}

struct Pair {
  BuildInventory old_build, new_build;
  BuildDiff diff;
};

Result<Pair> load_pair(const Context& ctx, const std::string& a, const std::string& b) {
  UPSCOPE_TRY(BuildInventory old_build, load(ctx, a, true));
  UPSCOPE_TRY(BuildInventory new_build, load(ctx, b, true));
  Pair p{std::move(old_build), std::move(new_build), {}};
  p.diff = diff_builds(p.old_build, p.new_build);
  return p;
}

reports::Json builds_json(const Pair& p) {
  auto side = [](const BuildInventory& inv) {
    return reports::Json{{"source", inv.source}, {"label", reports::build_label(inv)}, {"product", inv.product},
                         {"version", inv.version}, {"build", inv.build}, {"version_extra", inv.version_extra},
                         {"components", inv.components.size()}};
  };
  return reports::Json{{"old", side(p.old_build)}, {"new", side(p.new_build)}};
}

int run_diff(Context& ctx, const std::string& a, const std::string& b) {
  auto p = load_pair(ctx, a, b);
  if (!p) {
    print_error(p.error());
    return kExitError;
  }
  int rc;
  if (ctx.global.output_format() == Format::kJson) {
    auto doc = reports::make_document("diff");
    doc["builds"] = builds_json(*p);
    doc["diff"] = reports::to_json(p->diff);
    rc = emit(ctx, doc);
  } else {
    rc = emit(ctx, reports::diff_text(p->old_build, p->new_build, p->diff));
  }
  if (rc != kExitOk) return rc;
  return p->diff.empty() ? kExitOk : kExitDifferent;
}

int run_verdict(Context& ctx, const std::string& a, const std::string& b) {
  auto p = load_pair(ctx, a, b);
  if (!p) {
    print_error(p.error());
    return kExitError;
  }
  Verdict v = decide_rsr(p->diff);
  int rc;
  if (ctx.global.output_format() == Format::kJson) {
    auto doc = reports::make_document("verdict");
    doc["builds"] = builds_json(*p);
    doc["verdict"] = reports::to_json(v);
    doc["diff"] = reports::to_json(p->diff);
    rc = emit(ctx, doc);
  } else {
    rc = emit(ctx, fmt::format("{} -> {}\n{}", reports::build_label(p->old_build), reports::build_label(p->new_build),
                               reports::verdict_text(v, p->diff)));
  }
  if (rc != kExitOk) return rc;
  switch (v.rsr_eligible) {
    case Eligibility::kYes: return kExitOk;
    case Eligibility::kNo: return kExitDifferent;
    case Eligibility::kUndetermined: return kExitUndetermined;
  }
  return kExitError;
}

const CommandRegistrar reg_inventory("inventory", 60, [](CLI::App& app, Context& ctx) {
  auto path = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("inventory", "List every component of a build with kind, space, location and hashes");
  sub->add_option("build", *path, "A system root directory, or a single image/file")->required();
  sub->callback([&ctx, path] { ctx.exit_code = run_inventory(ctx, *path); });
});

const CommandRegistrar reg_diff("diff", 61, [](CLI::App& app, Context& ctx) {
  auto paths = std::make_shared<std::pair<std::string, std::string>>();
  auto* sub = app.add_subcommand("diff", "Components added, removed and modified between two builds");
  sub->add_option("old", paths->first, "The older build (directory or image)")->required();
  sub->add_option("new", paths->second, "The newer build (directory or image)")->required();
  sub->footer("Exit codes: 0 no differences; 1 differences found; 2 error.");
  sub->callback([&ctx, paths] { ctx.exit_code = run_diff(ctx, paths->first, paths->second); });
});

const CommandRegistrar reg_verdict("verdict", 62, [](CLI::App& app, Context& ctx) {
  auto paths = std::make_shared<std::pair<std::string, std::string>>();
  auto* sub = app.add_subcommand("verdict", "Could the update from OLD to NEW ship as a Rapid Security Response?");
  sub->add_option("old", paths->first, "The older build (directory or image)")->required();
  sub->add_option("new", paths->second, "The newer build (directory or image)")->required();
  sub->footer("Exit codes: 0 RSR-eligible; 1 not eligible; 2 error; 3 undetermined (something was not analysed).");
  sub->callback([&ctx, paths] { ctx.exit_code = run_verdict(ctx, paths->first, paths->second); });
});

}  // namespace
}  // namespace upscope::cli
