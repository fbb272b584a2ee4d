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

// The rows of images idx: read together, so that their code hashes run side by side (image_details).
std::vector<Row> read_rows(const Cache& c, std::span<const size_t> idx, bool code_hash, std::optional<HashKind> content) {
  ImageOptions opt;
  opt.exports = opt.function_starts = opt.local_symbols = opt.const_hash = false;
  opt.code_hash = code_hash;
  std::vector<const Image*> imgs;
  for (size_t i : idx) imgs.push_back(&c.images[i]);
  std::vector<Diagnostics> diags(idx.size());
  auto details = c.image_details(imgs, diags, opt);
  std::vector<Row> rows(idx.size());
  for (size_t k = 0; k < idx.size(); ++k) {
    Row& r = rows[k];
    r.image = idx[k];
    r.diags = std::move(diags[k]);
    auto& d = details[k];
    if (!d) {
      r.error = d.error();
      continue;
    }
    r.version = d->current_version;
    r.macho_uuid = d->macho.uuid;
    r.code = std::move(d->code);
    if (content) {
      auto h = image_content_hash(c, *d, *content);
      if (h) r.content = *h;
      else r.error = h.error();
    }
  }
  return rows;
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
  // 32 images per task (their code hashes run side by side); the window keeps every thread busy with
  // few images held at once; pages are dropped after every batch (RSS bounded on multi-GB caches).
  const auto batches = batch_ranges(picks.size(), 32, UINT64_MAX, [](size_t) { return uint64_t{0}; });
  ordered_parallel_map(
      pool, batches.size(), size_t(pool.size()) * 2,
      [&](size_t b) {
        auto [first, last] = batches[b];
        return read_rows(*c, std::span(picks).subspan(first, last - first), code_hash, req.hash);
      },
      [&](size_t, std::vector<Row> batch) {
        c->release_pages();
        for (Row& r : batch) {
          const Image& img = c->images[r.image];
          progress.advance(img.text_size);
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
        }
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

const ListerRegistrar registered_ls_dsc({"dyld-cache"}, list_dsc);

}  // namespace
}  // namespace upscope::cli
