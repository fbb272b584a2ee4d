// The file-system lister of `upscope ls IMAGE[:/path]`: the files of an APFS volume (raw container,
// partitioned disk or disk image) with inode, mode, owner, size, compression and an optional hash.
// Images without an APFS container fall back to the HFS+ lister (ls_hfs.cpp).
#include <fmt/format.h>

#include <atomic>

#include "apfs/json.hpp"
#include "apfs/locate.hpp"
#include "apfs/volume.hpp"
#include "cli.hpp"
#include "inspect/hash.hpp"
#include "inspect/progress.hpp"
#include "inspect/thread_pool.hpp"
#include "ls_hfs.hpp"
#include "ls_registry.hpp"
#include "reports/text_table.hpp"

namespace upscope::cli {
namespace {

struct Row : FileRowTail {
  apfs::FileEntry entry;
  std::optional<apfs::Compression> compression;
};

Row describe(const apfs::Volume& vol, const apfs::FileEntry& e) {
  Row r;
  r.entry = e;
  const auto& ino = e.inode;
  if (auto xs = vol.xattrs(ino.id)) {
    for (const auto& x : *xs) r.xattrs.emplace_back(x.name, x.size());
  } else {
    r.error = xs.error();
  }
  if (ino.is_symlink()) {
    if (auto t = vol.symlink_target(ino)) r.target = *t;
    else r.error = t.error();
  }
  if (ino.compressed()) {
    if (auto c = vol.compression(ino)) r.compression = *c;
    else r.error = c.error();
  }
  return r;
}

uint64_t file_size(const Row& r) {
  const auto& ino = r.entry.inode;
  if (r.compression) return r.compression->uncompressed_size;
  return ino.dstream ? ino.dstream->size : 0;
}

// Hashes every regular file of `rows`: all at once, in volume order, sixteen side by side where SHA-256
// runs in AVX-512 lanes (hash_sources). Each file is opened when its turn comes. Hashed data is not
// read again: its pages are dropped after every 64 MiB hashed, so RSS stays bounded on big images.
void hash_rows(const apfs::Volume& v, std::vector<Row>& rows, HashKind hk, ThreadPool& pool) {
  std::vector<size_t> files;
  SourceBatch batch;
  uint64_t total = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].entry.inode.is_reg()) continue;
    files.push_back(i);
    total += file_size(rows[i]);
  }
  Progress progress(fmt::format("ls '{}' ({})", v.info().name, to_string(hk)), total);
  batch.count = files.size();
  batch.open = [&](size_t k) {
    const auto& e = rows[files[k]].entry;
    return v.open_data(e.inode, e.path);
  };
  constexpr uint64_t kReleaseEvery = 64ull << 20;
  std::atomic<uint64_t> since_release{0};
  batch.hashed = [&](size_t, uint64_t bytes) {
    progress.advance(bytes);
    if (since_release.fetch_add(bytes) + bytes < kReleaseEvery) return;
    since_release = 0;
    v.container().source().release(0, v.container().source().size());
  };
  auto hashes = hash_sources(hk, batch, &pool);
  progress.finish();
  for (size_t k = 0; k < files.size(); ++k) {
    Row& r = rows[files[k]];
    if (hashes[k]) r.hash = std::move(*hashes[k]);
    else if (!r.error) r.error = hashes[k].error();
  }
}

