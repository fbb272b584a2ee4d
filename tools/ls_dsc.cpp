// The dyld shared cache lister of `upscope ls CACHE[:/install/path/prefix]`: one row per image with
// install path, UUID, current version, __TEXT size and the layout-independent code hash (see
// formats/dyld_cache/image.cpp), plus with --hash a content hash of the image's bytes. Images are read
// on every core through ordered_parallel_map: at most a few images' sections are in memory at once,
// whatever the size of the cache (the files themselves are memory-mapped).
#include <fmt/format.h>

#include "cli.hpp"
#include "dyld_cache/cache.hpp"
#include "inspect/progress.hpp"
#include "inspect/thread_pool.hpp"
#include "ls_registry.hpp"
#include "reports/dsc.hpp"

namespace upscope::cli {
namespace {

using namespace dyld_cache;

// A listing row and what reading its image reported.
struct Read {
  reports::DscListRow row;
  Diagnostics diags;
};

bool selected(const Image& img, const std::string& prefix) {
  if (prefix.empty() || prefix == "/") return true;
  if (img.path == prefix) return true;
  std::string dir = prefix.ends_with('/') ? prefix : prefix + "/";
  return img.path.starts_with(dir);
}

// The rows of images idx: read together, so that their code hashes run side by side (image_details).
std::vector<Read> read_rows(const Cache& c, std::span<const size_t> idx, bool code_hash, std::optional<HashKind> content) {
  ImageOptions opt;
  opt.exports = opt.function_starts = opt.local_symbols = opt.const_hash = false;
  opt.code_hash = code_hash;
  std::vector<const Image*> imgs;
  for (size_t i : idx) imgs.push_back(&c.images[i]);
  std::vector<Diagnostics> diags(idx.size());
  auto details = c.image_details(imgs, diags, opt);
  std::vector<Read> rows(idx.size());
  for (size_t k = 0; k < idx.size(); ++k) {
    reports::DscListRow& r = rows[k].row;
    r.image = idx[k];
    rows[k].diags = std::move(diags[k]);
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
  auto c = open_cache(input.source, siblings_of(input.source), diags);
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

  reports::DscListing listing;
  listing.image = req.image;
  listing.code_hash = !req.no_code_hash;
  listing.hash = req.hash;
  listing.rows.reserve(picks.size());
  const bool code_hash = listing.code_hash;
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
      [&](size_t, std::vector<Read> batch) {
        c->release_pages();
        for (Read& r : batch) {
          progress.advance(c->images[r.row.image].text_size);
          diags.append(r.diags);
          if (r.row.error) {
            rc = kExitError;
            if (!json) print_error(*r.row.error);
          }
          listing.rows.push_back(std::move(r.row));
        }
        return true;
      });
  progress.finish();
  const int out_rc = json ? emit(ctx, reports::dsc_ls_document(*c, listing, diags))
                          : emit(ctx, reports::dsc_ls_text(*c, listing));
  if (print_diagnostics(ctx, req.image, diags)) rc = kExitError;
  return out_rc != kExitOk ? out_rc : rc;
}

const ListerRegistrar registered_ls_dsc({"dyld-cache"}, list_dsc);

}  // namespace
}  // namespace upscope::cli
