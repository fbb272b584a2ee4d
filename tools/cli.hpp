// Shared CLI plumbing: global options, exit codes, the output sink, and self-registration of
// subcommands (each cmd_<name>.cpp registers itself, so adding a command touches one file).
#pragma once

#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "inspect/diagnostics.hpp"
#include "inspect/error.hpp"
#include "inspect/probe.hpp"
#include "inspect/source.hpp"
#include "reports/json.hpp"

// CLI11 costs ~6 s of compile time per file at -O2 (its validators are objects built in every
// file that includes it), so only the files that declare options include it.
namespace CLI {
class App;
}

namespace upscope::cli {

// Exit codes (docs/placement.md §5): 0 success; 1 differences found / not eligible; 2 error; 3 undetermined.
inline constexpr int kExitOk = 0;
inline constexpr int kExitDifferent = 1;
inline constexpr int kExitError = 2;
inline constexpr int kExitUndetermined = 3;

enum class Format { kText, kJson, kMarkdown, kHtml };

struct GlobalOptions {
  std::string format = "text";
  bool json = false;
  std::string output;        // -o FILE; empty = stdout
  unsigned jobs = 0;         // -j N; 0 = all cores
  std::string progress = "auto";
  bool quiet = false;
  bool strict = false;
  std::string max_memory;    // --max-memory SIZE; empty = no user limit (see inspect/limits.hpp)
  bool overwrite = false;    // --overwrite: see output_refused()
  // Keys for encrypted Apple Encrypted Archives (tools/aea_input.hpp reads them).
  std::string aea_key;            // --key BASE64
  std::string aea_key_file;       // --key-file PATH
  std::string aea_password_file;  // --password-file PATH
  std::string aea_keys_file;      // --aea-keys FILE: {"NAME.dmg.aea": "BASE64", ...} for builds

  Format output_format() const {
    if (json || format == "json") return Format::kJson;
    if (format == "md" || format == "markdown") return Format::kMarkdown;
    if (format == "html") return Format::kHtml;
    return Format::kText;
  }
};

// Where results go: stdout or the -o file. Diagnostics always go to stderr.
class Output {
 public:
  explicit Output(const GlobalOptions& g);
  std::ostream& stream() { return file_ ? *file_ : std::cout; }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  // ok(), saying on stderr why not: the one message for an output that could not be opened.
  bool ready() const;
  // Flushes: kExitOk, or kExitError with the one message for a failed write on stderr.
  int close();

 private:
  std::unique_ptr<std::ofstream> file_;
  bool ok_ = true;
  std::string error_;
};

struct Context {
  GlobalOptions global;
  int exit_code = kExitOk;
  bool inspect_all = false;  // `inspect --all`: every detail a reader has (a plist's whole tree beside its facts)
};

// Opens a file and names its format: the first step of every command that takes any input.
struct IdentifiedInput {
  SourcePtr source;
  Identification id;
};
Result<IdentifiedInput> open_and_identify(const std::string& path);

// Prints an error on stderr ("upscope: <message>") unless it is to be rendered as JSON.
void print_error(const Error& e);

// The one rule for every file a command writes, -o FILE or the files `aa extract` writes into -o DIR:
// "-" is stdout; a regular file that already exists is replaced only with --overwrite, and refused
// before any work starts (a directory is written into, a device or pipe written to); the input is
// never written over, --overwrite or not. output_refused() checks -o for main(); the message, or nothing.
std::optional<std::string> output_refused(const GlobalOptions& g);
// The rule of every command that reads files of a volume (ls, cat, extract IMAGE:/path): APFS first;
// an image without an APFS container is read as HFS+, unless an APFS volume was asked for by name.
inline bool read_as_hfs(const Error& apfs_error, const std::string& volume_option) {
  return apfs_error.code == ErrorCode::kNotFound && volume_option.empty();
}

// True (after saying why on stderr) when -o names `input` itself: writing would destroy what is read.
bool output_is_input(const std::string& command, const std::string& out, const std::string& input);
// Prints diagnostics on stderr as "<input>: warning: at 0x..: structure: message" (not with -q,
// except errors). Returns true when --strict should turn them into a failure.
bool print_diagnostics(const Context& ctx, const std::string& input, const Diagnostics& diags);
// Writes a JSON document or text to the output sink; returns kExitError when the sink failed.
// Text is wrapped for --format md/html when the command has no rich rendering of its own.
int emit(const Context& ctx, const std::string& text);
// Writes content already rendered for the chosen format (Markdown/HTML reports), unwrapped.
int emit_rendered(const Context& ctx, const std::string& content);
int emit(const Context& ctx, const reports::Json& doc);

using SetupFn = std::function<void(CLI::App& app, Context& ctx)>;
struct CommandRegistrar {
  CommandRegistrar(std::string name, int order, SetupFn setup);
};
struct RegisteredCommand {
  std::string name;
  int order;  // position in --help
  SetupFn setup;
};
std::vector<RegisteredCommand>& registered_commands();

}  // namespace upscope::cli
