// `upscope ls IMAGE[:/path]` for HFS+ / HFSX volumes (raw, partitioned, or in a disk image): CNID,
// mode, owner, size, compression, xattrs and an optional content hash per file ("hfs-ls" document).
#include "ls_hfs.hpp"

#include <fmt/format.h>

#include "hfs/json.hpp"
#include "hfs/locate.hpp"
#include "hfs/volume.hpp"
#include "inspect/hash.hpp"
#include "inspect/thread_pool.hpp"
#include "reports/text_table.hpp"

namespace upscope::cli {
namespace {

struct Row : FileRowTail {
  hfs::FileEntry entry;
  uint64_t size = 0;
  std::optional<hfs::Compression> compression;
};

const char* type_name(const hfs::CatalogEntry& t) {
  if (t.is_folder()) return "directory";
  if (t.is_symlink()) return "symlink";
  return (t.effective_mode() & 0170000) == 0100000 ? "file" : "other";
}

Row describe(const hfs::Volume& vol, const hfs::FileEntry& e) {
  Row r;
  r.entry = e;
  const auto& t = e.target;
  auto note = [&](const Error& err) {
    if (!r.error) r.error = err;
  };
  if (auto xs = vol.xattrs(t.id)) {
    for (const auto& x : *xs) r.xattrs.emplace_back(x.name, x.size());
  } else {
    note(xs.error());
  }
  if (!t.is_file()) return r;
  if (t.is_symlink()) {
    if (auto s = vol.symlink_target(t)) r.target = *s;
    else note(s.error());
  }
  r.size = t.data.logicalSize;
  if (t.compressed()) {
    if (auto c = vol.compression(t)) {
      r.compression = *c;
      if (*c) r.size = (*c)->uncompressed_size;
    } else {
      note(c.error());
    }
  }
  return r;
}

// The content hash of every regular file of `rows`, side by side where SHA-256 runs in AVX-512 lanes
// (hash_sources), each file opened when its turn comes.
void hash_rows(const hfs::Volume& vol, std::vector<Row>& rows, HashKind hk, ThreadPool& pool) {
  std::vector<size_t> files;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& t = rows[i].entry.target;
    if (t.is_file() && !t.is_symlink() && std::string(type_name(t)) == "file") files.push_back(i);
  }
  SourceBatch batch;
  batch.count = files.size();
  batch.open = [&](size_t k) { return vol.open_data(rows[files[k]].entry.target, rows[files[k]].entry.path); };
  auto hashes = hash_sources(hk, batch, &pool);
  for (size_t k = 0; k < files.size(); ++k) {
    Row& r = rows[files[k]];
    if (hashes[k]) r.hash = std::move(*hashes[k]);
    else if (!r.error) r.error = hashes[k].error();
  }
}

}  // namespace

int list_hfs(Context& ctx, const LsRequest& opt, const IdentifiedInput& input) {
  const bool json = ctx.global.output_format() == Format::kJson;
  const std::optional<HashKind> hk = opt.hash;
  const std::string& image = opt.image;
  const std::string path = opt.path.empty() ? "/" : opt.path;
  Diagnostics diags;
  auto opened = input.source ? hfs::open_source(input.source, &diags) : hfs::open_image(image, &diags);
  if (!opened) {
    print_error(opened.error().in_file(image));
    return kExitError;
  }
  const hfs::Volume& v = *opened->volume;
  int rc = kExitOk;
  std::vector<hfs::FileEntry> entries;
  auto st = v.walk(path, [&](const hfs::FileEntry& e) {
    entries.push_back(e);
    return true;
  }, diags);
  if (!st) {
    print_error(st.error().in_file(image));
    return kExitError;
  }
  auto doc = reports::make_document("hfs-ls");
  doc["image"] = image;
  doc["located"] = opened->located.how;
  reports::Json files = reports::Json::array();
  using A = reports::TextTable::Align;
  reports::TextTable t({"CNID", "MODE", "UID", "GID", "NLINK", "SIZE", "COMPRESSION", hk ? to_string(*hk) : "", "PATH"},
                       {A::kRight, A::kLeft, A::kRight, A::kRight, A::kRight, A::kRight, A::kLeft, A::kLeft, A::kLeft});
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  std::vector<Row> rows;
  rows.reserve(entries.size());
  ordered_parallel_map(pool, entries.size(), 64, [&](size_t i) { return describe(v, entries[i]); },
                       [&](size_t, Row r) {
                         rows.push_back(std::move(r));
                         return true;
                       });
  if (hk) hash_rows(v, rows, *hk, pool);
  for (const Row& r : rows) {
    const auto& tg = r.entry.target;
    if (r.error) {
      diags.add(r.error->in_file(image));
      rc = kExitError;
    }
    auto ij = hfs::to_json(tg);
    if (json) {
      reports::Json f;
      f["path"] = r.entry.path;
      f["inode"] = tg.id;
      f["cnid"] = r.entry.entry.id;
      f["parent"] = r.entry.entry.parent_id;
      f["size"] = r.size;
      for (auto it = ij.begin(); it != ij.end(); ++it)
        if (!f.contains(it.key())) f[it.key()] = it.value();
      f["type"] = type_name(tg);
      f["hard_link"] = r.entry.entry.is_hard_link() || r.entry.entry.is_dir_link();
      f["compression"] = r.compression ? hfs::to_json(*r.compression) : reports::Json(nullptr);
      add_row_tail(f, r, tg.is_symlink(), hk);
      files.push_back(std::move(f));
    } else {
      std::string comp = r.compression ? fmt::format("{}({})", r.compression->method,
                                                     r.compression->type)
                                       : "-";
      std::string p = r.entry.path + (tg.is_symlink() ? " -> " + r.target : "");
      t.add_row({std::to_string(tg.id), ij["mode"].get<std::string>(), std::to_string(tg.owner_id),
                 std::to_string(tg.group_id), std::to_string(ij["nlink"].get<uint64_t>()),
                 tg.is_folder() ? "-" : std::to_string(r.size), comp,
                 hk ? (r.hash.empty() ? "-" : r.hash) : "", p});
    }
  }
  if (print_diagnostics(ctx, image, diags)) rc = kExitError;
  if (diags.has_errors()) rc = kExitError;
  int out_rc;
  if (json) {
    reports::Json vj = hfs::to_json(v.info());
    vj["path"] = path;
    vj["files"] = std::move(files);
    reports::Json vols = reports::Json::array();
    vols.push_back(std::move(vj));
    doc["volumes"] = std::move(vols);
    doc["diagnostics"] = reports::to_json(diags);
    out_rc = emit(ctx, doc);
  } else {
    out_rc = emit(ctx, t.str());
  }
  return out_rc != kExitOk ? out_rc : rc;
}

namespace {
const ListerRegistrar reg({"hfsplus", "hfsx", "hfs"}, list_hfs);
}  // namespace

void add_row_tail(reports::Json& f, const FileRowTail& r, bool symlink, std::optional<HashKind> hk) {
  if (symlink) f["symlink_target"] = r.target;
  if (hk) f[to_string(*hk)] = r.hash.empty() ? reports::Json(nullptr) : reports::Json(r.hash);
  reports::Json xs = reports::Json::array();
  for (const auto& [n, s] : r.xattrs) xs.push_back({{"name", n}, {"size", s}});
  f["xattrs"] = xs;
  if (r.error) f["error"] = reports::to_json(*r.error);
}

}  // namespace upscope::cli
