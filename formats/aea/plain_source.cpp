// The plaintext of an AEA archive as a random-access Source: a read finds its segments by plaintext
// offset and decodes each (HMAC, decryption, decompression, checksum) once, keeping the last few in
// an LRU cache, so memory stays at a few segments whatever the archive's size.
#include <algorithm>
#include <list>
#include <mutex>

#include <fmt/format.h>

#include "aea/aea.hpp"
#include "inspect/limits.hpp"

namespace upscope::aea {

struct PlainSource::Cache {
  std::mutex mu;
  size_t capacity = 8;
  std::list<std::pair<size_t, std::shared_ptr<const std::vector<uint8_t>>>> lru;  // most recent first
};

PlainSource::PlainSource(std::shared_ptr<const Archive> archive, SourcePtr file, size_t cache_segments)
    : archive_(std::move(archive)),
      file_(std::move(file)),
      cache_(std::make_shared<Cache>()),
      checksum_passed_(new std::atomic<bool>[archive_->segments.size()]) {
  cache_->capacity = std::max<size_t>(cache_segments, 1);
  for (size_t i = 0; i < archive_->segments.size(); ++i) checksum_passed_[i] = false;
}

uint64_t PlainSource::size() const { return archive_->root.plain_size; }

std::string PlainSource::name() const { return file_->name() + "[plaintext]"; }

std::shared_ptr<const std::vector<uint8_t>> PlainSource::segment(size_t i, Status& st) const {
  {
    std::lock_guard<std::mutex> lock(cache_->mu);
    for (auto it = cache_->lru.begin(); it != cache_->lru.end(); ++it) {
      if (it->first != i) continue;
      cache_->lru.splice(cache_->lru.begin(), cache_->lru, it);
      return it->second;
    }
  }
  // Decoded outside the lock: two threads may decode the same segment once each, never wrongly.
  auto plain = decode_segment(*archive_, *file_, i, checksum_passed_[i].load());
  if (!plain) {
    Error e = plain.error();
    if (e.file.empty()) e.file = file_->name();
    st = fail(std::move(e));
    return nullptr;
  }
  checksum_passed_[i] = true;
  auto data = std::make_shared<const std::vector<uint8_t>>(std::move(*plain));
  ++checked_;
  // Its stored bytes are no longer needed in the process (a mapped file's pages stay in the page cache).
  const Segment& seg = archive_->segments[i];
  release_around(*file_, seg.data_offset, seg.stored_size);
  std::lock_guard<std::mutex> lock(cache_->mu);
  cache_->lru.emplace_front(i, data);
  if (cache_->lru.size() > cache_->capacity) cache_->lru.pop_back();
  return data;
}

Status PlainSource::read_at(uint64_t off, std::span<uint8_t> out) const {
  if (!range_fits(off, out.size(), size())) return fail(read_error(off, out.size()));
  const auto& segs = archive_->segments;
  size_t done = 0;
  while (done < out.size()) {
    const uint64_t pos = off + done;
    // The last segment starting at or before pos (segments tile the plaintext without gaps).
    auto it = std::upper_bound(segs.begin(), segs.end(), pos,
                               [](uint64_t p, const Segment& s) { return p < s.plain_offset; });
    const size_t i = static_cast<size_t>(it - segs.begin()) - 1;
    Status st;
    auto data = segment(i, st);
    if (!data) return st;
    const uint64_t in_seg = pos - segs[i].plain_offset;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(data->size() - in_seg, out.size() - done));
    std::copy_n(data->begin() + static_cast<ptrdiff_t>(in_seg), n, out.begin() + static_cast<ptrdiff_t>(done));
    done += n;
  }
  return {};
}

Result<std::shared_ptr<const PlainSource>> open_plaintext(SourcePtr file, const Keys& keys) {
  UPSCOPE_TRY(auto archive, open(file, keys));
  // Eight segments (8 MiB at the default segment size), fewer under a tight --max-memory.
  size_t cache = 8;
  while (cache > 1 && !check_memory(uint64_t{archive->root.segment_size} * cache, "AEA segment cache")) cache /= 2;
  UPSCOPE_CHECK(check_memory(archive->root.segment_size, "AEA segment cache"));
  return std::make_shared<const PlainSource>(std::move(archive), std::move(file), cache);
}

Result<SourcePtr> open_decrypted(SourcePtr file, const Keys& keys) {
  UPSCOPE_TRY(auto plain, open_plaintext(std::move(file), keys));
  return SourcePtr(std::move(plain));
}

}  // namespace upscope::aea
