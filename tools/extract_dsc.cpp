// `upscope extract CACHE --image INSTALL_PATH -o OUT`: one dyld-cache image as a standalone Mach-O
// (formats/dyld_cache/extract.hpp says what is and is not rebuilt).
#include "extract_dsc.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "dyld_cache/extract.hpp"

namespace upscope::cli {

const char* const kDscExtractHelp = dyld_cache::kExtractLimits;

int run_dsc_extract(Context& ctx, const std::string& cache, const std::string& install_path) {
  const std::string& out_path = ctx.global.output;
  if (out_path.empty()) {
    std::cerr << "upscope extract: --image needs an output file: -o OUT (or -o - for stdout)\n";
    return kExitError;
  }
  if (output_is_input("extract", out_path, cache)) return kExitError;
  Diagnostics diags;
  auto c = dyld_cache::open_cache(cache, diags);
  if (!c) {
    print_error(c.error());
    return kExitError;
  }
  const dyld_cache::Image* img = c->find_image(install_path);
  if (!img) {
    Error e = make_error(ErrorCode::kNotFound, "image table", fmt::format("no image has install path \"{}\"", install_path));
    e.file = cache;
    print_error(e);
    print_diagnostics(ctx, cache, diags);
    return kExitError;
  }
  const bool to_stdout = out_path == "-";
  std::FILE* f = to_stdout ? stdout : std::fopen(out_path.c_str(), "wb");
  if (!f) {
    std::cerr << fmt::format("upscope: error: {}: cannot open for writing: {}\n", out_path, std::strerror(errno));
    return kExitError;
  }
  auto info = dyld_cache::extract_image(*c, *img, [f](Bytes b) { return b.empty() || std::fwrite(b.data(), 1, b.size(), f) == b.size(); },
                                        diags);
  const bool closed = to_stdout ? std::fflush(f) == 0 : std::fclose(f) == 0;
  bool strict_fail = print_diagnostics(ctx, cache, diags);
  if (!info) {
    print_error(info.error().in_file(cache));
    if (!to_stdout) std::remove(out_path.c_str());
    return kExitError;
  }
  if (!closed) {
    std::cerr << fmt::format("upscope: error: {}: write failed: {}\n", out_path, std::strerror(errno));
    return kExitError;
  }
  if (!ctx.global.quiet && !to_stdout) {
    std::string segs;
    for (const auto& s : info->segments)
      segs += fmt::format("\n  {:<16} fileoff {:#10x} size {:#10x}{}", s.name, s.fileoff, s.filesize,
                          s.from.empty() ? " (rebuilt)" : " from " + s.from);
    std::cerr << fmt::format("{}: wrote {} ({} bytes, {} symbols of which {} local, {} indirect) to {}{}\n", cache,
                             install_path, info->size, info->symbols, info->local_symbols, info->indirect_symbols,
                             out_path, segs);
  }
  return strict_fail ? kExitError : kExitOk;
}

}  // namespace upscope::cli
