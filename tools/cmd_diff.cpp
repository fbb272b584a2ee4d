// upscope inventory BUILD | diff OLD NEW | verdict OLD NEW: the build model, its diff and the RSR
// verdict. A BUILD is a directory laid out as a system root, or a single image or file.
#include <CLI/CLI.hpp>

#include "analysis/advisory_placement.hpp"
#include "analysis/advisory_join.hpp"
#include "analysis/build_images.hpp"
#include "analysis/inventory.hpp"
#include "cli.hpp"
#include "diff_output.hpp"
#include "diff_trustcache.hpp"
#include "reports/model.hpp"
#include "reports/placement.hpp"
#include "reports/rich.hpp"
#include "reports/text_table.hpp"
#include "aea_input.hpp"
#include "update_common.hpp"

namespace upscope::cli {
namespace {

// `for_diff`: per-function hashes are computed later, only for the components that changed.
Result<BuildInventory> load(const Context& ctx, const std::string& path, bool for_diff) {
  build::InventoryOptions opt;
  opt.jobs = ctx.global.jobs;
  opt.lazy_functions = for_diff;
  if (auto st = set_build_keys(ctx.global, opt); !st) return fail(st.error());
  Diagnostics diags;
  auto inv = build::make_inventory(path, opt, diags);
  print_diagnostics(ctx, path, diags);
  return inv;
}

int run_inventory(Context& ctx, const std::string& path) {
  auto inv = load(ctx, path, false);
  if (!inv) {
    print_error(inv.error());
    return kExitError;
  }
  if (ctx.global.output_format() == Format::kJson) {
    return emit_rendered(ctx, reports::inventory_json(*inv));
  }
  if (wants_rich(ctx)) {
    reports::RichReport r;
    r.title = "Inventory of " + reports::build_label(*inv);
    r.subtitle = inv->source;
    r.inventory = &*inv;
    return emit_rich(ctx, r);
  }
  return emit(ctx, reports::inventory_text(*inv));
}

struct Pair {
  BuildInventory old_build, new_build;
  BuildDiff diff;
};

// An advisory's text (plain, copied, HTML or Markdown), parsed.
Result<advisory::Advisory> read_advisory(const std::string& path) {
  UPSCOPE_TRY(auto src, FileSource::open(path));
  std::vector<uint8_t> text(src->size());
  UPSCOPE_CHECK(src->read_at(0, text));
  return advisory::parse(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), path);
}

// `advisory`: a file whose entries are joined to the diff (diff/report --advisory).
Result<Pair> load_pair(const Context& ctx, const std::string& a, const std::string& b,
                       const std::string& advisory_path = {}) {
  std::optional<advisory::Advisory> adv;
  if (!advisory_path.empty()) {
    UPSCOPE_TRY(auto parsed, read_advisory(advisory_path));
    adv = std::move(parsed);
  }
  UPSCOPE_TRY(BuildInventory old_build, load(ctx, a, true));
  UPSCOPE_TRY(BuildInventory new_build, load(ctx, b, true));
  Pair p{std::move(old_build), std::move(new_build), {}};
  p.diff = diff_builds(p.old_build, p.new_build);
  if (adv) p.diff.advisory = build::join_advisory(*adv, p.diff);
  return p;
}

int run_diff(Context& ctx, const std::string& a, const std::string& b, bool all, const std::string& advisory_path) {
  if (auto rc = diff_trust_caches(ctx, a, b)) return *rc;  // two trust caches: diff_trustcache.cpp
  auto p = load_pair(ctx, a, b, advisory_path);
  if (!p) {
    print_error(p.error());
    return kExitError;
  }
  return emit_diff(ctx, p->old_build, p->new_build, p->diff, all);
}

int run_verdict(Context& ctx, const std::string& a, const std::string& b, const std::string& advisory_path = {}) {
  auto p = load_pair(ctx, a, b, advisory_path);
  if (!p) {
    print_error(p.error());
    return kExitError;
  }
  return emit_verdict(ctx, p->old_build, p->new_build, p->diff);
}

// `upscope verdict --list-components` / `--list-placement`: the placement table, or its component rows.
int list_placement(Context& ctx, bool components_only) {
  if (ctx.global.output_format() == Format::kJson)
    return emit(ctx, components_only ? reports::advisory_components_document() : reports::placement_document());
  return emit(ctx, components_only ? reports::advisory_components_text() : reports::placement_text());
}

// (c) An advisory's text: its entries placed by the component table, then the same rule.
int run_advisory_verdict(Context& ctx, const std::string& path, const IdentifiedInput& in) {
  std::vector<uint8_t> text(in.source->size());
  if (auto st = in.source->read_at(0, text); !st) {
    print_error(st.error().in_file(path));
    return kExitError;
  }
  auto adv = advisory::parse(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), path);
  if (!adv) {
    print_error(adv.error());
    return kExitError;
  }
  BuildDiff d = advisory::to_changes(*adv);
  Verdict v = decide_rsr(d);
  int rc;
  if (ctx.global.output_format() == Format::kJson) {
    rc = emit(ctx, reports::advisory_verdict_document(path, *adv, v, d));
  } else if (wants_rich(ctx)) {
    reports::RichReport r;
    r.title = "RSR verdict from the advisory for " + (adv->release.empty() ? path : adv->release);
    r.subtitle = path;
    r.verdict = &v;
    r.diff = &d;
    rc = emit_rich(ctx, r);
  } else {
    rc = emit(ctx, reports::advisory_verdict_text(path, *adv, v, d));
  }
  return rc != kExitOk ? rc : verdict_exit(v);
}

