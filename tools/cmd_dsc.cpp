// upscope dsc: dyld shared cache queries.
//   dsc images CACHE [--exports]      every image: path, address, UUID, version, code hash (+ export names)
//   dsc image CACHE INSTALL_PATH       one image: load commands, exports, function starts, local symbols
//   dsc addr CACHE 0xADDR              which file, offset, mapping and image hold an unslid VM address
// CACHE is the main file; subcaches and .symbols are opened next to it by name.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.hpp"
#include "dsc_common.hpp"
#include "dyld_cache/json.hpp"
#include "inspect/text.hpp"
#include "macho/json.hpp"
#include "macho/names.hpp"
#include "reports/text_table.hpp"

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

Result<Cache> open_for(const Context& ctx, const std::string& path, Diagnostics& diags) {
  (void)ctx;
  return open_cache(path, diags);
}

int finish(Context& ctx, const std::string& path, const Diagnostics& diags, int rc) {
  if (print_diagnostics(ctx, path, diags) && rc == kExitOk) rc = kExitError;
  return rc;
}

int run_images(Context& ctx, const DscOptions& o) {
  const bool json = ctx.global.output_format() == Format::kJson;
  Diagnostics diags;
  auto c = open_for(ctx, o.cache, diags);
  if (!c) {
    print_error(c.error());
    return kExitError;
  }
  ImageOptions opt;
  opt.exports = o.exports || json;
  opt.function_starts = false;
  opt.code_hash = !o.no_hash;
  auto details = dsc_image_details(*c, ctx.global.jobs, opt, diags);
  int rc;
  if (json) {
    auto doc = reports::make_document("dyld-cache");
    doc["path"] = o.cache;
    auto body = to_json(*c, details);
    if (o.exports) {
      for (size_t i = 0; i < c->images.size(); ++i) {
        if (!details[i]) continue;
        reports::Json names = reports::Json::array();
        for (const auto& e : details[i]->exports) names.push_back(e.name);
        body["images"][i]["export_names"] = std::move(names);
      }
    }
    for (auto it = body.begin(); it != body.end(); ++it) doc[it.key()] = it.value();
    doc["diagnostics"] = reports::to_json(diags);
    rc = emit(ctx, doc);
  } else {
    std::string text = o.cache + ":\n" + dsc_summary_text(*c) + dsc_images_table(*c, details);
    if (o.exports) {
      for (size_t i = 0; i < c->images.size(); ++i) {
        if (!details[i]) continue;
        const uint64_t base = details[i]->macho.text_vmaddr();
        for (const auto& e : details[i]->exports)
          text += fmt::format("{}\t{:#x}\t{}\n", c->images[i].path, base + e.address, e.name);
      }
    }
    rc = emit(ctx, text);
  }
  return finish(ctx, o.cache, diags, rc);
}

