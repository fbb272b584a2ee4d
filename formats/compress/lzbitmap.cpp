// LZBITMAP: Apple's bitmap-driven LZ codec (decmpfs 13/14, pbzb chunks, Apple Archive payloads).
// Output comes in groups of 8 bytes; each group's bitmap says, byte by byte, whether the next literal
// is taken or the byte `distance` back is copied. Format notes: docs/formats/lzbitmap.md.
#include "compress/lzbitmap.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "compress/codec.hpp"
#include "compress/codec_internal.hpp"
#include "inspect/text.hpp"

namespace upscope::compress {

namespace {

constexpr uint64_t kStreamHeader = 4;     // "ZBM" + format byte (§1)
constexpr uint32_t kChunkHeader = 6;      // u24 length, u24 decoded length (§2)
constexpr uint32_t kCompressedHeader = 15;  // + three u24 area offsets (§3)
constexpr uint32_t kTableBytes = 17;      // 12 packed 10-bit bitmap entries (§3)
constexpr unsigned kTableEntries = 12;

uint32_t u24(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16; }

Error stream_error(ErrorCode code, std::string rule, uint64_t off) {
  return make_error(code, "LZBITMAP stream", std::move(rule), off);
}

std::string chunk_name(size_t index) { return fmt::format("LZBITMAP chunk {}", index); }

// §1: "ZBM" and the one format byte we can vouch for.
Status check_stream_header(Bytes in) {
  if (in.size() < kStreamHeader)
    return fail(stream_error(ErrorCode::kTruncated,
                             fmt::format("stream is {} bytes, shorter than the 4-byte ZBM header", in.size()), 0));
  if (std::memcmp(in.data(), "ZBM", 3) != 0)
    return fail(stream_error(ErrorCode::kMalformed,
                             fmt::format("bad magic '{}' (expected 'ZBM')", printable(in.first(3))), 0));
  if (in[3] != kLzbitmapFormatByte)
    return fail(stream_error(ErrorCode::kUnsupported,
                             fmt::format("format byte {:#04x} is not 0x09, the only one known", in[3]), 3));
  return {};
}

struct Frame {
  uint32_t length = 0;
  uint32_t decoded = 0;
  bool end() const { return decoded == 0; }
  bool stored() const { return length == decoded + kChunkHeader; }
};

// §2: the chunk header at `off`, checked against the input and the chunk size limit.
Result<Frame> read_frame(Bytes in, uint64_t off, size_t index) {
  const uint64_t left = in.size() - off;
  if (left == 0) return fail(stream_error(ErrorCode::kTruncated, "stream ends without its end-of-stream chunk", off));
  if (left < kChunkHeader)
    return fail(ErrorCode::kTruncated, chunk_name(index),
                fmt::format("chunk header runs past the end of the input ({} bytes left, 6 needed)", left), off);
  Frame f{u24(in.data() + off), u24(in.data() + off + 3)};
  if (f.length < kChunkHeader)
    return fail(ErrorCode::kMalformed, chunk_name(index),
                fmt::format("chunk length {} is shorter than its 6-byte header", f.length), off);
  if (f.length > left)
    return fail(ErrorCode::kTruncated, chunk_name(index),
                fmt::format("chunk length {} runs past the end of the input ({} bytes left)", f.length, left), off);
  if (f.decoded > kLzbitmapMaxChunk)
    return fail(ErrorCode::kMalformed, chunk_name(index),
                fmt::format("decoded length {} exceeds the {}-byte chunk limit", f.decoded, kLzbitmapMaxChunk), off);
  return f;
}

// One compressed chunk (§3). `out` holds the stream's output so far; the chunk's bytes go to
// out[pos, pos + f.decoded), which the caller has checked fits.
class ChunkDecoder {
 public:
  ChunkDecoder(const uint8_t* chunk, uint64_t chunk_off, const Frame& f, size_t index)
      : c_(chunk), off_(chunk_off), f_(f), index_(index) {}

