// File content as Sources: a data stream read extent by extent (holes and gaps read as zeros), and
// decmpfs-compressed files decoded one 64 KiB chunk at a time (bounded memory, last chunk cached).
#include <algorithm>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "apfs/volume.hpp"
#include "compress/codec.hpp"

namespace upscope::apfs {

namespace {

constexpr uint64_t kChunk = 65536;                // decmpfs chunk size
constexpr uint64_t kMaxInline = 64ull << 20;      // cap on an inline (non-chunked) decmpfs payload
constexpr uint64_t kMaxChunkInput = 2 * kChunk + 4096;
constexpr uint32_t kDecmpfsMagic = 0x636d7066;    // "fpmc"

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

  Status read_at(uint64_t off, std::span<uint8_t> out) const override {
    if (!range_fits(off, out.size(), size_)) return fail(read_error(off, out.size()));
    const Container& c = vol_->container();
    const uint64_t bs = c.block_size();
    uint64_t pos = off;
    size_t done = 0;
    auto it = std::upper_bound(extents_.begin(), extents_.end(), pos,
                               [](uint64_t p, const Extent& e) { return p < e.logical; });
    if (it != extents_.begin()) --it;
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
  std::shared_ptr<const Volume> vol_;
  std::vector<Extent> extents_;
  uint64_t size_;
  std::string name_;
};

// A chunked decmpfs payload in the resource fork (types 4, 8, 10, 12).
class ChunkedSource final : public Source {
 public:
  struct Chunk { uint64_t off; uint64_t len; };
  ChunkedSource(SourcePtr rsrc, std::vector<Chunk> chunks, uint64_t size, std::optional<compress::Codec> codec,
                uint32_t type, std::string name)
      : rsrc_(std::move(rsrc)), chunks_(std::move(chunks)), size_(size), codec_(codec), type_(type), name_(std::move(name)) {}
  uint64_t size() const override { return size_; }
  std::string name() const override { return name_; }

  Status read_at(uint64_t off, std::span<uint8_t> out) const override {
    if (!range_fits(off, out.size(), size_)) return fail(read_error(off, out.size()));
    std::lock_guard<std::mutex> lk(mu_);
    size_t done = 0;
    while (done < out.size()) {
      uint64_t pos = off + done;
      size_t idx = static_cast<size_t>(pos / kChunk);
      if (idx != cached_) UPSCOPE_CHECK(decode_chunk(idx));
      uint64_t in_chunk = pos - idx * kChunk;
      size_t n = static_cast<size_t>(std::min<uint64_t>(out.size() - done, buf_.size() - in_chunk));
      std::memcpy(out.data() + done, buf_.data() + in_chunk, n);
      done += n;
    }
    return {};
  }

 private:
  Status decode_chunk(size_t idx) const {
    cached_ = SIZE_MAX;
    const std::string what = fmt::format("{}: decmpfs type {} chunk {}", name_, type_, idx);
    if (idx >= chunks_.size()) return fail(ErrorCode::kMalformed, what, "chunk index past the chunk table");
    const Chunk& ch = chunks_[idx];
    uint64_t expect = std::min(kChunk, size_ - idx * kChunk);
    if (ch.len == 0 || ch.len > kMaxChunkInput)
      return fail(ErrorCode::kMalformed, what, fmt::format("compressed length {} is out of range", ch.len));
    in_.resize(ch.len);
    UPSCOPE_CHECK(rsrc_->read_at(ch.off, in_));
    buf_.resize(expect);
    bool raw = !codec_ || (*codec_ == compress::Codec::kZlib && (in_[0] & 0x0f) == 0x0f) ||
               (*codec_ == compress::Codec::kLzvn && in_[0] == 0x06) ||
               (*codec_ == compress::Codec::kLzfse && in_[0] == 0xff);
    if (raw) {
      uint64_t skip = codec_ ? 1 : 0;
      if (in_.size() - skip < expect)
        return fail(ErrorCode::kMalformed, what,
                    fmt::format("stored chunk holds {} bytes, expected {}", in_.size() - skip, expect), ch.off);
      std::memcpy(buf_.data(), in_.data() + skip, expect);
    } else {
      auto n = compress::decode(*codec_, in_, buf_);
      if (!n) {
        Error e = n.error();
        e.structure = what + (e.structure.empty() ? "" : ": " + e.structure);
        return fail(e);
      }
      if (*n != expect)
        return fail(ErrorCode::kMalformed, what, fmt::format("decoded to {} bytes, expected {}", *n, expect), ch.off);
    }
    cached_ = idx;
    return {};
  }