int run_image(Context& ctx, const DscOptions& o) {
  const bool json = ctx.global.output_format() == Format::kJson;
  Diagnostics diags;
  auto c = open_for(ctx, o.cache, diags);
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
  int rc;
  if (json) {
    auto doc = reports::make_document("dyld-cache-image");
    doc["path"] = o.cache;
    doc["image"] = image_json(*c, *img, &*d, true);
    doc["diagnostics"] = reports::to_json(diags);
    rc = emit(ctx, doc);
  } else {
    const auto& m = d->macho;
    std::string t = fmt::format("{} in {}:\n", img->path, o.cache);
    t += fmt::format("  address {:#x}, header in {} at {:#x}\n", img->address, c->files[d->header_file].name,
                     c->locate(img->address)->offset);
    if (m.uuid) t += fmt::format("  uuid: {}\n", uuid_string(Bytes(m.uuid->data(), 16)));
    if (d->current_version)
      t += fmt::format("  version: {} (compatibility {})\n", macho::version_string(*d->current_version),
                       macho::version_string(d->compat_version.value_or(0)));
    t += fmt::format("  {} {}, flags {:#x}, {} load commands\n", m.arch, macho::filetype_name(m.filetype), m.flags, m.ncmds);
    for (const auto& lc : m.commands)
      t += fmt::format("    {:3} {} ({} bytes)\n", lc.index, macho::load_command_name(lc.cmd), lc.cmdsize);
    reports::TextTable segs({"SEGMENT", "VMADDR", "VMSIZE", "FILEOFF", "FILESIZE", "FILE"});
    for (const auto& s : m.segments) {
      auto l = c->locate(s.vmaddr);
      segs.add_row({s.segname, fmt::format("{:#x}", s.vmaddr), fmt::format("{:#x}", s.vmsize), fmt::format("{:#x}", s.fileoff),
                    fmt::format("{:#x}", s.filesize), l ? c->files[l->file].name : "-"});
    }
    t += segs.str();
    for (const auto& dl : m.dylibs)
      t += fmt::format("  {}: {}\n", macho::load_command_name(dl.cmd), dl.name);
    t += fmt::format("  code hash: {} ({} bytes, {} instructions and {} pointers masked)\n", d->code.sha256, d->code.bytes,
                     d->code.masked_instructions, d->code.masked_pointers);
    if (!d->code.const_sha256.empty())
      t += fmt::format("  const data hash: {} ({} bytes)\n", d->code.const_sha256, d->code.const_bytes);
    t += fmt::format("  exports: {}\n", d->exports.size());
    const uint64_t base = m.text_vmaddr();
    for (const auto& e : d->exports) {
      if (e.flags & 0x08) t += fmt::format("    {} (re-export from ordinal {})\n", e.name, e.reexport_ordinal);
      else t += fmt::format("    {:#x} {}\n", base + e.address, e.name);
    }
    t += fmt::format("  function starts: {}\n", d->function_starts.size());
    for (uint64_t a : d->function_starts) t += fmt::format("    {:#x}\n", a);
    if (d->local_symbols) {
      t += fmt::format("  local symbols: {}\n", d->local_symbols->symbols.size());
      for (const auto& s : d->local_symbols->symbols) t += fmt::format("    {:#x} {}\n", s.value, s.name);
    }
    rc = emit(ctx, t);
  }
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
  auto c = open_for(ctx, o.cache, diags);
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
  const auto& f = c->files[l->file];
  const Mapping& m = f.mappings[l->mapping];
  const Image* img = c->image_at(addr);
  std::string segment;
  if (!img) {  // not in an image's __TEXT: look through every image's other segments (not the shared LINKEDIT)
    ImageOptions none;
    none.exports = none.function_starts = none.code_hash = false;
    for (const auto& cand : c->images) {
      Diagnostics ignored;
      auto d = c->image_detail(cand, ignored, none);
      if (!d) continue;
      for (const auto& s : d->macho.segments)
        if (s.segname != "__LINKEDIT" && addr >= s.vmaddr && addr - s.vmaddr < s.vmsize) {
          img = &cand;
          segment = s.segname;
        }
      if (img) break;
    }
  }
  int rc;
  if (json) {
    auto doc = reports::make_document("dyld-cache-addr");
    doc["address"] = fmt::format("{:#x}", addr);
    doc["file"] = f.name;
    doc["offset"] = l->offset;
    doc["mapping"] = {{"index", l->mapping}, {"name", mapping_name(m)}, {"address", fmt::format("{:#x}", m.address)}};
    doc["image"] = img ? reports::Json(img->path) : reports::Json(nullptr);
    if (!segment.empty()) doc["segment"] = segment;
    doc["diagnostics"] = reports::to_json(diags);
    rc = emit(ctx, doc);
  } else {
    rc = emit(ctx, fmt::format("{:#x}: {} offset {:#x}, mapping {} ({} {:#x}+{:#x}){}\n", addr, f.name, l->offset, l->mapping,
                               mapping_name(m), m.address, m.size,
                               !img ? "" : segment.empty() ? fmt::format(", image {} (+{:#x})", img->path, addr - img->address)
                                               : fmt::format(", image {} segment {}", img->path, segment)));
  }
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
