// File content as Sources: a data stream read extent by extent (holes and gaps read as zeros), and
// decmpfs-compressed files decoded by the shared compress/decmpfs helper.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "apfs/structs.hpp"
#include "apfs/volume.hpp"
#include "compress/codec.hpp"
#include "compress/decmpfs.hpp"

namespace upscope::apfs {

namespace {

constexpr uint64_t kMaxInline = 64ull << 20;      // cap on an inline (non-chunked) decmpfs payload

class StreamSource final : public Source {
 public:
  StreamSource(std::shared_ptr<const Volume> vol, std::vector<Extent> extents, uint64_t size, std::string name)
      : vol_(std::move(vol)), extents_(std::move(extents)), size_(size), name_(std::move(name)) {}
  uint64_t size() const override { return size_; }
  std::string name() const override { return name_; }

  std::optional<Bytes> contiguous() const override {
    // One extent holding the whole stream on a mapped device: hand out the mapping itself.
    if (size_ == 0) return Bytes();
    if (extents_.size() != 1 || extents_[0].logical != 0 || extents_[0].paddr == 0 || extents_[0].length < size_)
      return std::nullopt;
    auto all = vol_->container().source().contiguous();
    if (!all) return std::nullopt;
    uint64_t off = extents_[0].paddr * vol_->container().block_size();
    if (!range_fits(off, size_, all->size())) return std::nullopt;
    return all->subspan(off, size_);
  }

  // A mapped piece of the extent holding off; holes and unmapped devices go through read_at.
  std::optional<Bytes> piece_at(uint64_t off, uint64_t max) const override {
    const Extent* e = extent_at(off);
    if (!e || e->paddr == 0 || off >= size_) return std::nullopt;
    auto all = vol_->container().source().contiguous();
    if (!all) return std::nullopt;
    const uint64_t in_ext = off - e->logical;
    const uint64_t n = std::min({max, e->length - in_ext, size_ - off});
    auto dev = checked_mul(e->paddr, uint64_t(vol_->container().block_size()));
    if (!dev || !checked_add(*dev, in_ext) || !range_fits(*dev + in_ext, n, all->size())) return std::nullopt;
    return all->subspan(static_cast<size_t>(*dev + in_ext), static_cast<size_t>(n));
  }

  // Drops the device pages behind [off, off+n) that lie in extents (hashing releases what it read).
  void release(uint64_t off, uint64_t n) const override {
    const Source& dev = vol_->container().source();
    const uint64_t bs = vol_->container().block_size();
    for (auto it = extent_from(off); it != extents_.end() && it->logical < off + n; ++it) {
      const Extent* e = &*it;
      if (e->paddr == 0) continue;
      const uint64_t from = std::max(off, e->logical), to = std::min(off + n, e->logical + e->length);
      if (from >= to) continue;
      auto base = checked_mul(e->paddr, bs);
      if (!base || !checked_add(*base, from - e->logical)) continue;
      dev.release(*base + (from - e->logical), to - from);
    }
  }

  Status read_at(uint64_t off, std::span<uint8_t> out) const override {
    if (!range_fits(off, out.size(), size_)) return fail(read_error(off, out.size()));
    const Container& c = vol_->container();
    const uint64_t bs = c.block_size();
    uint64_t pos = off;
    size_t done = 0;
    auto it = extent_from(pos);
    while (done < out.size()) {
      while (it != extents_.end() && it->logical + it->length <= pos) ++it;
      uint64_t want = out.size() - done;
      if (it == extents_.end() || it->logical > pos) {
        // A gap between extents or past the last one: a hole.
        uint64_t n = it == extents_.end() ? want : std::min(want, it->logical - pos);
        std::memset(out.data() + done, 0, n);
        done += n;
        pos += n;
        continue;
      }
      uint64_t in_ext = pos - it->logical;
      uint64_t n = std::min(want, it->length - in_ext);
      if (it->paddr == 0) {
        std::memset(out.data() + done, 0, n);
      } else {
        uint64_t dev = it->paddr * bs + in_ext;
        if (!range_fits(dev, n, c.source().size()))
          return fail(ErrorCode::kTruncated, name_,
                      fmt::format("extent at block {} (logical offset {}) lies past the end of the device ({} of {} "
                                  "blocks present)",
                                  it->paddr, it->logical, c.info().device_blocks, c.info().block_count),
                      dev);
        UPSCOPE_CHECK(c.source().read_at(dev, out.subspan(done, n)));
      }
      done += n;
      pos += n;
    }
    return {};
  }

 private:
  // The last extent starting at or before logical offset off (the first one when none does): where a
  // forward scan for off begins.
  std::vector<Extent>::const_iterator extent_from(uint64_t off) const {
    auto it = std::upper_bound(extents_.begin(), extents_.end(), off,
                               [](uint64_t p, const Extent& e) { return p < e.logical; });
    return it == extents_.begin() ? it : std::prev(it);
  }

  // The extent that holds logical offset off, or nullptr when off falls in a hole.
  const Extent* extent_at(uint64_t off) const {
    auto it = extent_from(off);
    return it != extents_.end() && off >= it->logical && off - it->logical < it->length ? &*it : nullptr;
  }

