// upscope catalog add BUILD... | ls | diff OLD NEW | verdict OLD NEW: build inventories kept in a
// catalogue (an SQLite file, or a PostgreSQL database for a team), so a series of builds is read once
// and then diffed and judged from the database alone, with the same output as `upscope diff` and
// `upscope verdict` whichever database holds it.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "analysis/inventory.hpp"
#include "catalog/catalog.hpp"
#include "catalog/render.hpp"
#include "aea_input.hpp"
#include "cli.hpp"
#include "diff_output.hpp"

namespace upscope::cli {
namespace {

struct CatalogOptions {
  std::string db;
  std::vector<std::string> inputs;
  std::string old_name, new_name;
};

std::string db_path(const CatalogOptions& opt) { return opt.db.empty() ? catalog::default_path() : opt.db; }

int run_add(Context& ctx, const CatalogOptions& opt) {
  auto cat = catalog::Catalog::open(db_path(opt), catalog::Catalog::Mode::kCreate);
  if (!cat) {
    print_error(cat.error());
    return kExitError;
  }
  int rc = kExitOk;
  // One set of options for every build; the AEA keys are read once.
  build::InventoryOptions iopt;
  iopt.jobs = ctx.global.jobs;
  iopt.symbols = true;  // as `upscope inventory`/`diff` read builds: catalogued diffs must match theirs
  if (auto st = set_build_keys(ctx.global, iopt); !st) {
    print_error(st.error());
    return kExitError;
  }
  std::vector<catalog::AddOutcome> outcomes;
  const size_t n = opt.inputs.size();
  for (size_t i = 0; i < n; ++i) {
    const std::string& input = opt.inputs[i];
    if (!ctx.global.quiet) std::cerr << fmt::format("[{}/{}] {}: reading\n", i + 1, n, input);
    catalog::AddOutcome o{input, std::nullopt, std::nullopt};
    Diagnostics diags;
    auto inv = build::make_inventory(input, iopt, diags);
    const bool strict_failed = print_diagnostics(ctx, input, diags);
    if (!inv) {
      o.error = inv.error();
    } else if (strict_failed) {
      o.error = make_error(ErrorCode::kInvalidArgument, "", "--strict: reading the build gave warnings: not added");
      o.error->file = input;
    } else if (auto r = cat->add(*inv); r) {
      o.result = std::move(*r);
    } else {
      o.error = r.error();
    }
    if (o.error) rc = kExitError;
    if (!ctx.global.quiet || o.error) std::cerr << fmt::format("[{}/{}] {}\n", i + 1, n, catalog::add_line(o));
    outcomes.push_back(std::move(o));
  }
  int out_rc;
  if (ctx.global.output_format() == Format::kJson) {
    out_rc = emit(ctx, catalog::add_document(cat->path(), outcomes));
  } else {
    std::string text;
    for (const auto& o : outcomes) text += catalog::add_line(o) + "\n";
    out_rc = emit(ctx, text);
  }
  return out_rc != kExitOk ? out_rc : rc;
}

int run_ls(Context& ctx, const CatalogOptions& opt) {
  auto cat = catalog::Catalog::open(db_path(opt), catalog::Catalog::Mode::kExisting);
  if (!cat) {
    print_error(cat.error());
    return kExitError;
  }
  auto builds = cat->list();
  if (!builds) {
    print_error(builds.error());
    return kExitError;
  }
  if (ctx.global.output_format() == Format::kJson) return emit(ctx, catalog::ls_document(cat->path(), *builds));
  return emit(ctx, catalog::ls_text(cat->path(), *builds));
}

struct LoadedPair {
  BuildInventory old_build, new_build;
  BuildDiff diff;
};

Result<LoadedPair> load_pair(const CatalogOptions& opt) {
  UPSCOPE_TRY(auto cat, catalog::Catalog::open(db_path(opt), catalog::Catalog::Mode::kExisting));
  UPSCOPE_TRY(catalog::BuildRecord a, cat.resolve(opt.old_name));
  UPSCOPE_TRY(catalog::BuildRecord b, cat.resolve(opt.new_name));
  UPSCOPE_TRY(auto builds, cat.load_for_diff(a.id, b.id));
  LoadedPair p{std::move(builds.first), std::move(builds.second), {}};
  p.diff = diff_builds(p.old_build, p.new_build);
  return p;
}

int run_diff(Context& ctx, const CatalogOptions& opt, bool verdict) {
  auto p = load_pair(opt);
  if (!p) {
    print_error(p.error());
    return kExitError;
  }
  return verdict ? emit_verdict(ctx, p->old_build, p->new_build, p->diff)
                 : emit_diff(ctx, p->old_build, p->new_build, p->diff);
}

constexpr const char* kDbHelp = "The catalogue: a file (default: $XDG_DATA_HOME/upscope/catalog.db, else "
                                "~/.local/share/upscope/catalog.db), or a PostgreSQL database as a libpq URI "
                                "(postgresql://[user@]host/dbname, postgresql:///dbname?host=/socket/dir; the "
                                "password from ~/.pgpass, PGPASSFILE, PGPASSWORD or a service file)";
constexpr const char* kNames =
    "A build is named by \"#ID\" (see `catalog ls`), its version (\"13.3.1\": the one without an RSR letter when "
    "there is one), \"VERSION BUILD\", \"VERSION EXTRA\" (\"13.3.1 (a)\"), its build (\"22E261\"), or the path it "
    "was added from. A name that fits several builds is an error listing them. #ID is the build's place in series "
    "order (version, then build), the same in every catalogue holding the same builds.";

const CommandRegistrar registered_cmd_catalog("catalog", 63, [](CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<CatalogOptions>();
  auto* cat = app.add_subcommand("catalog", "Keep build inventories in a catalogue (SQLite or PostgreSQL); list, diff "
                                            "and judge them from it");
  cat->require_subcommand(1);

  auto* add = cat->add_subcommand("add", "Read builds (anything `upscope inventory` reads) into the catalogue; a "
                                         "build already there is skipped");
  add->add_option("builds", opt->inputs, "System root directories or single images")->required();
  add->add_option("--db", opt->db, kDbHelp);
  add->footer("One transaction per build: many processes and hosts may add to one PostgreSQL catalogue at once, and "
              "a build added twice is stored once. Exit codes: 0 every build added or already present; 2 a build "
              "could not be read or stored.");
  add->callback([&ctx, opt] { ctx.exit_code = run_add(ctx, *opt); });

  auto* ls = cat->add_subcommand("ls", "List the catalogued builds in series order (version, then build)");
  ls->add_option("--db", opt->db, kDbHelp);
  ls->callback([&ctx, opt] { ctx.exit_code = run_ls(ctx, *opt); });

  auto* diff = cat->add_subcommand("diff", "`upscope diff` of two catalogued builds, from the catalogue alone");
  diff->add_option("old", opt->old_name, "The older build's name")->required();
  diff->add_option("new", opt->new_name, "The newer build's name")->required();
  diff->add_option("--db", opt->db, kDbHelp);
  diff->footer(std::string(kNames) + "\nExit codes: 0 no differences; 1 differences found; 2 error.");
  diff->callback([&ctx, opt] { ctx.exit_code = run_diff(ctx, *opt, false); });

  auto* verdict = cat->add_subcommand("verdict", "`upscope verdict` on two catalogued builds, from the catalogue alone");
  verdict->add_option("old", opt->old_name, "The older build's name")->required();
  verdict->add_option("new", opt->new_name, "The newer build's name")->required();
  verdict->add_option("--db", opt->db, kDbHelp);
  verdict->footer(std::string(kNames) +
                  "\nExit codes: 0 RSR-eligible; 1 not eligible; 2 error; 3 undetermined (something was not analysed).");
  verdict->callback([&ctx, opt] { ctx.exit_code = run_diff(ctx, *opt, true); });
});

}  // namespace
}  // namespace upscope::cli
