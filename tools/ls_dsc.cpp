// The dyld shared cache lister of `upscope ls CACHE[:/install/path/prefix]`: one row per image with
// install path, UUID, current version, __TEXT size and the layout-independent code hash (see
// formats/dyld_cache/image.cpp), plus with --hash a content hash of the image's bytes. Images are read
// on every core through ordered_parallel_map: at most a few images' sections are in memory at once,
// whatever the size of the cache (the files themselves are memory-mapped).
#include <fmt/format.h>

#include "cli.hpp"
#include "dsc_common.hpp"
#include "inspect/hash.hpp"
#include "inspect/progress.hpp"
#include "inspect/text.hpp"
#include "inspect/thread_pool.hpp"
#include "ls_registry.hpp"
#include "macho/macho.hpp"
#include "reports/text_table.hpp"

namespace upscope::cli {
namespace {

using namespace dyld_cache;

struct Row {
  size_t image = 0;
  std::optional<uint32_t> version;
  std::optional<Uuid> macho_uuid;
  CodeHash code;
  std::string content;
  std::optional<Error> error;
  Diagnostics diags;
};

bool selected(const Image& img, const std::string& prefix) {
  if (prefix.empty() || prefix == "/") return true;
  if (img.path == prefix) return true;
  std::string dir = prefix.ends_with('/') ? prefix : prefix + "/";
  return img.path.starts_with(dir);
}

Row read_row(const Cache& c, size_t i, bool code_hash, std::optional<HashKind> content) {
  Row r;
  r.image = i;
  ImageOptions opt;
  opt.exports = opt.function_starts = opt.local_symbols = opt.const_hash = false;
  opt.code_hash = code_hash;
  auto d = c.image_detail(c.images[i], r.diags, opt);
  if (!d) {
    r.error = d.error();
    return r;
  }
  r.version = d->current_version;
  r.macho_uuid = d->macho.uuid;
  r.code = std::move(d->code);
  if (content) {
    auto h = image_content_hash(c, *d, *content);
    if (h) r.content = *h;
    else r.error = h.error();
  }
  return r;
}

int list_dsc(Context& ctx, const LsRequest& req, const IdentifiedInput& input) {
  const bool json = ctx.global.output_format() == Format::kJson;
  Diagnostics diags;
  auto c = open_cache(input.source, sibling_opener(input.source), diags);
  if (!c) {
    print_error(c.error().in_file(req.image));
    return kExitError;
  }
  std::vector<size_t> picks;
  for (size_t i = 0; i < c->images.size(); ++i)
    if (selected(c->images[i], req.path)) picks.push_back(i);
  if (!req.path.empty() && picks.empty()) {
    Error e = make_error(ErrorCode::kNotFound, "image table", fmt::format("no image install path is or starts with \"{}\"", req.path));
    e.file = req.image;
    print_error(e);
    print_diagnostics(ctx, req.image, diags);
    return kExitError;
  }

  const bool code_hash = !req.no_code_hash;
  const std::string hash_key = req.hash ? to_string(*req.hash) : "";
  auto doc = reports::make_document("dsc-ls");
  doc["path"] = req.image;
  doc["arch"] = c->main().arch;
  doc["uuid"] = uuid_string(Bytes(c->main().header.uuid, 16));
  reports::Json files = reports::Json::array();
  for (const auto& f : c->files) files.push_back(f.name);
  doc["files"] = std::move(files);
  doc["image_count"] = c->images.size();
  doc["code_hash"] = code_hash;
  doc["hash"] = req.hash ? reports::Json(hash_key) : reports::Json(nullptr);
  reports::Json rows = reports::Json::array();

  std::vector<std::string> head = {"PATH", "UUID", "VERSION", "TEXT"};
  if (code_hash) head.push_back("CODE HASH");
  if (req.hash) head.push_back(hash_key);
  reports::TextTable tab(head);

  int rc = kExitOk;
  uint64_t text_total = 0;
  for (size_t i : picks) text_total += c->images[i].text_size;
  Progress progress("ls dyld cache", code_hash || req.hash ? text_total : 0);
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  // Window: enough work queued to keep every thread busy, few enough images held at once.
  ordered_parallel_map(
      pool, picks.size(), size_t(pool.size()) * 4,
      [&](size_t k) { return read_row(*c, picks[k], code_hash, req.hash); },
      [&](size_t k, Row r) {
        const Image& img = c->images[r.image];
        progress.advance(img.text_size);
        if (k % 32 == 31) c->release_pages();  // RSS bounded on multi-GB caches
        diags.append(r.diags);
        std::optional<Uuid> uuid = img.uuid ? img.uuid : r.macho_uuid;
        const std::string uuid_s = uuid ? uuid_string(Bytes(uuid->data(), 16)) : "";
        const std::string version = r.version ? macho::version_string(*r.version) : "";
        reports::Json j{{"index", img.index}, {"path", img.path}, {"address", fmt::format("{:#x}", img.address)}};
        j["uuid"] = uuid ? reports::Json(uuid_s) : reports::Json(nullptr);
        j["current_version"] = r.version ? reports::Json(version) : reports::Json(nullptr);
        j["text_size"] = img.text_size;
        if (auto l = c->locate(img.address)) j["file"] = c->files[l->file].name;
        if (code_hash) {
          j["code_hash"] = r.error ? reports::Json(nullptr) : reports::Json(r.code.sha256);
          j["code_bytes"] = r.code.bytes;
        }
        if (req.hash) j[hash_key] = r.content.empty() ? reports::Json(nullptr) : reports::Json(r.content);
        if (r.error) {
          j["error"] = reports::to_json(*r.error);
          rc = kExitError;
        }
        std::vector<std::string> row = {img.path, uuid ? uuid_s : "-", r.version ? version : "-",
                                        img.text_size ? human_size(img.text_size) : "-"};
        if (code_hash) row.push_back(r.error ? "ERROR" : r.code.sha256);
        if (req.hash) row.push_back(r.content.empty() ? "-" : r.content);
        tab.add_row(std::move(row));
        if (r.error && !json) print_error(*r.error);
        rows.push_back(std::move(j));
        return true;
      });
  progress.finish();
  int out_rc;
  if (json) {
    doc["images"] = std::move(rows);
    doc["diagnostics"] = reports::to_json(diags);
    out_rc = emit(ctx, doc);
  } else {
    out_rc = emit(ctx, tab.str());
  }
  if (print_diagnostics(ctx, req.image, diags)) rc = kExitError;
  return out_rc != kExitOk ? out_rc : rc;
}

const ListerRegistrar reg({"dyld-cache"}, list_dsc);

}  // namespace
}  // namespace upscope::cli