  SourcePtr rsrc_;
  std::vector<Chunk> chunks_;
  uint64_t size_;
  std::optional<compress::Codec> codec_;
  uint32_t type_;
  std::string name_;
  mutable std::mutex mu_;
  mutable size_t cached_ = SIZE_MAX;
  mutable std::vector<uint8_t> buf_, in_;
};

struct DecmpfsKind {
  std::optional<compress::Codec> codec;  // nullopt: stored
  bool rsrc;
  const char* method;
};

std::optional<DecmpfsKind> decmpfs_kind(uint32_t type) {
  using compress::Codec;
  switch (type) {
    case 1: return DecmpfsKind{std::nullopt, false, "none"};
    case 3: return DecmpfsKind{Codec::kZlib, false, "zlib"};
    case 4: return DecmpfsKind{Codec::kZlib, true, "zlib"};
    case 7: return DecmpfsKind{Codec::kLzvn, false, "lzvn"};
    case 8: return DecmpfsKind{Codec::kLzvn, true, "lzvn"};
    case 9: return DecmpfsKind{std::nullopt, false, "none"};
    case 10: return DecmpfsKind{std::nullopt, true, "none"};
    case 11: return DecmpfsKind{Codec::kLzfse, false, "lzfse"};
    case 12: return DecmpfsKind{Codec::kLzfse, true, "lzfse"};
    default: return std::nullopt;
  }
}

const char* decmpfs_unsupported_name(uint32_t type) {
  switch (type) {
    case 5: return "dataless/dedup placeholder";
    case 13: case 14: return "LZBITMAP";
    default: return "unknown";
  }
}

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
    if (head.size() < 16 || load_u32le(head.data()) != kDecmpfsMagic)
      return fail(ErrorCode::kMalformed, fmt::format("{}: inode {}: com.apple.decmpfs", display_name(), ino.id),
                  "header is not 'fpmc' + type + size (16 bytes)");
    Compression c;
    c.type = load_u32le(head.data() + 4);
    c.uncompressed_size = load_u64le(head.data() + 8);
    auto k = decmpfs_kind(c.type);
    c.method = k ? k->method : decmpfs_unsupported_name(c.type);
    c.in_resource_fork = k && k->rsrc;
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
  const Xattr* dx = nullptr;
  const Xattr* rx = nullptr;
  for (const auto& x : xs) {
    if (x.name == "com.apple.decmpfs") dx = &x;
    if (x.name == "com.apple.ResourceFork") rx = &x;
  }
  if (!dx) return fail(ErrorCode::kMalformed, name, "UF_COMPRESSED is set but there is no com.apple.decmpfs xattr");
  UPSCOPE_TRY(auto dsrc, open_xattr(ino, *dx));
  UPSCOPE_TRY(auto dbytes, read_all(*dsrc, kMaxInline));
  const std::string what = name + ": com.apple.decmpfs";
  if (dbytes.size() < 16 || load_u32le(dbytes.data()) != kDecmpfsMagic)
    return fail(ErrorCode::kMalformed, what, "header is not 'fpmc' + type + size (16 bytes)");
  uint32_t type = load_u32le(dbytes.data() + 4);
  uint64_t usize = load_u64le(dbytes.data() + 8);
  auto kind = decmpfs_kind(type);
  if (!kind)
    return fail(ErrorCode::kUnsupported, what,
                fmt::format("compression type {} ({}) is not supported", type, decmpfs_unsupported_name(type)));
  if (!kind->rsrc) {
    // Inline payload after the header, decoded whole (capped: the payload is small by design).
    if (usize > kMaxInline)
      return fail(ErrorCode::kLimit, what, fmt::format("inline payload claims {} bytes, over the {}-byte cap", usize, kMaxInline));
    Bytes payload = Bytes(dbytes).subspan(16);
    std::vector<uint8_t> out(usize);
    bool raw = !kind->codec || payload.empty() ||
               (*kind->codec == compress::Codec::kZlib && (payload[0] & 0x0f) == 0x0f) ||
               (*kind->codec == compress::Codec::kLzvn && payload[0] == 0x06) ||
               (*kind->codec == compress::Codec::kLzfse && payload[0] == 0xff);
    if (raw) {
      uint64_t skip = kind->codec && !payload.empty() ? 1 : 0;
      if (payload.size() - skip < usize)
        return fail(ErrorCode::kMalformed, what,
                    fmt::format("stored payload holds {} bytes, header says {}", payload.size() - skip, usize));
      std::memcpy(out.data(), payload.data() + skip, usize);
    } else {
      auto n = compress::decode(*kind->codec, payload, out);
      if (!n) return fail(ErrorCode::kMalformed, what, "inline payload: " + n.error().message());
      if (*n != usize)
        return fail(ErrorCode::kMalformed, what, fmt::format("inline payload decoded to {} bytes, header says {}", *n, usize));
    }
    return SourcePtr(std::make_shared<MemorySource>(std::move(out), name));
  }
  if (!rx) return fail(ErrorCode::kMalformed, what, fmt::format("type {} needs a com.apple.ResourceFork xattr", type));
  UPSCOPE_TRY(auto rsrc, open_xattr(ino, *rx));
  const uint64_t nchunks = (usize + kChunk - 1) / kChunk;
  std::vector<ChunkedSource::Chunk> chunks;
  const std::string rwhat = name + ": com.apple.ResourceFork";
  if (type == 4) {
    // Resource Manager layout: big-endian fork header, then at 0x100 the data length and a chunk table.
    if (rsrc->size() < 0x108) return fail(ErrorCode::kMalformed, rwhat, "shorter than the 0x108-byte header");
    UPSCOPE_TRY(auto hdr, rsrc->read_vector(0, 0x108));
    uint32_t data_off = load_u32be(hdr.data());
    if (data_off != 0x100)
      return fail(ErrorCode::kMalformed, rwhat, fmt::format("resource data offset 0x{:x} is not 0x100", data_off), 0);
    uint32_t count = load_u32le(hdr.data() + 0x104);
    if (count != nchunks)
      return fail(ErrorCode::kMalformed, rwhat,
                  fmt::format("chunk count {} does not match {} bytes in 64 KiB chunks ({})", count, usize, nchunks), 0x104);
    if (!range_fits(0x108, uint64_t(count) * 8, rsrc->size()))
      return fail(ErrorCode::kMalformed, rwhat, fmt::format("chunk table of {} entries runs past the fork", count), 0x108);
    UPSCOPE_TRY(auto tab, rsrc->read_vector(0x108, uint64_t(count) * 8));
    for (uint32_t i = 0; i < count; ++i) {
      uint64_t off = 0x104ull + load_u32le(tab.data() + 8 * i);
      uint64_t len = load_u32le(tab.data() + 8 * i + 4);
      if (!range_fits(off, len, rsrc->size()))
        return fail(ErrorCode::kMalformed, rwhat, fmt::format("chunk {} [{}, +{}) runs past the fork", i, off, len));
      chunks.push_back({off, len});
    }
  } else {
    // Offset table: (n+1) little-endian u32, the first equal to the table size.
    uint64_t table = (nchunks + 1) * 4;
    if (!range_fits(0, table, rsrc->size()))
      return fail(ErrorCode::kMalformed, rwhat,
                  fmt::format("chunk offset table of {} entries runs past the {}-byte fork", nchunks + 1, rsrc->size()));
    UPSCOPE_TRY(auto tab, rsrc->read_vector(0, table));
    if (load_u32le(tab.data()) != table)
      return fail(ErrorCode::kMalformed, rwhat,
                  fmt::format("first chunk offset {} is not the table size {}", load_u32le(tab.data()), table), 0);
    for (uint64_t i = 0; i < nchunks; ++i) {
      uint64_t a = load_u32le(tab.data() + 4 * i), b = load_u32le(tab.data() + 4 * i + 4);
      if (b < a || b > rsrc->size())
        return fail(ErrorCode::kMalformed, rwhat, fmt::format("chunk {} [{}, {}) is out of order or past the fork", i, a, b),
                    4 * i);
      chunks.push_back({a, b - a});
    }
  }
  return SourcePtr(std::make_shared<ChunkedSource>(std::move(rsrc), std::move(chunks), usize, kind->codec, type, name));
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
