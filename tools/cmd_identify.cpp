// upscope identify FILE...: names each input's format by its content.
#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "identify/identify.hpp"
#include "inspect/source.hpp"
#include "inspect/text.hpp"
#include "reports/identify.hpp"

namespace upscope::cli {
namespace {

struct IdentifyOptions {
  std::vector<std::string> inputs;
  bool list_formats = false;
};

int run(Context& ctx, const IdentifyOptions& opt) {
  const bool json = ctx.global.output_format() == Format::kJson;
  if (opt.list_formats) return json ? emit(ctx, reports::formats_document()) : emit(ctx, reports::formats_text());
  if (opt.inputs.empty()) {
    std::cerr << "upscope identify: no input files (see --help)\n";
    return kExitError;
  }
  int rc = kExitOk;
  std::vector<reports::IdentifiedInputRow> rows;
  for (const auto& path : opt.inputs) {
    reports::IdentifiedInputRow& row = rows.emplace_back();
    row.path = path;
    auto input = open_and_identify(path);
    if (!input) {
      rc = kExitError;
      if (!json) print_error(input.error());
      row.error = input.error();
      continue;
    }
    if (ctx.global.strict && !input->id.warnings.empty()) rc = kExitError;
    row.size = input->source->size();
    row.id = std::move(input->id);
    if (!json && !ctx.global.quiet)
      for (const auto& w : row.id.warnings) std::cerr << path << ": warning: " << w << '\n';
  }
  const std::string text = json ? std::string() : reports::identify_text(rows);
  int out_rc = json ? emit(ctx, reports::identify_document(rows)) : (text.empty() ? kExitOk : emit(ctx, text));
  return out_rc != kExitOk ? out_rc : rc;
}

const CommandRegistrar registered_cmd_identify("identify", 10, [](CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<IdentifyOptions>();
  auto* sub = app.add_subcommand("identify", "Name the format of each input by its content (never its name)");
  sub->add_option("inputs", opt->inputs, "Files to identify");
  sub->add_flag("--list-formats", opt->list_formats, "List every format upscope can identify");
  sub->footer("Exit codes: 0 all inputs read (even if 'unknown'); 2 an input could not be read.");
  sub->callback([&ctx, opt] { ctx.exit_code = run(ctx, *opt); });
});

}  // namespace
}  // namespace upscope::cli
