// upscope verify IMAGE...: checks every checksum a disk image carries: each UDIF blkx CRC32 over
// its decoded bytes, the master checksum, the data-fork checksum, and GPT header/table CRCs; and,
// when a chunklist is given or lies beside the image, the SHA-256 of every chunk of the file
// (docs/formats/chunklist.md §4).
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "chunklist/chunklist.hpp"
#include "cli.hpp"
#include "inspect/progress.hpp"
#include "inspect/thread_pool.hpp"
#include "partition/partition_map.hpp"
#include "reports/verify.hpp"
#include "udif/disk_image.hpp"

namespace upscope::cli {
namespace {

// The chunklist of IMAGE when none is given: IMAGE.chunklist, else NAME.chunklist where NAME is
// IMAGE without its extension (BaseSystem.dmg -> BaseSystem.chunklist), as Apple ships them.
std::string chunklist_beside(const std::string& image) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(image);
  for (const fs::path& c : {fs::path(image + ".chunklist"), fs::path(p).replace_extension(".chunklist")})
    if (c != p && fs::is_regular_file(c, ec)) return c.string();
  return "";
}

// The chunklist check of one image (the file as stored).
reports::ChunklistCheck verify_chunklist(const Context& ctx, const SourcePtr& image, const std::string& cl_path,
                                         bool given, reports::ImageCheck& o) {
  reports::ChunklistCheck c;
  c.path = cl_path;
  c.given = given;
  auto unreadable = [&](const Error& e) {
    o.ok = false;
    c.error = e;
    return c;
  };
  auto src = FileSource::open(cl_path);
  if (!src) return unreadable(src.error());
  auto cl = chunklist::parse(**src);
  if (!cl) return unreadable(cl.error().in_file(cl_path));
  if (print_diagnostics(ctx, cl_path, cl->diagnostics) || cl->diagnostics.has_errors()) o.ok = false;
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  Progress progress("chunklist", std::min(cl->total_bytes, image->size()));
  chunklist::VerifyOptions vo;
  vo.pool = &pool;
  vo.progress = [&](uint64_t n) { progress.advance(n); };
  c.report = chunklist::verify(*cl, image, vo);
  progress.finish();
  o.checks += static_cast<int>(std::min<uint64_t>(c.report.checked, INT32_MAX / 2)) + 1;  // the chunks and the size
  o.ok &= c.report.ok();
  c.chunklist = std::move(*cl);
  return c;
}

reports::ImageCheck verify_one(const Context& ctx, const std::string& path, const std::string& given_chunklist) {
  reports::ImageCheck o;
  o.path = path;
  auto fail_with = [&](const Error& e) {
    o.ok = false;
    o.error = e;
    return o;
  };
  auto src = FileSource::open(path);
  if (!src) return fail_with(src.error());
  // The chunklist covers the file as stored, so it is checked even when the image cannot be opened.
  const std::string cl_path = given_chunklist.empty() ? chunklist_beside(path) : given_chunklist;
  if (!cl_path.empty()) o.chunklist = verify_chunklist(ctx, *src, cl_path, !given_chunklist.empty(), o);
  Diagnostics& diags = o.diagnostics;
  auto img = udif::open_disk_image(*src, &diags);
  if (!img) return fail_with(img.error().in_file(path));
  o.kind = udif::to_string(img->kind);
  if (img->udif) {
    Progress progress("verify", img->udif->size_bytes());
    const udif::VerifyReport& rep = o.udif_report.emplace(udif::verify(*img->udif, *img->file, ctx.global.jobs, &progress));
    progress.finish();
    o.udif = img->udif;
    for (const auto& b : rep.blkx)
      if (b.checked || b.error) ++o.checks;
    o.checks += rep.master_checked + rep.data_fork_checked;
    o.ok &= rep.ok();
  }
  auto map = partition::read_partition_map(img->disk, &diags);
  if (map && map->gpt) {
    o.checks += 2;
    const auto& g = *map->gpt;
    o.gpt = reports::GptCheck{g.header_crc, g.table_crc, g.header_crc_ok, g.table_crc_ok};
    o.ok &= g.header_crc_ok && g.table_crc_ok;
  }
  if (print_diagnostics(ctx, path, diags)) o.ok = false;
  if (diags.has_errors()) o.ok = false;
  return o;
}

int run(Context& ctx, const std::vector<std::string>& inputs, const std::string& chunklist_path) {
  std::vector<reports::ImageCheck> checks;
  int rc = kExitOk;
  for (const auto& path : inputs) {
    checks.push_back(verify_one(ctx, path, chunklist_path));
    const reports::ImageCheck& o = checks.back();
    if (!o.ok)
      rc = kExitError;
    else if (o.checks == 0 && rc == kExitOk)
      rc = kExitUndetermined;
  }
  const int out_rc = ctx.global.output_format() == Format::kJson ? emit(ctx, reports::verify_document(checks))
                                                                 : emit(ctx, reports::verify_text(checks));
  return out_rc != kExitOk ? out_rc : rc;
}

const CommandRegistrar registered_cmd_verify("verify", 40, [](CLI::App& app, Context& ctx) {
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto chunklist_path = std::make_shared<std::string>();
  auto* sub = app.add_subcommand(
      "verify", "Verify the checksums of disk images (UDIF blkx/master CRC32, GPT CRCs, chunklist SHA-256s)");
  sub->add_option("inputs", *inputs, "Disk images (or any file a chunklist covers)")->required();
  sub->add_option("--chunklist", *chunklist_path,
                  "Check every chunk's SHA-256 against this chunklist (one IMAGE only); without it, IMAGE.chunklist or "
                  "NAME.chunklist beside IMAGE is used when present");
  sub->footer("The chunklist's own RSA signature is not verified (Apple publishes no key for it).\n"
              "Exit codes: 0 every checksum matches; 2 a mismatch or an unreadable image; 3 nothing to verify.");
  sub->callback([&ctx, inputs, chunklist_path] {
    if (!chunklist_path->empty() && inputs->size() != 1)
      throw CLI::ValidationError("--chunklist", "takes exactly one IMAGE");
    ctx.exit_code = run(ctx, *inputs, *chunklist_path);
  });
});

}  // namespace
}  // namespace upscope::cli