// `upscope verdict INPUT`: one input, recognised by content: an advisory text, else an update package.
int run_single_verdict(Context& ctx, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    auto input = open_and_identify(path);
    if (!input) {
      print_error(input.error());
      return kExitError;
    }
    if (input->id.format == "advisory") return run_advisory_verdict(ctx, path, *input);
  }
  return run_update_verdict(ctx, path);
}

const CommandRegistrar reg_inventory("inventory", 60, [](CLI::App& app, Context& ctx) {
  auto path = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("inventory", "List every component of a build with kind, space, location and hashes");
  sub->add_option("build", *path, "A system root directory, an IPSW, an image list, or a single image/file")->required();
  sub->footer(build::image_list_help());
  sub->callback([&ctx, path] { ctx.exit_code = run_inventory(ctx, *path); });
});

const CommandRegistrar reg_diff("diff", 61, [](CLI::App& app, Context& ctx) {
  auto paths = std::make_shared<std::pair<std::string, std::string>>();
  auto all = std::make_shared<bool>(false);
  auto adv = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("diff", "Components added, removed and modified between two builds, with the "
                                         "classes of bytes that changed (code, data, signature, metadata, relink, content)");
  sub->add_option("old", paths->first, "The older build (directory, IPSW, image list or image)")->required();
  sub->add_option("new", paths->second, "The newer build (directory, IPSW, image list or image)")->required();
  sub->add_flag("--all", *all, "Also list relink-only changes (the same code and data at another layout), which the "
                               "text output counts on one line; JSON always lists every change");
  sub->add_option("--advisory", *adv, "Apple's advisory for the update (HTML, text or Markdown): each entry is placed "
                                      "on the changed components it names (CVE -> component -> changed functions)")
      ->check(CLI::ExistingFile);
  sub->footer(std::string("Every component whose bytes differ is a change. Exit codes: 0 no differences; 1 differences "
                          "found; 2 error.\n") + build::image_list_help());
  sub->callback([&ctx, paths, all, adv] { ctx.exit_code = run_diff(ctx, paths->first, paths->second, *all, *adv); });
});

const CommandRegistrar reg_verdict("verdict", 62, [](CLI::App& app, Context& ctx) {
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto list = std::make_shared<bool>(false), list_all = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("verdict", "Could an update ship as a Rapid Security Response? From OLD NEW builds, "
                                            "or from one advisory text");
  sub->add_option("inputs", *inputs,
                  "OLD NEW: two builds (directory, IPSW, image list or image); or one input: the plain text of Apple's "
                  "\"About the security content of ...\" page")
      ->expected(1, 2);
  sub->add_flag("--list-components", *list, "Print the advisory component table (name -> location, space) and exit");
  sub->add_flag("--list-placement", *list_all,
                "Print the whole placement table (paths, image roles, component names -> location, space, "
                "reason) and exit");
  sub->footer("Inputs are recognised by content. Exit codes: 0 RSR-eligible; 1 not eligible; 2 error; "
              "3 undetermined (something was not analysed or not placed).\n" +
              std::string(build::image_list_help()));
  sub->callback([&ctx, inputs, list, list_all] {
    if (*list || *list_all) ctx.exit_code = list_placement(ctx, !*list_all);
    else if (inputs->size() == 2) ctx.exit_code = run_verdict(ctx, (*inputs)[0], (*inputs)[1]);
    else if (inputs->size() == 1) ctx.exit_code = run_single_verdict(ctx, (*inputs)[0]);
    else throw CLI::ValidationError("verdict", "give OLD NEW, or one advisory/update package");
  });
});

const CommandRegistrar reg_report("report", 63, [](CLI::App& app, Context& ctx) {
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto adv = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("report", "One self-contained HTML (or --format md/json/text) report: the RSR "
                                           "verdict and every change, grouped by location, with drill-down");
  sub->add_option("inputs", *inputs, "OLD NEW builds, or one advisory text")->expected(1, 2)->required();
  sub->add_option("--advisory", *adv, "With OLD NEW: Apple's advisory for the update, its entries placed on the "
                                      "changed components (CVE -> component -> changed functions)")
      ->check(CLI::ExistingFile);
  sub->footer("Same as 'upscope verdict', with HTML as the default format; write it with -o report.html.\n"
              "Exit codes as for verdict: 0 eligible; 1 not eligible; 2 error; 3 undetermined.");
  sub->callback([&ctx, inputs, adv] {
    if (ctx.global.format == "text" && !ctx.global.json) ctx.global.format = "html";
    ctx.exit_code = inputs->size() == 2 ? run_verdict(ctx, (*inputs)[0], (*inputs)[1], *adv)
                                        : run_single_verdict(ctx, (*inputs)[0]);
  });
});

}  // namespace
}  // namespace upscope::cli
