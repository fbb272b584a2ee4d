// upscope ls INPUT[:/path]: one row per thing the input holds (files of a volume, kexts of a kernel
// collection, images of a dyld cache, files an update writes...). The lister is chosen by the
// identified format of INPUT; see ls_registry.hpp.
#include <filesystem>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "apfs/locate.hpp"
#include "ls_registry.hpp"

namespace upscope::cli {

namespace {
std::map<std::string, ListFn>& listers() {
  static std::map<std::string, ListFn> m;
  return m;
}
}  // namespace

ListerRegistrar::ListerRegistrar(std::vector<std::string> format_ids, ListFn fn) {
  for (auto& id : format_ids) listers()[id] = fn;
}

const ListFn* find_lister(const std::string& format_id) {
  auto it = listers().find(format_id);
  return it == listers().end() ? nullptr : &it->second;
}

namespace {

struct LsOptions {
  std::string input;
  std::string hash = "none";
  std::string volume;
  bool no_code_hash = false;
  bool payload = false;
};

int run(Context& ctx, const LsOptions& opt) {
  LsRequest req;
  req.input = opt.input;
  req.volume = opt.volume;
  req.no_code_hash = opt.no_code_hash;
  req.payload = opt.payload;
  if (opt.hash != "none") {
    auto k = parse_hash_kind(opt.hash);
    if (!k) {
      print_error(k.error());
      return kExitError;
    }
    req.hash = *k;
  }
  std::tie(req.image, req.path) = apfs::split_image_path(opt.input);
  IdentifiedInput input;
  std::error_code ec;
  if (std::filesystem::is_directory(req.image, ec)) {
    input.id.format = "directory";
    input.id.description = "directory";
  } else {
    auto opened = open_and_identify(req.image);
    if (!opened) {
      print_error(opened.error());
      return kExitError;
    }
    input = std::move(*opened);
  }
  const ListFn* fn = find_lister(input.id.format);
  if (!fn) {
    Error e = make_error(ErrorCode::kUnsupported, "",
                         fmt::format("'upscope ls' cannot list {} ({}) inputs", input.id.description, input.id.format));
    e.file = req.image;
    print_error(e);
    return kExitError;
  }
  return (*fn)(ctx, req, input);
}

const CommandRegistrar registered_cmd_ls("ls", 40, [](CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<LsOptions>();
  auto* sub = app.add_subcommand(
      "ls", "List what an input holds: the files of an APFS or HFS+ volume (raw, GPT/APM disk or disk image), "
            "the kexts of a kernel collection or kernelcache, the images of a dyld cache, the files an OTA/RSR "
            "update package writes or patches, the paths a BOM or an installer package (.pkg) describes");
  sub->add_option("input", opt->input, "INPUT or IMAGE:/path")->required();
  sub->add_option("--hash", opt->hash, "Content hash per item: sha256, sha1, xxh3, xxh128 or none")
      ->default_val("none");
  sub->add_option("--volume", opt->volume, "Volume name or index (file systems; default: every volume)");
  sub->add_flag("--no-code-hash", opt->no_code_hash, "Skip per-image and per-kext code hashes (dyld caches, kernel collections: a fast listing)");
  sub->add_flag("--payload", opt->payload,
                "Installer packages: list the entries of each Payload archive as well as the files its Bom describes");
  sub->footer("Exit codes: 0 listed; 2 the input could not be read, is of a kind ls cannot list, or an item failed.");
  sub->callback([&ctx, opt] { ctx.exit_code = run(ctx, *opt); });
});

}  // namespace
}  // namespace upscope::cli
