// upscope dsc: dyld shared cache queries.
//   dsc images CACHE [--exports]      every image: path, address, UUID, version, code hash (+ export names)
//   dsc image CACHE INSTALL_PATH       one image: load commands, exports, function starts, local symbols
//   dsc addr CACHE 0xADDR              which file, offset, mapping and image hold an unslid VM address
// CACHE is the main file; subcaches and .symbols are opened next to it by name.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.hpp"
#include "dyld_cache/cache.hpp"
#include "reports/dsc.hpp"

namespace upscope::cli {
namespace {

using namespace dyld_cache;

struct DscOptions {
  std::string cache;
  std::string install_path;
  std::string address;
  bool exports = false;
  bool no_hash = false;
};

int finish(Context& ctx, const std::string& path, const Diagnostics& diags, int rc) {
  if (print_diagnostics(ctx, path, diags) && rc == kExitOk) rc = kExitError;
  return rc;
}

int run_images(Context& ctx, const DscOptions& o) {
  const bool json = ctx.global.output_format() == Format::kJson;
  Diagnostics diags;
  auto c = open_cache(o.cache, diags);
  if (!c) {
    print_error(c.error());
    return kExitError;
  }
  ImageOptions opt;
  opt.exports = o.exports || json;
  opt.function_starts = false;
  opt.code_hash = !o.no_hash;
  auto details = all_image_details(*c, ctx.global.jobs, opt, diags);
  const int rc = json ? emit(ctx, reports::dsc_images_document(o.cache, *c, details, o.exports, diags))
                      : emit(ctx, reports::dsc_images_text(o.cache, *c, details, o.exports));
  return finish(ctx, o.cache, diags, rc);
}

int run_image(Context& ctx, const DscOptions& o) {
  const bool json = ctx.global.output_format() == Format::kJson;
  Diagnostics diags;
  auto c = open_cache(o.cache, diags);
  if (!c) {
    print_error(c.error());
    return kExitError;
  }
  const Image* img = c->find_image(o.install_path);
  if (!img) {
    Error e = make_error(ErrorCode::kNotFound, "image table", fmt::format("no image has install path \"{}\"", o.install_path));
    e.file = o.cache;
    print_error(e);
    print_diagnostics(ctx, o.cache, diags);
    return kExitError;
  }
  ImageOptions opt;
  opt.local_symbols = true;
  auto d = c->image_detail(*img, diags, opt);
  if (!d) {
    print_error(d.error());
    print_diagnostics(ctx, o.cache, diags);
    return kExitError;
  }
  const int rc = json ? emit(ctx, reports::dsc_image_document(o.cache, *c, *img, *d, diags))
                      : emit(ctx, reports::dsc_image_text(o.cache, *c, *img, *d));
  return finish(ctx, o.cache, diags, rc);
}

int run_addr(Context& ctx, const DscOptions& o) {
  const bool json = ctx.global.output_format() == Format::kJson;
  uint64_t addr = 0;
  try {
    size_t used = 0;
    addr = std::stoull(o.address, &used, 0);
    if (used != o.address.size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    print_error(make_error(ErrorCode::kInvalidArgument, "dsc addr", fmt::format("\"{}\" is not an address", o.address)));
    return kExitError;
  }
  Diagnostics diags;
  auto c = open_cache(o.cache, diags);
  if (!c) {
    print_error(c.error());
    return kExitError;
  }
  auto l = c->locate(addr);
  if (!l) {
    print_error(l.error().in_file(o.cache));
    print_diagnostics(ctx, o.cache, diags);
    return kExitError;
  }
  const AddressOwner owner = c->owner_at(addr);
  const int rc = json ? emit(ctx, reports::dsc_addr_document(*c, addr, *l, owner, diags))
                      : emit(ctx, reports::dsc_addr_text(*c, addr, *l, owner));
  return finish(ctx, o.cache, diags, rc);
}

const CommandRegistrar registered_cmd_dsc("dsc", 70, [](CLI::App& app, Context& ctx) {
  auto o = std::make_shared<DscOptions>();
  auto* sub = app.add_subcommand("dsc", "dyld shared cache: images, one image's Mach-O view, address lookup");
  sub->require_subcommand(1);
  auto* images = sub->add_subcommand("images", "List every image: path, address, UUID, version, code hash");
  images->add_option("cache", o->cache, "Main cache file (subcaches and .symbols are opened next to it)")->required();
  images->add_flag("--exports", o->exports, "Also list every exported symbol (path, address, name)");
  images->add_flag("--no-hash", o->no_hash, "Skip the code hashes");
  images->callback([&ctx, o] { ctx.exit_code = run_images(ctx, *o); });
  auto* image = sub->add_subcommand("image", "One image: load commands, segments, exports, function starts, local symbols");
  image->add_option("cache", o->cache, "Main cache file")->required();
  image->add_option("install_path", o->install_path, "Install name, e.g. /usr/lib/libz.1.dylib")->required();
  image->callback([&ctx, o] { ctx.exit_code = run_image(ctx, *o); });
  auto* addr = sub->add_subcommand("addr", "Which file, offset, mapping and image hold an unslid VM address");
  addr->add_option("cache", o->cache, "Main cache file")->required();
  addr->add_option("address", o->address, "Unslid VM address (0x...)")->required();
  addr->callback([&ctx, o] { ctx.exit_code = run_addr(ctx, *o); });
  sub->footer("Exit codes: 0 read; 2 the cache could not be read (or --strict and it had warnings).");
});

}  // namespace
}  // namespace upscope::cli
