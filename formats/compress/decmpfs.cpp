// decmpfs decoding: inline payloads whole, resource-fork payloads one 64 KiB chunk at a time
// (bounded memory, last chunk cached), for both file systems that use it.
#include "compress/decmpfs.hpp"

#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "inspect/limits.hpp"

namespace upscope::compress::decmpfs {

namespace {

constexpr uint64_t kMaxInline = 64ull << 20;  // cap on an inline (non-chunked) payload
constexpr uint64_t kMaxChunkInput = 2 * kChunk + 4096;

// A chunk stored rather than compressed: zlib marks it with a low nibble 0xf, LZVN with 0x06,
// LZFSE and LZBITMAP with 0xff (docs/formats/lzbitmap.md §4); the stored types have no marker byte.
bool stored_chunk(const std::optional<Codec>& codec, Bytes in) {
  if (!codec || in.empty()) return true;
  return (*codec == Codec::kZlib && (in[0] & 0x0f) == 0x0f) || (*codec == Codec::kLzvn && in[0] == 0x06) ||
         ((*codec == Codec::kLzfse || *codec == Codec::kLzbitmap) && in[0] == 0xff);
}

class ChunkedSource final : public Source {
 public:
  struct Chunk { uint64_t off; uint64_t len; };
  ChunkedSource(SourcePtr rsrc, std::vector<Chunk> chunks, uint64_t size, std::optional<Codec> codec, uint32_t type,
                std::string name)
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
      uint64_t in_chunk = pos - idx * kChunk;
      const uint64_t whole = std::min(kChunk, size_ - idx * kChunk);
      if (in_chunk == 0 && out.size() - done >= whole && idx != cached_) {
        // The caller wants the whole chunk: decoded straight into its buffer, not through the cache.
        UPSCOPE_CHECK(decode_chunk(idx, out.subspan(done, static_cast<size_t>(whole))));
        done += static_cast<size_t>(whole);
        continue;
      }
      if (idx != cached_) {
        cached_ = SIZE_MAX;
        buf_.resize(static_cast<size_t>(whole));
        UPSCOPE_CHECK(decode_chunk(idx, buf_));
        cached_ = idx;
      }
      size_t n = static_cast<size_t>(std::min<uint64_t>(out.size() - done, buf_.size() - in_chunk));
      std::memcpy(out.data() + done, buf_.data() + in_chunk, n);
      done += n;
    }
    return {};
  }

 private:
  // Decodes chunk idx into dst (exactly its uncompressed size). The compressed bytes are read in
  // place when the fork is mapped, copied through in_ otherwise.
  Status decode_chunk(size_t idx, std::span<uint8_t> dst) const {
    const auto what = [&] { return fmt::format("{}: decmpfs type {} chunk {}", name_, type_, idx); };
    if (idx >= chunks_.size()) return fail(ErrorCode::kMalformed, what(), "chunk index past the chunk table");
    const Chunk& ch = chunks_[idx];
    const uint64_t expect = dst.size();
    if (ch.len == 0 || ch.len > kMaxChunkInput)
      return fail(ErrorCode::kMalformed, what(), fmt::format("compressed length {} is out of range", ch.len));
    Bytes in;
    if (auto piece = rsrc_->piece_at(ch.off, ch.len); piece && piece->size() == ch.len) {
      in = *piece;
    } else {
      in_.resize(ch.len);
      UPSCOPE_CHECK(rsrc_->read_at(ch.off, in_));
      in = in_;
    }
    if (stored_chunk(codec_, in)) {
      uint64_t skip = codec_ ? 1 : 0;
      if (in.size() - skip < expect)
        return fail(ErrorCode::kMalformed, what(),
                    fmt::format("stored chunk holds {} bytes, expected {}", in.size() - skip, expect), ch.off);
      std::memcpy(dst.data(), in.data() + skip, expect);
    } else {
      auto n = decode(*codec_, in, dst);
      if (!n) {
        Error e = n.error();
        e.structure = what() + (e.structure.empty() ? "" : ": " + e.structure);
        return fail(e);
      }
      if (*n != expect)
        return fail(ErrorCode::kMalformed, what(), fmt::format("decoded to {} bytes, expected {}", *n, expect), ch.off);
    }
    return {};
  }

