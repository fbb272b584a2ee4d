#include "ls_volume.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>

#include <fmt/format.h>

#include "inspect/progress.hpp"

namespace upscope::cli {

namespace {

// Hashes every regular file of `rows`: all at once, sixteen side by side where SHA-256 runs in
// AVX-512 lanes (hash_sources), in the order their data lies (VolumeFiles::place), each thread taking
// 64 neighbours at a time. Through a disk image that decodes each compressed chunk about once (in
// listing order, a 10.9 GB dmg decoded its chunks many times over and held 4.7 GB). Each file is
// opened when its turn comes. Hashed data is not read again: its pages are dropped after every
// 64 MiB hashed, so RSS stays bounded on big images. Rows go to `sink` as soon as they and every row
// before them are complete, so the JSON of a big volume is written while it is hashed and a row's
// memory is freed once it is handed on.
void hash_rows(const VolumeFiles& v, std::deque<VolumeRow>& rows, HashKind hk, ThreadPool& pool,
               const std::function<void(size_t, VolumeRow)>& sink) {
  std::vector<size_t> files;
  std::vector<uint8_t> complete(rows.size(), 1);
  uint64_t total = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].regular) continue;
    files.push_back(i);
    complete[i] = 0;
    total += rows[i].size;
  }
  if (v.place) {
    std::vector<std::pair<uint64_t, size_t>> by_place;
    by_place.reserve(files.size());
    for (size_t i : files) by_place.emplace_back(v.place(i), i);
    std::stable_sort(by_place.begin(), by_place.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t k = 0; k < files.size(); ++k) files[k] = by_place[k].second;
  }
  std::mutex mu;
  size_t next = 0;  // the first row not yet handed on, now rows.front() (under mu)
  auto hand_on_complete = [&] {
    for (; next < complete.size() && complete[next]; ++next) {
      sink(next, std::move(rows.front()));
      rows.pop_front();
    }
  };
  hand_on_complete();
  Progress progress(fmt::format("ls '{}' ({})", v.name, to_string(hk)), total);
  SourceBatch batch;
  batch.count = files.size();
  batch.open = [&](size_t k) { return v.open_data(files[k]); };
  batch.run = 64;
  batch.deliver = [&](size_t k, Result<std::string> digest) {
    std::lock_guard lock(mu);
    VolumeRow& r = rows[files[k] - next];
    if (digest) r.hash = std::move(*digest);
    else if (!r.error) r.error = digest.error();
    complete[files[k]] = 1;
    hand_on_complete();
  };
  constexpr uint64_t kReleaseEvery = 64ull << 20;
  std::atomic<uint64_t> since_release{0};
  batch.hashed = [&](size_t, uint64_t bytes) {
    progress.advance(bytes);
    if (!v.backing || since_release.fetch_add(bytes) + bytes < kReleaseEvery) return;
    since_release = 0;
    v.backing->release(0, v.backing->size());
  };
  hash_sources(hk, batch, &pool);
  progress.finish();
}

}  // namespace

void list_volume_files(const VolumeFiles& v, std::optional<HashKind> hk, ThreadPool& pool,
                       const std::function<void(size_t, VolumeRow)>& sink) {
  // Rows are described on the workers in batches of at most 64 files or about 4 MiB (one task per
  // small file costs a thread wake-up each, a tenth of the CPU on a volume of small files).
  const auto batches = batch_ranges(v.count, 64, 4u << 20, v.stored_size);
  std::deque<VolumeRow> rows;  // freed from the front as rows are handed on
  ordered_parallel_map(
      pool, batches.size(), 8,
      [&](size_t b) {
        std::vector<VolumeRow> out;
        for (size_t i = batches[b].first; i < batches[b].second; ++i) out.push_back(v.describe(i));
        return out;
      },
      [&](size_t b, std::vector<VolumeRow> out) {
        for (size_t k = 0; k < out.size(); ++k) {
          if (hk) rows.push_back(std::move(out[k]));
          else sink(batches[b].first + k, std::move(out[k]));  // nothing to wait for
        }
        return true;
      });
  if (!hk) return;
  // The walk and the descriptions touched every metadata node (~90 MiB of mapped pages for 100,000
  // files); hashing faults back in the few it needs.
  if (v.backing) v.backing->release(0, v.backing->size());
  hash_rows(v, rows, *hk, pool, sink);
}

ListingOutput::ListingOutput(const Context& ctx, reports::VolumeListing header, Diagnostics& diags)
    : ctx_(ctx), image_(header.image), diags_(diags) {
  if (ctx.global.output_format() != Format::kJson) {
    text_ = std::make_unique<reports::VolumeListingText>(header);
    return;
  }
  out_ = std::make_unique<Output>(ctx.global);
  if (!out_->ready()) return;
  json_ = std::make_unique<reports::VolumeListingJsonWriter>(out_->stream(), header);
}

void ListingOutput::begin_volume(const reports::Json& info, const std::string& heading, const std::string& path,
                                 size_t count) {
  if (json_) json_->begin_volume(info, path);
  else text_->begin_volume(heading, count);
}

void ListingOutput::row(VolumeRow r) {
  if (r.error) {
    diags_.add(r.error->in_file(image_));
    row_errors_ = true;
  }
  if (json_) json_->row(r);
  else text_->row(r);
}

void ListingOutput::end_volume() {
  if (json_) json_->end_volume();
}

int ListingOutput::finish(int rc) {
  if (print_diagnostics(ctx_, image_, diags_) || row_errors_ || diags_.has_errors()) rc = kExitError;
  int out_rc;
  if (json_) {
    json_->finish(diags_);
    out_rc = out_->close();
  } else {
    out_rc = emit(ctx_, text_->str());
  }
  return out_rc != kExitOk ? out_rc : rc;
}

}  // namespace upscope::cli