  Status run(uint8_t* out, size_t pos) {
    if (f_.length < kCompressedHeader + kTableBytes)
      return fail(ErrorCode::kMalformed, chunk_name(index_),
                  fmt::format("compressed chunk of {} bytes is shorter than its 15-byte header and 17-byte bitmap table",
                              f_.length),
                  off_);
    const uint32_t a = u24(c_ + 6), b = u24(c_ + 9), t = u24(c_ + 12), table = f_.length - kTableBytes;
    if (!(kCompressedHeader <= a && a <= b && b <= t && t <= table))
      return fail(ErrorCode::kMalformed, chunk_name(index_),
                  fmt::format("area offsets (distances {}, bitmaps {}, tokens {}) are not in order between 15 and {}", a,
                              b, t, table),
                  off_ + 6);
    lit_ = c_ + kCompressedHeader;
    lit_end_ = c_ + a;
    dist_ = c_ + a;
    dist_end_ = c_ + b;
    bmp_ = c_ + b;
    bmp_end_ = c_ + t;
    nib_ = uint64_t{t} * 2;
    nib_end_ = uint64_t{table} * 2;
    read_table(c_ + table);

    uint8_t* const base = out;
    const size_t end = pos + f_.decoded;
    size_t distance = 8;  // §3.1: every chunk starts with distance 8
    while (pos < end) {
      const uint64_t at = off_ + nib_ / 2;  // the token's byte, for messages
      if (nib_ == nib_end_) return fail(area_error("tokens", at, pos, size_t(table - t)));
      const unsigned token = nibble(nib_++);
      if (token == 15)
        return fail(ErrorCode::kMalformed, chunk_name(index_),
                    fmt::format("nibble 0xf at output byte {} starts a repeat count with no token before it", pos), at);
      // §3.2: a repeat count follows only while more than one group remains.
      uint64_t repeat = 1;
      if (end - pos > 8 && nib_ < nib_end_ && nibble(nib_) == 15) {
        ++nib_;
        repeat = 4;
        unsigned v;
        do {
          if (nib_ == nib_end_) return fail(area_error("tokens", at, pos, size_t(table - t)));
          v = nibble(nib_++);
          repeat += v;
        } while (v == 15);
      }
      // Apple's writer may give a run more groups than the chunk has left: production stops at the end.
      for (uint64_t r = 0; r < repeat && pos < end; ++r) {
        unsigned bitmap, size_code;
        if (token < 3) {
          if (bmp_ == bmp_end_) return fail(area_error("bitmaps", at, pos, size_t(bmp_end_ - (c_ + b))));
          bitmap = *bmp_++;
          size_code = token;
        } else {
          bitmap = table_bitmap_[token - 3];
          size_code = table_size_[token - 3];
        }
        if (size_code == 1) {
          if (dist_end_ - dist_ < 1) return fail(area_error("distances", at, pos, size_t(b - a)));
          distance = dist_[0];
          dist_ += 1;
        } else if (size_code == 2) {
          if (dist_end_ - dist_ < 2) return fail(area_error("distances", at, pos, size_t(b - a)));
          distance = size_t(dist_[0]) | size_t(dist_[1]) << 8;
          dist_ += 2;
        } else if (size_code == 3) {
          return fail(ErrorCode::kMalformed, chunk_name(index_),
                      fmt::format("bitmap table entry {} has distance size 3 (only 0, 1 or 2 bytes are defined)",
                                  token - 3),
                      off_ + table);
        }
        const size_t n = std::min<size_t>(8, end - pos);
        const unsigned mask = (1u << n) - 1;
        const size_t literals = size_t(std::popcount(bitmap & mask));
        if (size_t(lit_end_ - lit_) < literals) return fail(area_error("literals", at, pos, size_t(a - kCompressedHeader)));
        // The first copied byte is the one reaching furthest back relative to what exists.
        const size_t first_copy = size_t(std::countr_one(bitmap));
        if (first_copy < n) {
          if (distance == 0)
            return fail(ErrorCode::kMalformed, chunk_name(index_), fmt::format("match distance 0 at output byte {}", pos),
                        at);
          if (distance > pos + first_copy)
            return fail(ErrorCode::kMalformed, chunk_name(index_),
                        fmt::format("match distance {} at output byte {} reaches before the start of the output",
                                    distance, pos + first_copy),
                        at);
        }
        uint8_t* dst = base + pos;
        if (n == 8 && bitmap == 0xff) {
          std::memcpy(dst, lit_, 8);
          lit_ += 8;
        } else if (n == 8 && bitmap == 0 && distance >= 8) {
          std::memcpy(dst, dst - distance, 8);
        } else {
          // Every copied byte has pos + i >= distance (checked above for the first one), so the index
          // never wraps; a pointer dst - distance could lie before the buffer.
          for (size_t i = 0; i < n; ++i) dst[i] = (bitmap >> i & 1) ? *lit_++ : base[pos + i - distance];
        }
        pos += n;
      }
    }
    return {};
  }

