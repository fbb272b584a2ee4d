// Random access to the decoded disk inside a UDIF image without extracting it: the sector map is
// binary-searched, compressed chunks are decoded on demand into a bounded LRU cache (thread-safe; a
// chunk wanted by several threads at once is decoded by one, the others wait for it), raw chunks are
// read straight from the file, and sectors no chunk covers read as zeros.
#pragma once

#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "udif/image.hpp"

namespace upscope::udif {

class ImageSource final : public Source {
 public:
  // cache_bytes bounds the decoded chunks kept in memory (at least one chunk is always kept).
  ImageSource(std::shared_ptr<const Image> image, SourcePtr file, uint64_t cache_bytes = 64ull << 20);

  uint64_t size() const override { return size_; }
  std::string name() const override { return file_->name(); }
  Status read_at(uint64_t off, std::span<uint8_t> out) const override;
  // Drops the pages of the image file that hold [off, off + n) of the disk: a caller that reads the
  // disk once keeps RSS bounded (the decoded chunks' cache is bounded anyway).
  void release(uint64_t off, uint64_t n) const override;
  // Empties the decoded chunks' cache: an image kept open after it was read (for a diff's
  // drill-down) then holds no decoded chunks.
  void drop_caches() const override;

  // Streams [off, off + len) in order to sink, decoding chunks on `jobs` threads (0 = all cores)
  // with a bounded window; bypasses the cache. sink returns false to stop early.
  Status stream(uint64_t off, uint64_t len, unsigned jobs, const std::function<bool(Bytes)>& sink) const;

  const Image& image() const { return *image_; }
  const SourcePtr& file() const { return file_; }
  // Cache statistics (for tests and benchmarks).
  uint64_t cache_hits() const;
  uint64_t cache_misses() const;

 private:
  using Block = std::shared_ptr<const std::vector<uint8_t>>;
  // Buffers of evicted chunks, kept for the next decode: freeing one per chunk made glibc hand its
  // pages back to the kernel (an madvise and a TLB shootdown each time), and a fresh vector is zeroed
  // before the decoder writes every byte of it anyway (docs/reading.md).
  struct Spares {
    // As many as chunks are decoded at once, with a margin, of at most 4 MiB each (a chunk is
    // usually 1 MiB or less); more would only hold memory.
    static constexpr size_t kMax = 8, kMaxBytes = 4u << 20;
    Spares() { free.reserve(kMax); }  // so that giving one back never allocates
    std::mutex mu;
    std::vector<std::unique_ptr<std::vector<uint8_t>>> free;
  };
  Result<Block> decoded(size_t map_index) const;
  // A buffer of n bytes whose contents are about to be overwritten, returned to spares_ when its
  // last reader lets it go.
  std::shared_ptr<std::vector<uint8_t>> buffer(size_t n) const;
  // Index of the map entry holding sector s, or the first one after it (map.size() when none).
  size_t find(uint64_t sector) const;

  std::shared_ptr<const Image> image_;
  SourcePtr file_;
  uint64_t size_;
  uint64_t cache_limit_;

  mutable std::mutex mu_;
  mutable std::list<std::pair<size_t, Block>> lru_;  // most recent first
  mutable std::unordered_map<size_t, std::list<std::pair<size_t, Block>>::iterator> index_;
  mutable std::unordered_map<size_t, std::shared_future<Result<Block>>> decoding_;  // by one thread
  mutable uint64_t cached_bytes_ = 0;
  std::shared_ptr<Spares> spares_ = std::make_shared<Spares>();
  mutable uint64_t hits_ = 0;
  mutable uint64_t misses_ = 0;
};

}  // namespace upscope::udif
