// upscope inspect FILE...: identify, then run the format's reader and print its report.
#include <filesystem>
#include <map>

#include <CLI/CLI.hpp>

#include "identify/identify.hpp"
#include "inspect_registry.hpp"
#include "reports/inspect.hpp"

namespace upscope::cli {

namespace {
std::map<std::string, InspectFn>& inspectors() {
  static std::map<std::string, InspectFn> m;
  return m;
}
}  // namespace

InspectorRegistrar::InspectorRegistrar(std::vector<std::string> format_ids, InspectFn fn) {
  for (auto& id : format_ids) inspectors()[id] = fn;
}

const InspectFn* find_inspector(const std::string& format_id) {
  auto it = inspectors().find(format_id);
  return it == inspectors().end() ? nullptr : &it->second;
}

namespace {

// A directory is handed to the "directory" inspector (extracted update packages) with no source.
Result<IdentifiedInput> directory_input(const std::string& path) {
  IdentifiedInput in;
  in.id.format = "directory";
  in.id.description = "directory";
  in.id.details["path"] = path;
  return in;
}

int run(Context& ctx, const std::vector<std::string>& inputs) {
  const bool json = ctx.global.output_format() == Format::kJson;
  int rc = kExitOk;
  std::vector<reports::InspectedInputRow> rows;
  for (const auto& path : inputs) {
    reports::InspectedInputRow& row = rows.emplace_back();
    row.path = path;
    std::error_code dir_ec;
    auto input = std::filesystem::is_directory(path, dir_ec) ? directory_input(path) : open_and_identify(path);
    if (!input) {
      rc = kExitError;
      if (!json) print_error(input.error());
      row.error = input.error();
      continue;
    }
    row.id = input->id;
    if (input->id.format == "unknown") {
      Error e = make_error(ErrorCode::kUnsupported, "", "not a format upscope recognises (see 'upscope identify --list-formats')");
      e.file = path;
      rc = kExitError;
      if (!json) print_error(e);
      row.error = e;
      continue;
    }
    const InspectFn* fn = find_inspector(input->id.format);
    if (!fn) {
      row.has_reader = false;
      continue;
    }
    InspectResult r = (*fn)(ctx, input->source, input->id);
    if (r.error) {
      rc = kExitError;
      if (!json) print_error(r.error->in_file(path));
      row.error = r.error->in_file(path);
    }
    row.report = std::move(r.json);
    row.text = std::move(r.text);
    if (!json && print_diagnostics(ctx, path, r.diagnostics)) rc = kExitError;
    if (json && ctx.global.strict && (r.diagnostics.has_errors() || r.diagnostics.count(Severity::kWarning)))
      rc = kExitError;
    row.diagnostics = std::move(r.diagnostics);
  }
  int out_rc = json ? emit(ctx, reports::inspect_document(rows)) : emit(ctx, reports::inspect_text(rows));
  return out_rc != kExitOk ? out_rc : rc;
}

const CommandRegistrar registered_cmd_inspect("inspect", 20, [](CLI::App& app, Context& ctx) {
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto* sub = app.add_subcommand("inspect", "Read each input with its format's reader and report its structure");
  sub->add_option("inputs", *inputs, "Files to inspect")->required();
  sub->add_flag("--all", ctx.inspect_all, "Every detail the reader has (e.g. a plist's whole tree after its facts)");
  sub->footer("Exit codes: 0 read; 2 an input could not be read (or --strict and it had warnings).");
  sub->callback([&ctx, inputs] { ctx.exit_code = run(ctx, *inputs); });
});

}  // namespace
}  // namespace upscope::cli