 private:
  unsigned nibble(uint64_t i) const { return (c_[i / 2] >> (i % 2 * 4)) & 15u; }

  void read_table(const uint8_t* p) {
    // 12 entries of 10 bits from bit 0 of the first byte upwards: 8 bits bitmap, 2 bits size code.
    for (unsigned k = 0; k < kTableEntries; ++k) {
      const unsigned bit = k * 10;
      const unsigned v = (unsigned(p[bit / 8]) | unsigned(p[bit / 8 + 1]) << 8) >> (bit % 8);
      table_bitmap_[k] = uint8_t(v & 0xff);
      table_size_[k] = uint8_t((v >> 8) & 3);
    }
  }

  Error area_error(const char* area, uint64_t at, size_t pos, size_t area_size) const {
    return make_error(ErrorCode::kMalformed, chunk_name(index_),
                      fmt::format("{} run out at output byte {} (the {} area holds {} bytes)", area, pos, area, area_size),
                      at);
  }

  const uint8_t* c_;
  uint64_t off_;
  Frame f_;
  size_t index_;
  const uint8_t *lit_ = nullptr, *lit_end_ = nullptr, *dist_ = nullptr, *dist_end_ = nullptr, *bmp_ = nullptr,
                *bmp_end_ = nullptr;
  uint64_t nib_ = 0, nib_end_ = 0;  // token area, in nibbles from the chunk start
  uint8_t table_bitmap_[kTableEntries] = {};
  uint8_t table_size_[kTableEntries] = {};
};

}  // namespace

bool is_lzbitmap(Bytes data) { return data.size() >= 3 && std::memcmp(data.data(), "ZBM", 3) == 0; }

Result<LzbitmapLayout> lzbitmap_layout(const ByteReader& r, size_t max_chunks) {
  Bytes in = r.data();
  auto shift = [&](Error e) { return fail(e.shifted(r.base())); };
  if (auto st = check_stream_header(in); !st) return shift(st.error());
  LzbitmapLayout l;
  uint64_t off = kStreamHeader;
  for (;;) {
    auto f = read_frame(in, off, l.chunks.size());
    if (!f) return shift(f.error());
    if (f->end()) {
      l.end_offset = off + f->length;
      return l;
    }
    if (l.chunks.size() >= max_chunks)
      return shift(stream_error(ErrorCode::kLimit, fmt::format("more than {} chunks", max_chunks), off));
    l.chunks.push_back({off, f->length, f->decoded, f->stored()});
    l.decoded_size += f->decoded;
    off += f->length;
  }
}

Result<size_t> lzbitmap_decode(Bytes in, std::span<uint8_t> out) {
  UPSCOPE_CHECK(check_stream_header(in));
  uint64_t off = kStreamHeader;
  size_t pos = 0;
  for (size_t index = 0;; ++index) {
    UPSCOPE_TRY(Frame f, read_frame(in, off, index));
    if (f.end()) return pos;
    if (out.size() - pos < f.decoded) return fail(detail::output_full(chunk_name(index), out.size(), off));
    if (f.stored()) {
      std::memcpy(out.data() + pos, in.data() + off + kChunkHeader, f.decoded);
    } else {
      ChunkDecoder d(in.data() + off, off, f, index);
      UPSCOPE_CHECK(d.run(out.data(), pos));
    }
    pos += f.decoded;
    off += f.length;
  }
}

}  // namespace upscope::compress
