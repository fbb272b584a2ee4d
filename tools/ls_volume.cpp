#include "ls_volume.hpp"

#include <atomic>

#include <fmt/format.h>

#include "inspect/progress.hpp"
#include "reports/text_table.hpp"

namespace upscope::cli {

namespace {

// Hashes every regular file of `rows`: all at once, in volume order, sixteen side by side where
// SHA-256 runs in AVX-512 lanes (hash_sources). Each file is opened when its turn comes. Hashed data
// is not read again: its pages are dropped after every 64 MiB hashed, so RSS stays bounded on big
// images.
void hash_rows(const VolumeFiles& v, std::vector<VolumeRow>& rows, HashKind hk, ThreadPool& pool) {
  std::vector<size_t> files;
  uint64_t total = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].regular) continue;
    files.push_back(i);
    total += rows[i].size;
  }
  Progress progress(fmt::format("ls '{}' ({})", v.name, to_string(hk)), total);
  SourceBatch batch;
  batch.count = files.size();
  batch.open = [&](size_t k) { return v.open_data(files[k]); };
  constexpr uint64_t kReleaseEvery = 64ull << 20;
  std::atomic<uint64_t> since_release{0};
  batch.hashed = [&](size_t, uint64_t bytes) {
    progress.advance(bytes);
    if (!v.backing || since_release.fetch_add(bytes) + bytes < kReleaseEvery) return;
    since_release = 0;
    v.backing->release(0, v.backing->size());
  };
  auto hashes = hash_sources(hk, batch, &pool);
  progress.finish();
  for (size_t k = 0; k < files.size(); ++k) {
    VolumeRow& r = rows[files[k]];
    if (hashes[k]) r.hash = std::move(*hashes[k]);
    else if (!r.error) r.error = hashes[k].error();
  }
}

}  // namespace

std::vector<VolumeRow> list_volume_files(const VolumeFiles& v, std::optional<HashKind> hk, ThreadPool& pool) {
  // Rows are described on the workers in batches of at most 64 files or about 4 MiB (one task per
  // small file costs a thread wake-up each, a tenth of the CPU on a volume of small files).
  const auto batches = batch_ranges(v.count, 64, 4u << 20, v.stored_size);
  std::vector<VolumeRow> rows;
  rows.reserve(v.count);
  ordered_parallel_map(
      pool, batches.size(), 8,
      [&](size_t b) {
        std::vector<VolumeRow> out;
        for (size_t i = batches[b].first; i < batches[b].second; ++i) out.push_back(v.describe(i));
        return out;
      },
      [&](size_t, std::vector<VolumeRow> out) {
        for (auto& r : out) rows.push_back(std::move(r));
        return true;
      });
  if (hk) hash_rows(v, rows, *hk, pool);
  return rows;
}

RenderedRows render_volume_rows(const std::vector<VolumeRow>& rows, const char* id_header, std::optional<HashKind> hk,
                                bool json, Diagnostics& diags, const std::string& image) {
  RenderedRows out;
  using A = reports::TextTable::Align;
  reports::TextTable t({id_header, "MODE", "UID", "GID", "NLINK", "SIZE", "COMPRESSION", hk ? to_string(*hk) : "", "PATH"},
                       {A::kRight, A::kLeft, A::kRight, A::kRight, A::kRight, A::kRight, A::kLeft, A::kLeft, A::kLeft});
  for (const VolumeRow& r : rows) {
    if (r.error) {
      diags.add(r.error->in_file(image));
      out.had_errors = true;
    }
    if (json) {
      reports::Json f = r.head;
      if (r.symlink) f["symlink_target"] = r.target;
      if (hk) f[to_string(*hk)] = r.hash.empty() ? reports::Json(nullptr) : reports::Json(r.hash);
      reports::Json xs = reports::Json::array();
      for (const auto& [n, s] : r.xattrs) xs.push_back({{"name", n}, {"size", s}});
      f["xattrs"] = xs;
      if (r.error) f["error"] = reports::to_json(*r.error);
      out.json.push_back(std::move(f));
    } else {
      t.add_row({std::to_string(r.id), r.mode, std::to_string(r.uid), std::to_string(r.gid), std::to_string(r.nlink),
                 r.directory ? "-" : std::to_string(r.size), r.compression, hk ? (r.hash.empty() ? "-" : r.hash) : "",
                 r.path + (r.symlink ? " -> " + r.target : "")});
    }
  }
  if (!json) out.table = t.str();
  return out;
}

}  // namespace upscope::cli
