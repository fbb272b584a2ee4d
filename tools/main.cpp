// upscope: one binary, one subcommand per tools/cmd_<name>.cpp.
#include <algorithm>
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "inspect/limits.hpp"
#include "inspect/progress.hpp"
#include "inspect/version.hpp"

using namespace upscope;
using namespace upscope::cli;

int main(int argc, char** argv) {
  CLI::App app{"upscope: forensic inspection and diffing of Apple OS updates (disk images, APFS, "
               "cryptexes, OTA/RSR packages, patches, Mach-O, kernel collections, dyld caches)",
               "upscope"};
  app.set_version_flag("--version", std::string("upscope ") + upscope::version());
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand

  Context ctx;
  auto& g = ctx.global;
  app.add_option("--format", g.format, "Output format: text, json, md (Markdown) or html (one self-contained file)")
      ->check(CLI::IsMember({"text", "json", "md", "markdown", "html"}))
      ->default_str("text");
  app.add_flag("--json", g.json, "Same as --format json");
  app.add_option("-o,--output", g.output, "Write results to FILE instead of stdout");
  app.add_flag("--overwrite", g.overwrite,
               "Replace files that already exist (-o FILE; files aa extract writes into -o DIR). Without it such a "
               "file is refused, before any work starts; the input is never written over");
  app.add_option("-j,--jobs", g.jobs, "Worker threads (default: all cores)")->check(CLI::Range(0u, 1024u));
  app.add_option("--progress", g.progress, "Progress bar on stderr: auto (when a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->default_str("auto");
  app.add_flag("-q,--quiet", g.quiet, "Only errors on stderr; no progress bar");
  app.add_flag("--strict", g.strict, "Treat warnings in the input as errors (exit 2)");
  app.add_option("--max-memory", g.max_memory,
                 "Cap on the memory any decode buffer, decompressed payload or chunk cache may take "
                 "(e.g. 512M, 2G); inputs needing more fail with exit 2")
      ->check([](const std::string& v) { auto n = parse_byte_size(v); return n ? std::string() : n.error().rule; });
  app.add_option("--key", g.aea_key, "Apple Encrypted Archive key: the 32-byte symmetric key as base64 (or hex:...)");
  app.add_option("--key-file", g.aea_key_file,
                 "Apple Encrypted Archive key file: 32 raw bytes, base64 text, or a P-256 private key (PEM)");
  app.add_option("--password-file", g.aea_password_file, "Apple Encrypted Archive password (profile 5): first line of FILE");
  app.add_option("--aea-keys", g.aea_keys_file,
                 "Keys for the AEA images of builds (inventory, diff, verdict, catalog add): a JSON object mapping "
                 "file names to base64 keys, {\"043-90204-068.dmg.aea\": \"...\"}");
  app.footer("Exit codes: 0 success; 1 differences found / not RSR-eligible; 2 error; 3 verdict undetermined.\n"
             "Run 'upscope <command> --help' for a command's options.");

  auto& commands = registered_commands();
  std::sort(commands.begin(), commands.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  for (auto& c : commands) c.setup(app, ctx);

  app.parse_complete_callback([&] {
    ProgressMode mode = g.progress == "always" ? ProgressMode::kAlways
                        : g.progress == "never" ? ProgressMode::kNever
                                                : ProgressMode::kAuto;
    if (g.quiet) mode = ProgressMode::kNever;
    set_progress_mode(mode);
    if (!g.max_memory.empty()) set_memory_limit(*parse_byte_size(g.max_memory));
    if (auto refused = output_refused(g)) {
      std::cerr << "upscope: error: " << *refused << '\n';
      throw CLI::RuntimeError(kExitError);  // before any command runs
    }
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitError;
  } catch (const std::bad_alloc&) {
    std::cerr << "upscope: error: out of memory\n";
    return kExitError;
  } catch (const std::exception& e) {
    std::cerr << "upscope: error: " << e.what() << '\n';
    return kExitError;
  }
  return ctx.exit_code;
}
