// Listing a Payload or Scripts archive as a stream (docs/formats/pkg.md §3): the first bytes name the
// wrapper (gzip, bzip2, xz: libarchive's filters; pbzx: formats/pbzx one chunk at a time), then
// libarchive reads the cpio headers and skips the data.
#include <cstring>

#include <fmt/format.h>

#include "inspect/text.hpp"
#include "pbzx/pbzx.hpp"
#include "pkg/archive_io.hpp"
#include "pkg/pkg.hpp"

namespace upscope::pkg {

namespace {

// Reads up to out.size() bytes, stopping early only at the end of the stream.
Result<size_t> pull_fully(const Pull& in, std::span<uint8_t> out) {
  size_t got = 0;
  while (got < out.size()) {
    UPSCOPE_TRY(size_t n, in(out.subspan(got)));
    if (n == 0) break;
    got += n;
  }
  return got;
}

// A stream whose first bytes were already read (to name the wrapper): hands them out first.
class Prefixed {
 public:
  Prefixed(Pull in, std::vector<uint8_t> head) : in_(std::move(in)), head_(std::move(head)) {}
  Result<size_t> operator()(std::span<uint8_t> out) {
    if (used_ < head_.size()) {
      const size_t n = std::min(out.size(), head_.size() - used_);
      std::memcpy(out.data(), head_.data() + used_, n);
      used_ += n;
      return n;
    }
    return in_(out);
  }

 private:
  Pull in_;
  std::vector<uint8_t> head_;
  size_t used_ = 0;
};

// pbz* decoded chunk by chunk: each chunk, with the stream header in front, is a one-chunk stream
// that pbzx::parse validates and pbzx::decode_chunk decodes (so every framing rule is pbzx's own).
class PbzxPull {
 public:
  PbzxPull(Pull in, uint64_t max_decoded, std::string label)
      : in_(std::move(in)), max_(max_decoded), label_(std::move(label)) {}