  SourcePtr rsrc_;
  std::vector<Chunk> chunks_;
  uint64_t size_;
  std::optional<Codec> codec_;
  uint32_t type_;
  std::string name_;
  mutable std::mutex mu_;
  mutable size_t cached_ = SIZE_MAX;
  mutable std::vector<uint8_t> buf_, in_;
};

// Resource Manager layout (type 4): big-endian fork header, then at 0x100 the data length and a
// little-endian table of (offset from 0x104, length) pairs.
Result<std::vector<ChunkedSource::Chunk>> resource_manager_chunks(const Source& rsrc, uint64_t nchunks,
                                                                   uint64_t usize, const std::string& rwhat) {
  if (rsrc.size() < 0x108) return fail(ErrorCode::kMalformed, rwhat, "shorter than the 0x108-byte header");
  std::vector<uint8_t> scratch;  // only where the fork is not mapped
  UPSCOPE_TRY(const ByteReader hdr, rsrc.view(0, 0x108, scratch, "resource fork header"));
  UPSCOPE_TRY(const uint32_t data_off, hdr.u32be(0));
  if (data_off != 0x100)
    return fail(ErrorCode::kMalformed, rwhat, fmt::format("resource data offset 0x{:x} is not 0x100", data_off), 0);
  UPSCOPE_TRY(const uint32_t count, hdr.u32le(0x104));
  if (count != nchunks)
    return fail(ErrorCode::kMalformed, rwhat,
                fmt::format("chunk count {} does not match {} bytes in 64 KiB chunks ({})", count, usize, nchunks), 0x104);
  if (!range_fits(0x108, uint64_t(count) * 8, rsrc.size()))
    return fail(ErrorCode::kMalformed, rwhat, fmt::format("chunk table of {} entries runs past the fork", count), 0x108);
  std::vector<uint8_t> tab_scratch;
  UPSCOPE_TRY(const ByteReader tab_bytes, rsrc.view(0x108, uint64_t(count) * 8, tab_scratch, "resource fork chunk table"));
  Cursor tab(tab_bytes);
  std::vector<ChunkedSource::Chunk> chunks;
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t off = 0x104ull + tab.u32le();
    const uint64_t len = tab.u32le();
    if (!tab.ok()) return fail(tab.error());
    if (!range_fits(off, len, rsrc.size()))
      return fail(ErrorCode::kMalformed, rwhat, fmt::format("chunk {} [{}, +{}) runs past the fork", i, off, len));
    chunks.push_back({off, len});
  }
  return chunks;
}

// Offset table (types 8, 10, 12, 14): (n+1) little-endian u32, the first equal to the table size.
Result<std::vector<ChunkedSource::Chunk>> offset_table_chunks(const Source& rsrc, uint64_t nchunks,
                                                              const std::string& rwhat) {
  uint64_t table = (nchunks + 1) * 4;
  if (!range_fits(0, table, rsrc.size()))
    return fail(ErrorCode::kMalformed, rwhat,
                fmt::format("chunk offset table of {} entries runs past the {}-byte fork", nchunks + 1, rsrc.size()));
  // Read in place where the fork is mapped (the first touch of a fork's pages is its cost).
  std::vector<uint8_t> scratch;
  UPSCOPE_TRY(const ByteReader tab, rsrc.view(0, table, scratch, "chunk offset table"));
  UPSCOPE_TRY(const uint32_t first, tab.u32le(0));
  if (first != table)
    return fail(ErrorCode::kMalformed, rwhat, fmt::format("first chunk offset {} is not the table size {}", first, table), 0);
  std::vector<ChunkedSource::Chunk> chunks;
  Cursor offsets(tab, 4);
  uint64_t b = first;
  for (uint64_t i = 0; i < nchunks; ++i) {
    const uint64_t a = b;
    b = offsets.u32le();
    if (!offsets.ok()) return fail(offsets.error());
    if (b < a || b > rsrc.size())
      return fail(ErrorCode::kMalformed, rwhat, fmt::format("chunk {} [{}, {}) is out of order or past the fork", i, a, b),
                  4 * i);
    chunks.push_back({a, b - a});
  }
  return chunks;
}

}  // namespace

