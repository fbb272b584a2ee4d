#include "ls_volume.hpp"

#include <atomic>

#include <fmt/format.h>

#include "inspect/progress.hpp"

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
  if (hk) {
    // The walk and the descriptions touched every metadata node (~90 MiB of mapped pages for
    // 100,000 files); hashing faults back in the few it needs.
    if (v.backing) v.backing->release(0, v.backing->size());
    hash_rows(v, rows, *hk, pool);
  }
  return rows;
}

}  // namespace upscope::cli