  Result<size_t> operator()(std::span<uint8_t> out) {
    while (pos_ == chunk_.size()) {
      UPSCOPE_TRY(bool more, next_chunk());
      if (!more) return size_t{0};
    }
    const size_t n = std::min(out.size(), chunk_.size() - pos_);
    std::memcpy(out.data(), chunk_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  Error located(Error e) const {
    if (!label_.empty()) e.structure = label_ + ": " + e.structure;
    return e;
  }

  Result<bool> next_chunk() {
    if (header_.empty()) {
      header_.resize(pbzx::kHeaderSize);
      UPSCOPE_TRY(size_t n, pull_fully(in_, header_));
      if (n < pbzx::kHeaderSize)
        return fail(located(make_error(ErrorCode::kTruncated, "pbz* header",
                                       fmt::format("stream is {} bytes, shorter than the 12-byte header", n), 0)));
      offset_ = pbzx::kHeaderSize;
    }
    std::vector<uint8_t> buf(header_);
    buf.resize(pbzx::kHeaderSize + pbzx::kChunkHeaderSize);
    UPSCOPE_TRY(size_t n, pull_fully(in_, std::span<uint8_t>(buf).subspan(pbzx::kHeaderSize)));
    if (n == 0) return false;
    const uint64_t at = offset_;
    if (n < pbzx::kChunkHeaderSize)
      return fail(located(make_error(ErrorCode::kTruncated, fmt::format("pbz* chunk {}", index_),
                                     fmt::format("chunk header runs past the end of the stream ({} bytes left, 16 needed)", n),
                                     at)));
    const uint64_t raw = load_u64be(buf.data() + pbzx::kHeaderSize);
    const uint64_t stored = load_u64be(buf.data() + pbzx::kHeaderSize + 8);
    // pbzx::parse refuses these too; checked first so that nothing larger is allocated or decoded.
    if (stored > pbzx::kMaxChunkSize)
      return fail(located(make_error(ErrorCode::kLimit, fmt::format("pbz* chunk {}", index_),
                                     fmt::format("stored size {} exceeds the {}-byte chunk limit", stored, pbzx::kMaxChunkSize),
                                     at)));
    if (raw > max_ - std::min(decoded_, max_))
      return fail(located(make_error(ErrorCode::kLimit, fmt::format("pbz* chunk {}", index_),
                                     fmt::format("decoded stream exceeds the limit of {} bytes", max_), at)));
    // The stored bytes, grown as they arrive: a chunk header cannot make us allocate what is not there.
    constexpr size_t kStep = 1 << 20;
    while (buf.size() - pbzx::kHeaderSize - pbzx::kChunkHeaderSize < stored) {
      const size_t have = buf.size();
      const size_t want = static_cast<size_t>(std::min<uint64_t>(kStep, stored - (have - pbzx::kHeaderSize - pbzx::kChunkHeaderSize)));
      buf.resize(have + want);
      UPSCOPE_TRY(size_t got, pull_fully(in_, std::span<uint8_t>(buf).subspan(have)));
      buf.resize(have + got);
      if (got < want) break;  // a short chunk is pbzx::parse's "runs past the end" error
    }
    Diagnostics d;
    ByteReader r(buf, 0, "pbzx");
    // Offsets in the one-chunk stream are shifted to the chunk's place in the whole stream.
    auto fix = [&](Error e) {
      e = e.shifted(at - pbzx::kHeaderSize);
      if (e.structure.find("chunk 0") != std::string::npos)
        e.structure.replace(e.structure.find("chunk 0"), 7, fmt::format("chunk {}", index_));
      return located(std::move(e));
    };
    auto s = pbzx::parse(r, d);
    if (!s) return fail(fix(s.error()));
    if (s->framing_error) return fail(fix(*s->framing_error));
    if (s->chunks.size() != 1)
      return fail(located(make_error(ErrorCode::kMalformed, fmt::format("pbz* chunk {}", index_), "chunk is empty", at)));
    auto decoded = pbzx::decode_chunk(r, *s, 0);
    if (!decoded) return fail(fix(decoded.error()));
    chunk_ = std::move(*decoded);
    pos_ = 0;
    decoded_ += chunk_.size();
    offset_ += pbzx::kChunkHeaderSize + stored;
    ++index_;
    return true;
  }

  Pull in_;
  uint64_t max_;
  std::string label_;
  std::vector<uint8_t> header_;
  std::vector<uint8_t> chunk_;
  size_t pos_ = 0;
  uint64_t decoded_ = 0, offset_ = 0;
  size_t index_ = 0;
};

bool starts(const std::vector<uint8_t>& head, std::string_view magic) {
  return head.size() >= magic.size() && std::memcmp(head.data(), magic.data(), magic.size()) == 0;
}

Result<std::vector<uint8_t>> peek(const Pull& in, size_t n) {
  std::vector<uint8_t> head(n);
  UPSCOPE_TRY(size_t got, pull_fully(in, head));
  head.resize(got);
  return head;
}

}  // namespace

// The wrapper by its first bytes, then the cpio headers through libarchive.
Result<Listing> list_stream(Pull in, const std::string& label, const ListOptions& opt) {
  Listing out;
  UPSCOPE_TRY(auto head, peek(in, 6));
  Pull cpio;
  if (pbzx::is_pbz(head)) {
    Pull decoded = PbzxPull(Prefixed(std::move(in), head), opt.max_decoded, label);
    UPSCOPE_TRY(auto inner, peek(decoded, 4));
    if (starts(inner, "AA01") || starts(inner, "YAA1"))
      return fail(ErrorCode::kUnsupported, label,
                  "the pbzx stream holds an Apple Archive, not a cpio archive (list it with `upscope aa list` after "
                  "`upscope decompress`)");
    if (!starts(inner, "0707"))
      return fail(ErrorCode::kUnsupported, label,
                  fmt::format("the pbzx stream holds '{}', not a cpio archive", printable(inner)));
    out.container = fmt::format("{}-cpio", std::string(head.begin(), head.begin() + 4));
    cpio = Prefixed(std::move(decoded), std::move(inner));
  } else {
    if (starts(head, "\x1f\x8b")) out.container = "gzip-cpio";
    else if (starts(head, "BZh")) out.container = "bzip2-cpio";
    else if (starts(head, "\xfd" "7zXZ")) out.container = "xz-cpio";
    else if (starts(head, "0707")) out.container = "cpio";
    else
      return fail(ErrorCode::kUnsupported, label,
                  fmt::format("starts with '{}': not a cpio archive (plain, gzip, bzip2, xz or pbzx)", printable(head)));
    cpio = Prefixed(std::move(in), std::move(head));
  }
  UPSCOPE_TRY(auto a, Archive::open_cpio(std::move(cpio), label));
  for (;;) {
    UPSCOPE_TRY(auto e, a->next());
    if (!e) break;
    if (a->decoded_bytes() > opt.max_decoded)
      return fail(ErrorCode::kLimit, label, fmt::format("decoded archive exceeds the limit of {} bytes", opt.max_decoded));
    ++out.count;
    if (out.entries.size() >= opt.max_entries) {
      out.truncated = true;
      continue;
    }
    out.entries.push_back(std::move(*e));
  }
  return out;
}

Result<Listing> list_archive(const Source& src, const ListOptions& opt) {
  uint64_t pos = 0;
  Pull in = [&src, pos](std::span<uint8_t> out) mutable -> Result<size_t> {
    if (pos >= src.size()) return size_t{0};
    const size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), src.size() - pos));
    UPSCOPE_CHECK(src.read_at(pos, out.first(n)));
    pos += n;
    return n;
  };
  auto l = list_stream(std::move(in), "", opt);
  if (!l) return fail(l.error().in_file(src.name()));
  return l;
}

}  // namespace upscope::pkg
