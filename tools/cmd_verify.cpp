// upscope verify IMAGE...: checks every checksum a disk image carries: each UDIF blkx CRC32 over
// its decoded bytes, the master checksum, the data-fork checksum, and GPT header/table CRCs.
#include <fmt/format.h>

#include "cli.hpp"
#include "inspect/progress.hpp"
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

Outcome verify_one(const Context& ctx, const std::string& path) {
  Outcome o;
  o.json["path"] = path;
  auto fail_with = [&](const Error& e) {
    o.ok = false;
    o.json["error"] = reports::to_json(e);
    o.text += fmt::format("{}: error: {}\n", path, e.message());
    return o;
  };
  auto src = FileSource::open(path);
  if (!src) return fail_with(src.error());
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
  o.json["diagnostics"] = reports::to_json(diags);
  if (print_diagnostics(ctx, path, diags)) o.ok = false;
  if (diags.has_errors()) o.ok = false;
  o.json["checks"] = o.checks;
  o.json["ok"] = o.ok;
  o.text += o.checks == 0 ? "no checksums to verify\n"
                          : fmt::format("verdict: {}\n", o.ok ? "all checksums match" : "CHECKSUM MISMATCH");
  return o;
}

int run(Context& ctx, const std::vector<std::string>& inputs) {
  const bool json = ctx.global.output_format() == Format::kJson;
  auto doc = reports::make_document("verify");
  Json items = Json::array();
  std::string text;
  int rc = kExitOk;
  for (const auto& path : inputs) {
    Outcome o = verify_one(ctx, path);
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

const CommandRegistrar reg("verify", 40, [](CLI::App& app, Context& ctx) {
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto* sub = app.add_subcommand("verify", "Verify the checksums of disk images (UDIF blkx/master CRC32, GPT CRCs)");
  sub->add_option("inputs", *inputs, "Disk images")->required();
  sub->footer("Exit codes: 0 every checksum matches; 2 a mismatch or an unreadable image; 3 nothing to verify.");
  sub->callback([&ctx, inputs] { ctx.exit_code = run(ctx, *inputs); });
});

}  // namespace
}  // namespace upscope::cli