std::optional<Kind> kind(uint32_t type) {
  switch (type) {
    case 1: return Kind{std::nullopt, false, "none"};
    case 3: return Kind{Codec::kZlib, false, "zlib"};
    case 4: return Kind{Codec::kZlib, true, "zlib"};
    case 7: return Kind{Codec::kLzvn, false, "lzvn"};
    case 8: return Kind{Codec::kLzvn, true, "lzvn"};
    case 9: return Kind{std::nullopt, false, "none"};
    case 10: return Kind{std::nullopt, true, "none"};
    case 11: return Kind{Codec::kLzfse, false, "lzfse"};
    case 12: return Kind{Codec::kLzfse, true, "lzfse"};
    case 13: return Kind{Codec::kLzbitmap, false, "lzbitmap"};
    case 14: return Kind{Codec::kLzbitmap, true, "lzbitmap"};
    default: return std::nullopt;
  }
}

const char* unsupported_name(uint32_t type) {
  switch (type) {
    case 5: return "dataless/dedup placeholder";
    default: return "unknown";
  }
}

Result<Header> parse_header(Bytes xattr, const std::string& what) {
  Cursor c(ByteReader(xattr, 0, "decmpfs header"));  // magic, compression_type, uncompressed_size
  const uint32_t magic = c.u32le();
  Header h;
  h.type = c.u32le();
  h.uncompressed_size = c.u64le();
  if (!c.ok() || magic != kMagic)
    return fail(ErrorCode::kMalformed, what, "header is not 'fpmc' + type + size (16 bytes)");
  auto k = kind(h.type);
  h.method = k ? k->method : unsupported_name(h.type);
  h.in_resource_fork = k && k->rsrc;
  return h;
}

Result<SourcePtr> open(Bytes xattr, const std::string& name, const ForkOpener& open_rsrc, const std::string& rwhat) {
  const std::string what = name + ": com.apple.decmpfs";
  UPSCOPE_TRY(Header h, parse_header(xattr, what));
  const uint32_t type = h.type;
  const uint64_t usize = h.uncompressed_size;
  auto k = kind(type);
  if (!k)
    return fail(ErrorCode::kUnsupported, what,
                fmt::format("compression type {} ({}) is not supported", type, unsupported_name(type)));
  if (!k->rsrc) {
    // Inline payload after the header, decoded whole (capped: the payload is small by design).
    if (usize > kMaxInline)
      return fail(ErrorCode::kLimit, what, fmt::format("inline payload claims {} bytes, over the {}-byte cap", usize, kMaxInline));
    UPSCOPE_CHECK(check_memory(usize, what + ": inline payload"));
    Bytes payload = xattr.subspan(16);
    std::vector<uint8_t> out(usize);
    if (stored_chunk(k->codec, payload)) {
      uint64_t skip = k->codec && !payload.empty() ? 1 : 0;
      if (payload.size() - skip < usize)
        return fail(ErrorCode::kMalformed, what,
                    fmt::format("stored payload holds {} bytes, header says {}", payload.size() - skip, usize));
      std::memcpy(out.data(), payload.data() + skip, usize);
    } else {
      auto n = decode(*k->codec, payload, out);
      if (!n) return fail(ErrorCode::kMalformed, what, "inline payload: " + n.error().message());
      if (*n != usize)
        return fail(ErrorCode::kMalformed, what, fmt::format("inline payload decoded to {} bytes, header says {}", *n, usize));
    }
    return SourcePtr(std::make_shared<MemorySource>(std::move(out), name));
  }
  UPSCOPE_TRY(SourcePtr rsrc, open_rsrc());
  const uint64_t nchunks = (usize + kChunk - 1) / kChunk;
  // Every chunk takes at least one byte of the fork (and a table entry): a size claim the fork
  // cannot back is refused before any table is allocated.
  if (nchunks > rsrc->size())
    return fail(ErrorCode::kMalformed, rwhat,
                fmt::format("{} bytes need {} chunks, more than the {}-byte fork can hold", usize, nchunks, rsrc->size()));
  std::vector<ChunkedSource::Chunk> chunks;
  if (type == 4) {
    UPSCOPE_TRY(chunks, resource_manager_chunks(*rsrc, nchunks, usize, rwhat));
  } else {
    UPSCOPE_TRY(chunks, offset_table_chunks(*rsrc, nchunks, rwhat));
  }
  return SourcePtr(std::make_shared<ChunkedSource>(std::move(rsrc), std::move(chunks), usize, k->codec, type, name));
}

}  // namespace upscope::compress::decmpfs
