// upscope cat IMAGE:/path: writes a file's content (decompressed) from an APFS or HFS+ volume to stdout or -o.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "apfs/locate.hpp"
#include "apfs/volume.hpp"
#include "hfs/locate.hpp"
#include "cli.hpp"

namespace upscope::cli {
namespace {

struct CatOptions {
  std::string input;
  std::string volume;
  std::string xattr;
};

// Streams a Source to stdout or -o; returns kExitOk or kExitError (the error printed).
int write_source(Context& ctx, const Source& s) {
  Output out(ctx.global);
  if (!out.ready()) return kExitError;
  constexpr uint64_t kPiece = 1 << 20;
  std::vector<uint8_t> buf;
  for (uint64_t off = 0; off < s.size(); off += kPiece) {
    uint64_t n = std::min(kPiece, s.size() - off);
    buf.resize(n);
    auto st = s.read_at(off, buf);
    if (!st) {
      print_error(st.error());
      return kExitError;
    }
    out.stream().write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(n));
  }
  return out.close();
}

// IMAGE:/path on an HFS+ volume (the image holds no APFS container).
int run_hfs(Context& ctx, const CatOptions& opt, const std::string& image, const std::string& path) {
  Diagnostics diags;
  auto opened = hfs::open_image(image, &diags);
  if (!opened) {
    print_error(opened.error().in_file(image));
    return kExitError;
  }
  const hfs::Volume& vol = *opened->volume;
  auto e = vol.lookup(path);
  if (!e) {
    print_error(e.error().in_file(image));
    return kExitError;
  }
  Result<SourcePtr> src = fail(ErrorCode::kNotFound, image + ":" + path, fmt::format("no extended attribute '{}'", opt.xattr));
  if (opt.xattr == "com.apple.ResourceFork") {
    src = vol.open_fork(*e, true, path);
  } else if (!opt.xattr.empty()) {
    auto t = vol.resolve_link(*e);
    auto xs = t ? vol.xattrs(t->id) : Result<std::vector<hfs::Xattr>>(fail(t.error()));
    if (!xs) {
      print_error(xs.error());
      return kExitError;
    }
    for (const auto& x : *xs)
      if (x.name == opt.xattr) src = vol.open_xattr(*t, x);
  } else {
    src = vol.open_data(*e, path);
  }
  if (!src) {
    print_error(src.error());
    return kExitError;
  }
  if (int rc = write_source(ctx, **src); rc != kExitOk) return rc;
  return print_diagnostics(ctx, image, diags) ? kExitError : kExitOk;
}

int run(Context& ctx, const CatOptions& opt) {
  auto [image, path] = apfs::split_image_path(opt.input);
  if (path.empty()) {
    std::cerr << "upscope cat: expected IMAGE:/path (e.g. disk.img:/usr/bin/true)\n";
    return kExitError;
  }
  Diagnostics diags;
  auto vol = apfs::open_single_volume(image, opt.volume, &diags);
  if (!vol && read_as_hfs(vol.error(), opt.volume)) return run_hfs(ctx, opt, image, path);
  if (!vol) {
    print_error(vol.error());
    return kExitError;
  }
  auto id = (*vol)->lookup(path);
  auto ino = id ? (*vol)->inode(*id) : Result<apfs::Inode>(fail(id.error()));
  if (!ino) {
    print_error(ino.error().in_file(image));
    return kExitError;
  }
  Result<SourcePtr> src = fail(ErrorCode::kNotFound, path, "");
  if (!opt.xattr.empty()) {
    auto xs = (*vol)->xattrs(ino->id);
    if (!xs) {
      print_error(xs.error());
      return kExitError;
    }
    src = fail(ErrorCode::kNotFound, image + ":" + path, fmt::format("no extended attribute '{}'", opt.xattr));
    for (const auto& x : *xs)
      if (x.name == opt.xattr) src = (*vol)->open_xattr(*ino, x);
  } else {
    src = (*vol)->open_data(*ino, path);
  }
  if (!src) {
    print_error(src.error());
    return kExitError;
  }
  if (int rc = write_source(ctx, **src); rc != kExitOk) return rc;
  return print_diagnostics(ctx, image, diags) ? kExitError : kExitOk;
}

const CommandRegistrar registered_cmd_cat("cat", 41, [](CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<CatOptions>();
  auto* sub = app.add_subcommand("cat", "Write a file from an APFS or HFS+ volume (decompressed) to stdout or -o FILE");
  sub->add_option("input", opt->input, "IMAGE:/path")->required();
  sub->add_option("--volume", opt->volume, "Volume name or index (needed when the container holds several)");
  sub->add_option("--xattr", opt->xattr, "Write this extended attribute instead (e.g. com.apple.ResourceFork)");
  sub->footer("Exit codes: 0 written; 2 the image, volume or file could not be read.");
  sub->callback([&ctx, opt] { ctx.exit_code = run(ctx, *opt); });
});

}  // namespace
}  // namespace upscope::cli
