// upscope history COMPONENT: every catalogued build in which a component changed, in series order,
// with its version, UUID, code hash and the functions that changed.
#include <CLI/CLI.hpp>

#include "catalog/catalog.hpp"
#include "catalog/render.hpp"
#include "cli.hpp"

namespace upscope::cli {
namespace {

struct HistoryOptions {
  std::string component;
  std::string db;
};

int run(Context& ctx, const HistoryOptions& opt) {
  auto cat = catalog::Catalog::open(opt.db.empty() ? catalog::default_path() : opt.db,
                                    catalog::Catalog::Mode::kExisting);
  if (!cat) {
    print_error(cat.error());
    return kExitError;
  }
  auto h = cat->history(opt.component);
  if (!h) {
    print_error(h.error());
    return kExitError;
  }
  if (ctx.global.output_format() == Format::kJson) return emit(ctx, catalog::history_document(cat->path(), *h));
  return emit(ctx, catalog::history_text(*h));
}

const CommandRegistrar registered_cmd_history("history", 64, [](CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<HistoryOptions>();
  auto* sub = app.add_subcommand("history", "Every catalogued build in which a component changed (see `catalog add`)");
  sub->add_option("component", opt->component,
                  "A component id (install path, bundle id, \"kernel\"), or a name its id ends with (\"WebKit\")")
      ->required();
  sub->add_option("--db", opt->db,
                  "The catalogue: a file (default: $XDG_DATA_HOME/upscope/catalog.db, else "
                  "~/.local/share/upscope/catalog.db), or a PostgreSQL database as a libpq URI (postgresql://...)");
  sub->footer("Builds are in series order (version, then build). Exit codes: 0 ok; 2 error (no such component).");
  sub->callback([&ctx, opt] { ctx.exit_code = run(ctx, *opt); });
});

}  // namespace
}  // namespace upscope::cli