  std::shared_ptr<const Volume> vol_;
  std::vector<Extent> extents_;
  uint64_t size_;
  std::string name_;
};

}  // namespace

Result<SourcePtr> Volume::open_stream(uint64_t private_id, uint64_t size, const std::string& name) const {
  if (size > c_->info().block_count * uint64_t(c_->block_size()) && size > (1ull << 40))
    return fail(ErrorCode::kLimit, name, fmt::format("stream size {} exceeds any plausible container", size));
  UPSCOPE_TRY(auto ext, extents(private_id));
  return SourcePtr(std::make_shared<StreamSource>(shared_from_this(), std::move(ext), size, name));
}

Result<SourcePtr> Volume::open_xattr(const Inode& ino, const Xattr& x) const {
  std::string name = fmt::format("{}:inode {}:{}", display_name(), ino.id, x.name);
  if (x.is_stream()) return open_stream(x.stream_oid, x.stream.size, name);
  return SourcePtr(std::make_shared<MemorySource>(x.embedded, name));
}

namespace {
Result<std::vector<uint8_t>> read_all(const Source& s, uint64_t cap) {
  if (s.size() > cap)
    return fail(ErrorCode::kLimit, s.name(), fmt::format("{} bytes exceed the {}-byte cap", s.size(), cap));
  return s.read_vector(0, s.size());
}
}  // namespace

Result<std::optional<Compression>> Volume::compression(const Inode& ino) const {
  if (!ino.compressed()) return std::optional<Compression>();
  UPSCOPE_TRY(auto xs, xattrs(ino.id));
  return compression(ino, xs);
}

Result<std::optional<Compression>> Volume::compression(const Inode& ino, const std::vector<Xattr>& xs) const {
  if (!ino.compressed()) return std::optional<Compression>();
  for (const auto& x : xs) {
    if (x.name != "com.apple.decmpfs") continue;
    Bytes head;
    std::vector<uint8_t> tmp;
    if (x.is_stream()) {
      UPSCOPE_TRY(auto s, open_xattr(ino, x));
      if (s->size() < 16) return fail(ErrorCode::kMalformed, s->name(), "decmpfs header shorter than 16 bytes");
      UPSCOPE_TRY(tmp, s->read_vector(0, 16));
      head = tmp;
    } else {
      head = x.embedded;
    }
    UPSCOPE_TRY(auto h, compress::decmpfs::parse_header(
                            head, fmt::format("{}: inode {}: com.apple.decmpfs", display_name(), ino.id)));
    Compression c;
    c.type = h.type;
    c.uncompressed_size = h.uncompressed_size;
    c.method = h.method;
    c.in_resource_fork = h.in_resource_fork;
    return std::optional<Compression>(c);
  }
  return fail(ErrorCode::kMalformed, fmt::format("{}: inode {}", display_name(), ino.id),
              "UF_COMPRESSED is set but there is no com.apple.decmpfs xattr");
}

Result<SourcePtr> Volume::open_data(const Inode& ino, const std::string& name_in) const {
  const std::string name = name_in.empty() ? fmt::format("{}:inode {}", display_name(), ino.id)
                                           : fmt::format("{}:{}", display_name(), name_in);
  if (ino.is_dir()) return fail(ErrorCode::kInvalidArgument, name, "is a directory");
  if (!ino.compressed()) {
    if (!ino.dstream) return SourcePtr(std::make_shared<MemorySource>(std::vector<uint8_t>{}, name));
    return open_stream(ino.private_id, ino.dstream->size, name);
  }
  UPSCOPE_TRY(auto xs, xattrs(ino.id));
  Xattr* dx = nullptr;
  const Xattr* rx = nullptr;
  for (auto& x : xs) {
    if (x.name == "com.apple.decmpfs") dx = &x;
    if (x.name == "com.apple.ResourceFork") rx = &x;
  }
  if (!dx) return fail(ErrorCode::kMalformed, name, "UF_COMPRESSED is set but there is no com.apple.decmpfs xattr");
  std::vector<uint8_t> dbytes;
  if (dx->is_stream()) {
    UPSCOPE_TRY(auto dsrc, open_xattr(ino, *dx));
    UPSCOPE_TRY(dbytes, read_all(*dsrc, kMaxInline));
  } else {
    dbytes = std::move(dx->embedded);  // the usual case: taken as it is, not copied through a Source
  }
  return compress::decmpfs::open(
      dbytes, name,
      [&]() -> Result<SourcePtr> {
        if (!rx) {
          auto h = compress::decmpfs::parse_header(dbytes, name + ": com.apple.decmpfs");
          return fail(ErrorCode::kMalformed, name + ": com.apple.decmpfs",
                      fmt::format("type {} needs a com.apple.ResourceFork xattr", h ? h->type : 0));
        }
        return open_xattr(ino, *rx);
      },
      name + ": com.apple.ResourceFork");
}

Result<std::string> Volume::symlink_target(const Inode& ino) const {
  UPSCOPE_TRY(auto xs, xattrs(ino.id));
  for (const auto& x : xs) {
    if (x.name != "com.apple.fs.symlink") continue;
    UPSCOPE_TRY(auto s, open_xattr(ino, x));
    UPSCOPE_TRY(auto bytes, read_all(*s, 1 << 20));
    auto nul = std::find(bytes.begin(), bytes.end(), uint8_t{0});
    return std::string(bytes.begin(), nul);
  }
  return fail(ErrorCode::kNotFound, fmt::format("{}: inode {}", display_name(), ino.id), "symlink has no com.apple.fs.symlink xattr");
}

}  // namespace upscope::apfs
