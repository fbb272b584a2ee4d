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
#include "reports/text_table.hpp"
#include "udif/disk_image.hpp"
#include "udif/json.hpp"

namespace upscope::cli {
namespace {

using reports::Json;

struct Outcome {
  Json json;
  std::string text;
  int checks = 0;
  bool ok = true;
};

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

// The chunklist check of one image: its JSON member, its text, its outcome.
void verify_chunklist(const Context& ctx, const std::string& path, const SourcePtr& image, const std::string& cl_path,
                      bool given, Outcome& o, std::string& text) {
  Json j;
  j["path"] = cl_path;
  j["source"] = given ? "given" : "beside";
  text += fmt::format("chunklist {} ({}):\n", cl_path, given ? "given with --chunklist" : "found beside the image");
  auto error = [&](const Error& e) {
    o.ok = false;
    j["error"] = reports::to_json(e);
    text += fmt::format("  error: {}\n", e.message());
    o.json["chunklist"] = std::move(j);
  };
  auto src = FileSource::open(cl_path);
  if (!src) return error(src.error());
  auto cl = chunklist::parse(**src);
  if (!cl) return error(cl.error().in_file(cl_path));
  if (print_diagnostics(ctx, cl_path, cl->diagnostics) || cl->diagnostics.has_errors()) o.ok = false;
  j["diagnostics"] = reports::to_json(cl->diagnostics);

  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  Progress progress("chunklist", std::min(cl->total_bytes, image->size()));
  chunklist::VerifyOptions vo;
  vo.pool = &pool;
  vo.progress = [&](uint64_t n) { progress.advance(n); };
  const auto rep = chunklist::verify(*cl, image, vo);
  progress.finish();
  o.checks += static_cast<int>(std::min<uint64_t>(rep.checked, INT32_MAX / 2)) + 1;  // the chunks and the size
  o.ok &= rep.ok();

  j["chunk_count"] = cl->chunks.size();
  j["result"] = chunklist::to_json(rep);
  j["signature"] = {{"method", cl->signature_method},
                    {"method_name", chunklist::signature_method_name(cl->signature_method)},
                    {"length", cl->signature_length},
                    {"verified", false},
                    {"note", chunklist::kSignatureNote}};
  if (!rep.failures.empty()) {
    const auto& f = rep.failures.front();
    j["first_bad_chunk"] = {{"index", f.index}, {"offset", f.offset}, {"size", f.size}, {"reason", f.reason}};
  }
  for (const auto& f : rep.failures) {
    text += fmt::format("  chunk {} at offset {} ({:#x}), {} bytes: {}", f.index, f.offset, f.offset, f.size, f.reason);
    text += f.computed.empty() ? "\n" : fmt::format(": expected {}, computed {}\n", f.expected, f.computed);
    if (&f - rep.failures.data() >= 9 && rep.failure_count > 10) {
      text += fmt::format("  ... {} more failing chunks (--json lists up to {})\n", rep.failure_count - 10,
                          chunklist::kMaxFailures);
      break;
    }
  }
  if (!rep.size_ok())
    text += fmt::format("  size mismatch: the chunks cover {} bytes, {} has {}\n", rep.covered, path, rep.image_size);
  if (rep.ok())
    text += fmt::format("  all {} chunk SHA-256s match; the chunks cover all {} bytes\n", rep.matched, rep.image_size);
  else if (!rep.failures.empty())
    text += fmt::format("  FAILED: first bad chunk {} at offset {}\n", rep.failures.front().index,
                        rep.failures.front().offset);
  else
    text += "  FAILED: the chunks do not cover the image exactly\n";
  text += fmt::format("  signature ({}, {} bytes): {}\n", chunklist::signature_method_name(cl->signature_method),
                      cl->signature_length, chunklist::kSignatureNote);
  o.json["chunklist"] = std::move(j);
}

Outcome verify_one(const Context& ctx, const std::string& path, const std::string& given_chunklist) {
  Outcome o;
  o.json["path"] = path;
  std::string chunklist_text;  // printed after the disk image's checks
  auto fail_with = [&](const Error& e) {
    o.ok = false;
    o.json["error"] = reports::to_json(e);
    o.text += fmt::format("{}: error: {}\n", path, e.message()) + chunklist_text;
    return o;
  };
  auto src = FileSource::open(path);
  if (!src) return fail_with(src.error());
  // The chunklist covers the file as stored, so it is checked even when the image cannot be opened.
  const std::string cl_path = given_chunklist.empty() ? chunklist_beside(path) : given_chunklist;
  if (!cl_path.empty()) verify_chunklist(ctx, path, *src, cl_path, !given_chunklist.empty(), o, chunklist_text);
  Diagnostics diags;
  auto img = udif::open_disk_image(*src, &diags);
  if (!img) return fail_with(img.error().in_file(path));
  o.json["kind"] = udif::to_string(img->kind);
  o.text += fmt::format("{}: {}\n", path, udif::to_string(img->kind));
  if (img->udif) {
    const udif::Image& im = *img->udif;
    Progress progress("verify", im.size_bytes());
    auto rep = udif::verify(im, *img->file, ctx.global.jobs, &progress);
    progress.finish();
    o.json["udif"] = udif::to_json(rep, im);
    reports::TextTable t({"#", "NAME", "STORED", "COMPUTED", "RESULT"});
    for (size_t i = 0; i < rep.blkx.size(); ++i) {
      const auto& b = rep.blkx[i];
      std::string result = b.error ? "ERROR: " + b.error->message()
                           : !b.checked ? "not checksummed"
                           : b.ok()     ? "ok"
                                        : "MISMATCH";
      if (b.checked || b.error) ++o.checks;
      t.add_row({std::to_string(b.ordinal), im.blkx[i].name, b.checked ? udif::crc_hex(b.stored) : "-",
                 udif::crc_hex(b.computed), result});
    }
    o.text += t.str();
    if (rep.master_checked) {
      ++o.checks;
      o.text += fmt::format("master checksum: stored {} computed {}: {}\n", udif::crc_hex(rep.master_stored),
                            udif::crc_hex(rep.master_computed),
                            rep.master_stored == rep.master_computed ? "ok" : "MISMATCH");
    }
    if (rep.data_fork_checked) {
      ++o.checks;
      o.text += fmt::format("data fork checksum: stored {} computed {}: {}\n", udif::crc_hex(rep.data_fork_stored),
                            udif::crc_hex(rep.data_fork_computed),
                            rep.data_fork_stored == rep.data_fork_computed ? "ok" : "MISMATCH");
    }
    o.ok &= rep.ok();
  }
  auto map = partition::read_partition_map(img->disk, &diags);
  if (map && map->gpt) {
    o.checks += 2;
    o.json["gpt"] = {{"header_crc_ok", map->gpt->header_crc_ok}, {"table_crc_ok", map->gpt->table_crc_ok}};
    o.text += fmt::format("GPT header CRC32 {:08x}: {}; table CRC32 {:08x}: {}\n", map->gpt->header_crc,
                          map->gpt->header_crc_ok ? "ok" : "MISMATCH", map->gpt->table_crc,
                          map->gpt->table_crc_ok ? "ok" : "MISMATCH");
    o.ok &= map->gpt->header_crc_ok && map->gpt->table_crc_ok;
  }
  o.text += chunklist_text;
  o.json["diagnostics"] = reports::to_json(diags);
  if (print_diagnostics(ctx, path, diags)) o.ok = false;
  if (diags.has_errors()) o.ok = false;
  o.json["checks"] = o.checks;
  o.json["ok"] = o.ok;
  o.text += o.checks == 0 && o.ok ? "no checksums to verify\n"
                          : fmt::format("verdict: {}\n", o.ok ? "all checksums match" : "CHECKSUM MISMATCH");
  return o;
}

int run(Context& ctx, const std::vector<std::string>& inputs, const std::string& chunklist_path) {
  const bool json = ctx.global.output_format() == Format::kJson;
  auto doc = reports::make_document("verify");
  Json items = Json::array();
  std::string text;
  int rc = kExitOk;
  for (const auto& path : inputs) {
    Outcome o = verify_one(ctx, path, chunklist_path);
    if (!o.ok)
      rc = kExitError;
    else if (o.checks == 0 && rc == kExitOk)
      rc = kExitUndetermined;
    text += o.text;
    items.push_back(std::move(o.json));
  }
  doc["inputs"] = std::move(items);
  int out_rc = json ? emit(ctx, doc) : emit(ctx, text);
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