int list_filesystem(Context& ctx, const LsRequest& opt, const IdentifiedInput& input) {
  const bool json = ctx.global.output_format() == Format::kJson;
  const std::optional<HashKind> hk = opt.hash;
  const std::string& image = opt.image;
  std::string path = opt.path;
  if (path.empty()) path = "/";
  Diagnostics diags;
  auto opened = input.source ? apfs::open_source(input.source, &diags) : apfs::open_image(image, &diags);
  // No APFS container in the image: it may hold an HFS+ volume instead.
  if (!opened && opened.error().code == ErrorCode::kNotFound) return list_hfs(ctx, opt, input);
  if (!opened) {
    print_error(opened.error());
    return kExitError;
  }
  const auto& c = *opened->container;
  std::vector<size_t> picks;
  if (!opt.volume.empty()) {
    auto v = c.open_volume(opt.volume);
    if (!v) {
      print_error(v.error());
      return kExitError;
    }
    picks.push_back((*v)->info().index);
  } else {
    for (const auto& v : c.volumes()) picks.push_back(v.index);
  }
  int rc = kExitOk;
  auto doc = reports::make_document("apfs-ls");
  doc["image"] = image;
  doc["located"] = opened->located.how;
  doc["container"] = c.info().uuid;
  reports::Json vols = reports::Json::array();
  std::string text;
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  for (size_t idx : picks) {
    if (c.volumes()[idx].name.empty() && !c.volumes()[idx].error.empty()) {
      rc = kExitError;  // unreadable volume superblock: already among the container's diagnostics
      continue;
    }
    auto vol = c.open_volume(idx);
    if (!vol) {
      diags.add(vol.error());
      rc = kExitError;
      continue;
    }
    auto start = (*vol)->lookup(path);
    if (!start) {
      print_error(start.error().in_file(image));
      rc = kExitError;
      continue;
    }
    std::vector<apfs::FileEntry> entries;
    auto st = (*vol)->walk(*start, path, [&](const apfs::FileEntry& e) {
      entries.push_back(e);
      return true;
    }, diags);
    if (!st) {
      diags.add(st.error());
      rc = kExitError;
    }
    reports::Json files = reports::Json::array();
    reports::TextTable t({"INODE", "MODE", "UID", "GID", "NLINK", "SIZE", "COMPRESSION", hk ? to_string(*hk) : "", "PATH"},
                         {reports::TextTable::Align::kRight, reports::TextTable::Align::kLeft,
                          reports::TextTable::Align::kRight, reports::TextTable::Align::kRight,
                          reports::TextTable::Align::kRight, reports::TextTable::Align::kRight,
                          reports::TextTable::Align::kLeft, reports::TextTable::Align::kLeft,
                          reports::TextTable::Align::kLeft});
    const apfs::Volume& v = **vol;
    // Rows are described on the workers in batches of at most 64 files or about 4 MiB (one task per
    // small file costs a thread wake-up each, a tenth of the CPU on a volume of small files).
    const auto batches = batch_ranges(entries.size(), 64, 4u << 20, [&](size_t i) -> uint64_t {
      const auto& ino = entries[i].inode;
      return ino.dstream ? ino.dstream->size : 0;
    });
    std::vector<Row> rows;
    rows.reserve(entries.size());
    ordered_parallel_map(
        pool, batches.size(), 8,
        [&](size_t b) {
          std::vector<Row> out;
          for (size_t i = batches[b].first; i < batches[b].second; ++i) out.push_back(describe(v, entries[i]));
          return out;
        },
        [&](size_t, std::vector<Row> out) {
          for (auto& r : out) rows.push_back(std::move(r));
          return true;
        });
    if (hk) hash_rows(v, rows, *hk, pool);
    auto emit_row = [&](const Row& r) {
      const auto& ino = r.entry.inode;
      if (r.error) {
        diags.add(r.error->in_file(image));
        rc = kExitError;
      }
      std::string comp = r.compression ? fmt::format("{}({})", r.compression->method,
                                                     r.compression->type)
                                       : "-";
      if (json) {
        reports::Json f;
        f["path"] = r.entry.path;
        auto ij = apfs::to_json(ino);
        f["inode"] = ino.id;
        f["size"] = file_size(r);
        for (auto it = ij.begin(); it != ij.end(); ++it)
          if (!f.contains(it.key())) f[it.key()] = it.value();
        f["type"] = ino.is_dir() ? "directory" : ino.is_symlink() ? "symlink"
                                                 : ino.is_reg()   ? "file"
                                                                  : "other";
        f["compression"] = r.compression ? apfs::to_json(*r.compression) : reports::Json(nullptr);
        add_row_tail(f, r, ino.is_symlink(), hk);
        files.push_back(std::move(f));
      } else {
        std::string p = r.entry.path + (ino.is_symlink() ? " -> " + r.target : "");
        t.add_row({std::to_string(ino.id), fmt::format("{:06o}", ino.mode), std::to_string(ino.uid),
                   std::to_string(ino.gid), std::to_string(ino.nlink()),
                   ino.is_dir() ? "-" : std::to_string(file_size(r)), comp,
                   hk ? (r.hash.empty() ? "-" : r.hash) : "", p});
      }
    };
    for (const auto& r : rows) emit_row(r);
    if (json) {
      reports::Json vj = apfs::to_json(v.info());
      vj["path"] = path;
      vj["files"] = std::move(files);
      vols.push_back(std::move(vj));
    } else {
      if (picks.size() > 1 || !text.empty()) text += fmt::format("volume {} '{}' ({}):\n", idx, v.info().name, v.info().uuid);
      text += t.str();
      if (!text.empty() && text.back() != '\n') text += '\n';
    }
  }
  if (print_diagnostics(ctx, image, diags)) rc = kExitError;
  if (diags.has_errors()) rc = kExitError;
  int out_rc;
  if (json) {
    doc["volumes"] = std::move(vols);
    doc["diagnostics"] = reports::to_json(diags);
    out_rc = emit(ctx, doc);
  } else {
    out_rc = emit(ctx, text);
  }
  return out_rc != kExitOk ? out_rc : rc;
}

const ListerRegistrar reg({"apfs", "udif", "sparseimage", "gpt", "apm", "mbr"}, list_filesystem);

}  // namespace
}  // namespace upscope::cli
