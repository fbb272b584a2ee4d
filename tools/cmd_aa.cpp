// upscope aa list ARCHIVE [--json]: every entry of an Apple Archive (plain or pbz*-wrapped, or the
// plaintext of an Apple Encrypted Archive).
// upscope aa extract ARCHIVE -o DIR: extracts it, refusing paths that would leave DIR.
#include <CLI/CLI.hpp>

#include "aa/aa.hpp"
#include "aea_input.hpp"
#include "cli.hpp"
#include "inspect/mapped_file.hpp"
#include "inspect/thread_pool.hpp"
#include "reports/apple_archive.hpp"

namespace upscope::cli {

namespace {

struct AaOptions {
  std::string archive;
};

int list_cmd(Context& ctx, const AaOptions& opt) {
  const bool json = ctx.global.output_format() == Format::kJson;
  auto file = MappedFile::open(opt.archive);
  if (!file) { print_error(file.error()); return kExitError; }
  (*file)->advise_sequential();
  auto aea_plain = read_if_aea(ctx, opt.archive);
  if (!aea_plain) { print_error(aea_plain.error()); return kExitError; }
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  aa::ReadOptions ro;
  ro.pool = &pool;
  auto l = aa::list(*aea_plain ? Bytes((*aea_plain)->bytes) : (*file)->bytes(), ro);
  if (!l) { print_error(l.error().in_file(opt.archive)); return kExitError; }
  if (*aea_plain) l->diagnostics.append((*aea_plain)->diagnostics);
  int rc = l->diagnostics.has_errors() ? kExitError : kExitOk;
  if (json) {
    if (ctx.global.strict && l->diagnostics.count(Severity::kWarning)) rc = kExitError;
    int out = emit(ctx, reports::apple_archive_document(opt.archive, *l, *aea_plain ? (*aea_plain)->summary : ""));
    return out != kExitOk ? out : rc;
  }
  std::string text = reports::apple_archive_text(opt.archive, *l, *aea_plain ? "in " + (*aea_plain)->summary : "");
  if (print_diagnostics(ctx, opt.archive, l->diagnostics)) rc = kExitError;
  int out = emit(ctx, text);
  return out != kExitOk ? out : rc;
}

int extract_cmd(Context& ctx, const AaOptions& opt) {
  if (ctx.global.output.empty()) {
    std::cerr << "upscope aa extract: the target directory is required: -o DIR\n";
    return kExitError;
  }
  auto file = MappedFile::open(opt.archive);
  if (!file) { print_error(file.error()); return kExitError; }
  (*file)->advise_sequential();
  auto aea_plain = read_if_aea(ctx, opt.archive);
  if (!aea_plain) { print_error(aea_plain.error()); return kExitError; }
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  aa::ReadOptions ro;
  ro.pool = &pool;
  ro.overwrite = ctx.global.overwrite;  // the one rule for written files (cli.hpp output_refused)
  auto r = aa::extract(*aea_plain ? Bytes((*aea_plain)->bytes) : (*file)->bytes(), ctx.global.output, ro);
  if (!r) { print_error(r.error().in_file(opt.archive)); return kExitError; }
  if (*aea_plain) r->diagnostics.append((*aea_plain)->diagnostics);
  int rc = r->diagnostics.has_errors() ? kExitError : kExitOk;
  if (print_diagnostics(ctx, opt.archive, r->diagnostics)) rc = kExitError;
  // -o is the target directory, so the summary goes to stdout.
  if (ctx.global.output_format() == Format::kJson)
    std::cout << reports::dump(reports::apple_archive_extract_document(opt.archive, ctx.global.output, *r));
  else
    std::cout << reports::apple_archive_extract_text(ctx.global.output, *r);
  return rc;
}

const CommandRegistrar registered_cmd_aa("aa", 65, [](CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<AaOptions>();
  auto* sub = app.add_subcommand("aa", "Apple Archive (AA01/YAA1, plain or pbzx/pbze/pbz4/pbzz-wrapped, or inside an AEA)");
  sub->require_subcommand(1);
  auto* ls = sub->add_subcommand("list", "List every entry with its fields");
  ls->add_option("archive", opt->archive, "Archive file")->required();
  ls->footer("Exit codes: 0 read; 2 unreadable or a malformed entry stopped the listing.");
  ls->callback([&ctx, opt] { ctx.exit_code = list_cmd(ctx, *opt); });
  auto* ex = sub->add_subcommand("extract", "Extract into -o DIR (unsafe paths are refused and reported)");
  ex->add_option("archive", opt->archive, "Archive file")->required();
  ex->footer("A file that already exists in DIR is refused unless --overwrite is given (as for every -o FILE).\n"
             "Exit codes: 0 extracted; 2 error or an entry was refused (path traversal, an existing file, digest "
             "mismatch).");
  ex->callback([&ctx, opt] { ctx.exit_code = extract_cmd(ctx, *opt); });
});

}  // namespace
}  // namespace upscope::cli
