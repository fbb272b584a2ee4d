#include "udif/image_source.hpp"

#include <algorithm>
#include <cstring>

#include "inspect/limits.hpp"
#include "udif/chunk_stream.hpp"

namespace upscope::udif {

ImageSource::ImageSource(std::shared_ptr<const Image> image, SourcePtr file, uint64_t cache_bytes)
    : image_(std::move(image)),
      file_(std::move(file)),
      size_(image_->size_bytes()),
      cache_limit_(clamp_to_memory_limit(cache_bytes)) {}

size_t ImageSource::find(uint64_t sector) const {
  const auto& map = image_->map;
  auto it = std::upper_bound(map.begin(), map.end(), sector,
                             [](uint64_t s, const MapEntry& e) { return s < e.sector; });
  if (it != map.begin()) {
    auto prev = std::prev(it);
    if (sector < prev->sector + prev->sectors) return static_cast<size_t>(prev - map.begin());
  }
  return static_cast<size_t>(it - map.begin());
}

std::shared_ptr<std::vector<uint8_t>> ImageSource::buffer(size_t n) const {
  std::unique_ptr<std::vector<uint8_t>> v;
  {
    std::lock_guard<std::mutex> lk(spares_->mu);
    if (!spares_->free.empty()) {
      v = std::move(spares_->free.back());
      spares_->free.pop_back();
    }
  }
  if (!v) v = std::make_unique<std::vector<uint8_t>>();
  v->resize(n);  // no zeroing up to the size it had
  return std::shared_ptr<std::vector<uint8_t>>(v.release(), [spares = spares_](std::vector<uint8_t>* p) {
    std::unique_ptr<std::vector<uint8_t>> owned(p);
    std::lock_guard<std::mutex> lk(spares->mu);
    if (spares->free.size() < Spares::kMax && owned->capacity() <= Spares::kMaxBytes)
      spares->free.push_back(std::move(owned));
  });
}

Result<ImageSource::Block> ImageSource::decoded(size_t i) const {
  std::promise<Result<Block>> mine;
  {
    std::unique_lock<std::mutex> lk(mu_);
    auto it = index_.find(i);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++hits_;
      return it->second->second;
    }
    // Another thread is decoding it: wait for that instead of decoding it twice (hashing threads
    // reading neighbouring files want the same chunks at the same time).
    if (auto d = decoding_.find(i); d != decoding_.end()) {
      std::shared_future<Result<Block>> pending = d->second;
      ++hits_;
      lk.unlock();
      return pending.get();
    }
    ++misses_;
    decoding_.emplace(i, mine.get_future().share());
  }
  // Decoded outside the lock so other threads keep reading other chunks.
  auto decode = [&]() -> Result<Block> {
    const MapEntry& e = image_->map[i];
    const Chunk& c = image_->chunk(e);
    if (auto st = check_memory(c.bytes(),
                               "mish block " + std::to_string(image_->blkx[e.blkx].ordinal) + ": chunk " +
                                   std::to_string(c.index),
                               c.offset);
        !st)
      return fail(st.error().in_file(image_->name));
    auto buf = buffer(static_cast<size_t>(c.bytes()));
    UPSCOPE_CHECK(decode_chunk(*image_, *file_, e, *buf));
    // The chunk's payload has been read into the cache: drop its pages from the process, or a
    // multi-GB file read in one go (a dyld cache in a cryptex dmg) keeps the whole image resident.
    file_->release(c.offset, c.length);
    return Block(std::move(buf));
  };
  Result<Block> r = decode();
  std::lock_guard<std::mutex> lk(mu_);
  decoding_.erase(i);
  mine.set_value(r);
  if (!r) return r;
  const Block& block = *r;
  lru_.emplace_front(i, block);
  index_[i] = lru_.begin();
  cached_bytes_ += block->size();
  while (cached_bytes_ > cache_limit_ && lru_.size() > 1) {
    cached_bytes_ -= lru_.back().second->size();
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return r;
}

Status ImageSource::read_at(uint64_t off, std::span<uint8_t> out) const {
  if (!range_fits(off, out.size(), size_)) return fail(read_error(off, out.size()));
  const auto& map = image_->map;
  uint64_t pos = off;
  size_t done = 0;
  size_t i = find(pos / kSectorSize);
  while (done < out.size()) {
    const uint64_t want = out.size() - done;
    if (i >= map.size() || pos < map[i].sector * kSectorSize) {
      // A gap: up to the next chunk (or the end) reads as zeros.
      uint64_t gap = i < map.size() ? map[i].sector * kSectorSize - pos : want;
      gap = std::min(gap, want);
      std::memset(out.data() + done, 0, static_cast<size_t>(gap));
      done += gap;
      pos += gap;
      continue;
    }
    const MapEntry& e = map[i];
    const Chunk& c = image_->chunk(e);
    const uint64_t skip = pos - e.sector * kSectorSize;
    const uint64_t n = std::min(want, c.bytes() - skip);
    std::span<uint8_t> dst = out.subspan(done, static_cast<size_t>(n));
    if (c.type == kChunkZero || c.type == kChunkIgnore) {
      std::memset(dst.data(), 0, dst.size());
    } else if (c.type == kChunkRaw) {
      UPSCOPE_CHECK(file_->read_at(c.offset + skip, dst));
    } else {
      UPSCOPE_TRY(Block b, decoded(i));
      std::memcpy(dst.data(), b->data() + skip, dst.size());
    }
    done += n;
    pos += n;
    ++i;
  }
  return {};
}

void ImageSource::release(uint64_t off, uint64_t n) const {
  if (n == 0 || off >= size_) return;
  const auto& map = image_->map;
  const uint64_t end = off + std::min(n, size_ - off);
  // Chunks lie in the file in disk order as hdiutil writes them; one span from the first chunk's
  // payload to the last one's covers them either way.
  uint64_t lo = UINT64_MAX, hi = 0;
  for (size_t i = find(off / kSectorSize); i < map.size() && map[i].sector * kSectorSize < end; ++i) {
    const Chunk& c = image_->chunk(map[i]);
    if (c.type == kChunkZero || c.type == kChunkIgnore || c.length == 0) continue;
    lo = std::min(lo, c.offset);
    hi = std::max(hi, c.offset + c.length);
  }
  if (lo < hi) file_->release(lo, hi - lo);
}

void ImageSource::drop_caches() const {
  {
    std::lock_guard<std::mutex> lk(mu_);
    lru_.clear();
    index_.clear();
    cached_bytes_ = 0;
  }
  std::lock_guard<std::mutex> lk(spares_->mu);
  spares_->free.clear();
}

Status ImageSource::stream(uint64_t off, uint64_t len, unsigned jobs, const std::function<bool(Bytes)>& sink) const {
  if (!range_fits(off, len, size_)) return fail(read_error(off, len));
  const auto& map = image_->map;
  std::vector<Segment> segs;
  uint64_t pos = off;
  const uint64_t end = off + len;
  for (size_t i = find(pos / kSectorSize); pos < end;) {
    if (i >= map.size() || pos < map[i].sector * kSectorSize) {
      const uint64_t stop = i < map.size() ? std::min(end, map[i].sector * kSectorSize) : end;
      segs.push_back({std::nullopt, 0, stop - pos});
      pos = stop;
      continue;
    }
    const MapEntry& e = map[i];
    const uint64_t start = e.sector * kSectorSize;
    const uint64_t skip = pos - start;
    const uint64_t n = std::min(end - pos, image_->chunk(e).bytes() - skip);
    segs.push_back({e, skip, n});
    pos += n;
    ++i;
  }
  return stream_segments(*image_, *file_, segs, jobs, sink);
}

uint64_t ImageSource::cache_hits() const {
  std::lock_guard<std::mutex> lk(mu_);
  return hits_;
}
uint64_t ImageSource::cache_misses() const {
  std::lock_guard<std::mutex> lk(mu_);
  return misses_;
}

}  // namespace upscope::udif
