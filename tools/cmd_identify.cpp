// upscope identify FILE...: names each input's format by its content.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "identify/identify.hpp"
#include "inspect/source.hpp"
#include "inspect/text.hpp"
#include "reports/text_table.hpp"

namespace upscope::cli {
namespace {

struct IdentifyOptions {
  std::vector<std::string> inputs;
  bool list_formats = false;
};

reports::Json formats_json() {
  auto doc = reports::make_document("formats");
  reports::Json arr = reports::Json::array();
  for (const auto& f : known_formats())
    arr.push_back({{"id", f.id}, {"family", f.family}, {"description", f.description}});
  doc["formats"] = arr;
  return doc;
}

int run(Context& ctx, const IdentifyOptions& opt) {
  const bool json = ctx.global.output_format() == Format::kJson;
  if (opt.list_formats) {
    if (json) return emit(ctx, formats_json());
    reports::TextTable t({"FORMAT", "FAMILY", "DESCRIPTION"});
    for (const auto& f : known_formats()) t.add_row({f.id, f.family, f.description});
    return emit(ctx, t.str());
  }
  if (opt.inputs.empty()) {
    std::cerr << "upscope identify: no input files (see --help)\n";
    return kExitError;
  }
  int rc = kExitOk;
  auto doc = reports::make_document("identify");
  reports::Json items = reports::Json::array();
  std::string text;
  for (const auto& path : opt.inputs) {
    reports::Json item;
    item["path"] = path;
    auto input = open_and_identify(path);
    if (!input) {
      rc = kExitError;
      if (!json) print_error(input.error());
      item["error"] = reports::to_json(input.error());
      items.push_back(std::move(item));
      continue;
    }
    const Identification* id = &input->id;
    if (ctx.global.strict && !id->warnings.empty()) rc = kExitError;
    item["size"] = input->source->size();
    item["format"] = id->format;
    item["description"] = id->description;
    item["details"] = id->details;
    item["warnings"] = id->warnings;
    items.push_back(std::move(item));
    if (!json) {
      text += fmt::format("{}: {}: {}\n", path, id->format, id->description);
      for (const auto& w : id->warnings)
        if (!ctx.global.quiet) std::cerr << path << ": warning: " << w << '\n';
    }
  }
  doc["inputs"] = std::move(items);
  int out_rc = json ? emit(ctx, doc) : (text.empty() ? kExitOk : emit(ctx, text));
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
