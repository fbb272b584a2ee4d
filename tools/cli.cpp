#include "cli.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "reports/rich.hpp"

#include "identify/identify.hpp"

namespace upscope::cli {

std::vector<RegisteredCommand>& registered_commands() {
  static std::vector<RegisteredCommand> commands;
  return commands;
}

CommandRegistrar::CommandRegistrar(std::string name, int order, SetupFn setup) {
  registered_commands().push_back({std::move(name), order, std::move(setup)});
}

Output::Output(const GlobalOptions& g) {
  if (g.output.empty() || g.output == "-") return;
  file_ = std::make_unique<std::ofstream>(g.output, std::ios::binary | std::ios::trunc);
  if (!*file_) {
    ok_ = false;
    error_ = fmt::format("{}: cannot open for writing", g.output);
  }
}

Result<IdentifiedInput> open_and_identify(const std::string& path) {
  UPSCOPE_TRY(SourcePtr src, FileSource::open(path));
  UPSCOPE_TRY(Identification id, identify(*src));
  return IdentifiedInput{std::move(src), std::move(id)};
}

void print_error(const Error& e) { std::cerr << "upscope: error: " << e.message() << '\n'; }

std::optional<std::string> output_refused(const GlobalOptions& g) {
  if (g.output.empty() || g.output == "-" || g.overwrite) return std::nullopt;
  // Only a regular file (or a symlink to one) holds something to lose: a directory is written into,
  // a device or pipe (/dev/null, /dev/stdout) is written to.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(g.output, ec)) return std::nullopt;
  return fmt::format("{}: the file exists; add --overwrite to replace it", g.output);
}

bool output_is_input(const std::string& command, const std::string& out, const std::string& input) {
  std::error_code ec;
  if (out.empty() || out == "-" || !std::filesystem::exists(out, ec) || !std::filesystem::equivalent(input, out, ec))
    return false;
  std::cerr << fmt::format("upscope {}: the output is the input file: refusing to overwrite it\n", command);
  return true;
}

bool print_diagnostics(const Context& ctx, const std::string& input, const Diagnostics& diags) {
  for (const auto& d : diags.items()) {
    if (ctx.global.quiet && d.severity != Severity::kError) continue;
    std::cerr << input << ": " << to_string(d.severity) << ": " << d.text() << '\n';
  }
  if (diags.dropped() && !ctx.global.quiet)
    std::cerr << input << ": note: " << diags.dropped() << " more diagnostics not shown\n";
  return ctx.global.strict && (diags.count(Severity::kWarning) || diags.has_errors());
}

int emit(const Context& ctx, const std::string& text) {
  switch (ctx.global.output_format()) {
    case Format::kMarkdown: return emit_rendered(ctx, reports::wrap_text_markdown(text));
    case Format::kHtml: return emit_rendered(ctx, reports::wrap_text_html("upscope", text));
    default: return emit_rendered(ctx, text);
  }
}

bool Output::ready() const {
  if (!ok_) std::cerr << "upscope: error: " << error_ << '\n';
  return ok_;
}

int Output::close() {
  stream().flush();
  if (stream()) return kExitOk;
  std::cerr << "upscope: error: writing the output failed\n";
  return kExitError;
}

int emit_rendered(const Context& ctx, const std::string& text) {
  Output out(ctx.global);
  if (!out.ready()) return kExitError;
  out.stream() << text;
  return out.close();
}

int emit(const Context& ctx, const reports::Json& doc) { return emit_rendered(ctx, reports::dump(doc)); }

}  // namespace upscope::cli
