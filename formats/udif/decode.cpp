// Chunk decoding (through compress::decode), ordered parallel streaming, and checksum verification.
#include <cstring>
#include <mutex>

#include <fmt/format.h>
#include <zlib.h>

#include "compress/codec.hpp"
#include "inspect/limits.hpp"
#include "inspect/thread_pool.hpp"
#include "udif/chunk_stream.hpp"

namespace upscope::udif {

namespace {

constexpr size_t kZeroBlock = 1 << 20;
const uint8_t kZeros[kZeroBlock] = {};

Error chunk_error(const Image& img, uint32_t blkx, const Chunk& c, Error e) {
  std::string inner = e.structure;
  e.structure = fmt::format("mish block {}: chunk {} ({})", img.blkx[blkx].ordinal, c.index, chunk_type_name(c.type));
  if (!inner.empty()) e.rule = inner + ": " + e.rule;
  e.offset = e.offset ? std::optional<uint64_t>(c.offset + *e.offset) : std::optional<uint64_t>(c.offset);
  e.file = img.name;
  return e;
}

Result<size_t> run_codec(uint32_t type, Bytes in, std::span<uint8_t> out) {
  using compress::Codec;
  switch (type) {
    case kChunkAdc: return compress::decode(Codec::kAdc, in, out);
    case kChunkZlib: return compress::decode(Codec::kZlib, in, out);
    case kChunkBzip2: return compress::decode(Codec::kBzip2, in, out);
    case kChunkLzfse: return compress::decode(Codec::kLzfse, in, out);
    case kChunkLzma: {
      // hdiutil writes an xz container; fall back to a bare LZMA1 stream.
      static constexpr uint8_t kXzMagic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
      if (in.size() >= 6 && std::memcmp(in.data(), kXzMagic, 6) == 0) return compress::decode(Codec::kXz, in, out);
      return compress::decode(Codec::kLzma, in, out);
    }
    default:
      return fail(ErrorCode::kUnsupported, "", fmt::format("chunk type {:#010x} has no decoder", type));
  }
}

}  // namespace

Bytes zero_block() { return Bytes(kZeros, kZeroBlock); }

uint32_t crc32_update(uint32_t crc, Bytes data) {
  uLong c = crc;
  while (!data.empty()) {
    const size_t n = std::min<size_t>(data.size(), 1u << 30);
    c = ::crc32(c, data.data(), static_cast<uInt>(n));
    data = data.subspan(n);
  }
  return static_cast<uint32_t>(c);
}

Status decode_chunk(const Image& img, const Source& file, uint32_t blkx, uint32_t chunk, std::span<uint8_t> out) {
  const Chunk& c = img.blkx[blkx].chunks[chunk];
  if (out.size() != c.bytes())
    return fail(chunk_error(img, blkx, c,
                            make_error(ErrorCode::kInvalidArgument, "",
                                       fmt::format("output buffer of {} bytes for {} decoded", out.size(), c.bytes()))));
  if (c.type == kChunkZero || c.type == kChunkIgnore) {
    std::memset(out.data(), 0, out.size());
    return {};
  }
  if (c.type == kChunkRaw) {
    auto st = file.read_at(c.offset, out);
    if (!st) return fail(chunk_error(img, blkx, c, st.error()));
    return {};
  }
  // The compressed bytes are copied (pread from a large file: MappedFile::read_by_call) rather than
  // viewed in the mapping: read once, they would cost a fault per 64 KiB and a release afterwards.
  thread_local std::vector<uint8_t> input;
  if (auto m = check_memory(c.length, "compressed chunk"); !m) return fail(chunk_error(img, blkx, c, m.error()));
  if (input.size() < c.length) input.resize(static_cast<size_t>(c.length));
  const std::span<uint8_t> in(input.data(), static_cast<size_t>(c.length));
  auto st = file.read_at(c.offset, in);
  if (!st) return fail(chunk_error(img, blkx, c, st.error()));
  auto n = run_codec(c.type, in, out);
  if (input.size() > (8u << 20)) std::vector<uint8_t>().swap(input);  // a rare huge chunk is not kept
  if (!n) return fail(chunk_error(img, blkx, c, n.error()));
  if (*n != out.size())
    return fail(chunk_error(img, blkx, c,
                            make_error(ErrorCode::kTruncated, "",
                                       fmt::format("decoded to {} bytes, expected {} ({} sectors)", *n, out.size(),
                                                   c.sectors))));
  return {};
}

Status decode_chunk(const Image& img, const Source& file, const MapEntry& where, std::span<uint8_t> out) {
  return decode_chunk(img, file, where.blkx, where.chunk, out);
}

Status stream_segments(const Image& img, const Source& file, std::span<const Segment> segments, unsigned jobs,
                       const std::function<bool(Bytes)>& sink) {
  const std::optional<Bytes> mapped = file.contiguous();
  auto emit_zeros = [&](uint64_t n) {
    while (n) {
      const uint64_t k = std::min<uint64_t>(n, kZeroBlock);
      if (!sink(Bytes(kZeros, static_cast<size_t>(k)))) return false;
      n -= k;
    }
    return true;
  };
  const unsigned threads = resolve_jobs(jobs);
  // Output buffers are recycled: a fresh vector per chunk meant a zero fill and a page fault per
  // 4 KiB on every chunk (glibc hands large blocks back to the kernel), about a third of the CPU
  // time of extracting a zlib image. At most the window's worth of buffers is kept.
  std::mutex spare_mu;
  std::vector<std::vector<uint8_t>> spare;
  const size_t max_spare = 2 * size_t(threads) + 2;
  auto take_buffer = [&](size_t n) {
    std::vector<uint8_t> v;
    {
      std::lock_guard<std::mutex> lock(spare_mu);
      if (!spare.empty()) {
        v = std::move(spare.back());
        spare.pop_back();
      }
    }
    v.resize(n);  // no fill when the buffer already had this size (chunks are usually all alike)
    return v;
  };
  auto give_back = [&](std::vector<uint8_t>&& v) {
    if (v.empty()) return;
    std::lock_guard<std::mutex> lock(spare_mu);
    if (spare.size() < max_spare) spare.push_back(std::move(v));
  };
  auto produce = [&](size_t i) -> Result<std::vector<uint8_t>> {
    const Segment& s = segments[i];
    if (!s.entry || !chunk_is_compressed(img.chunk(*s.entry).type)) return std::vector<uint8_t>{};
    if (auto st = check_memory(img.chunk(*s.entry).bytes(), ""); !st)
      return fail(chunk_error(img, s.entry->blkx, img.chunk(*s.entry), st.error()));
    std::vector<uint8_t> out = take_buffer(static_cast<size_t>(img.chunk(*s.entry).bytes()));
    if (auto st = decode_chunk(img, file, *s.entry, out); !st) {
      give_back(std::move(out));
      return fail(st.error());
    }
    return out;
  };
  Status status;
  // Data-fork bytes below this offset have been dropped from the process (Source::release): the
  // chunks are consumed in order and usually lie in order in the file, so the mapped input's
  // resident pages stay bounded instead of growing to the whole image. Only whole 2 MiB grains
  // below the end of the chunk just consumed are released, never the ones workers read ahead.
  uint64_t released = 0;
  auto release_behind = [&](const Chunk& c) {
    constexpr uint64_t kGrain = 2u << 20;
    const uint64_t upto = (c.offset + c.length) / kGrain * kGrain;
    if (upto > released) {
      file.release(released, upto - released);
      released = upto;
    }
  };
  auto emit = [&](size_t i, const Result<std::vector<uint8_t>>& r) {
    if (!r) {
      status = fail(r.error());
      return false;
    }
    const Segment& s = segments[i];
    if (!s.entry) return emit_zeros(s.take);
    const Chunk& c = img.chunk(*s.entry);
    if (chunk_is_compressed(c.type)) return sink(Bytes(*r).subspan(static_cast<size_t>(s.skip), static_cast<size_t>(s.take)));
    if (c.type != kChunkRaw) return emit_zeros(s.take);
    if (mapped) return sink(mapped->subspan(static_cast<size_t>(c.offset + s.skip), static_cast<size_t>(s.take)));
    std::vector<uint8_t> buf;
    for (uint64_t done = 0; done < s.take;) {
      const uint64_t k = std::min<uint64_t>(s.take - done, kZeroBlock);
      buf.resize(static_cast<size_t>(k));
      auto st = file.read_at(c.offset + s.skip + done, buf);
      if (!st) {
        status = fail(st.error());
        return false;
      }
      if (!sink(buf)) return false;
      done += k;
    }
    return true;
  };
  auto consume = [&](size_t i, Result<std::vector<uint8_t>> r) {
    const bool more = emit(i, r);
    if (r) give_back(std::move(*r));
    if (segments[i].entry) release_behind(img.chunk(*segments[i].entry));
    return more;
  };
  if (threads <= 1) {
    for (size_t i = 0; i < segments.size(); ++i)
      if (!consume(i, produce(i))) break;
    return status;
  }
  ThreadPool pool(threads);
  ordered_parallel_map(pool, segments.size(), 2 * size_t(threads), produce, consume);
  return status;
}

bool VerifyReport::ok() const {
  for (const auto& b : blkx)
    if (!b.ok()) return false;
  if (master_checked && master_stored != master_computed) return false;
  if (data_fork_checked && data_fork_stored != data_fork_computed) return false;
  return true;
}

VerifyReport verify(const Image& img, const Source& file, unsigned jobs, Progress* progress) {
  VerifyReport rep;
  rep.master_checked = img.master_checked();
  rep.master_stored = img.koly.masterChecksum.crc32();
  rep.master_computed = img.master_computed;
  for (uint32_t b = 0; b < img.blkx.size(); ++b) {
    const Blkx& blk = img.blkx[b];
    BlkxCheck chk;
    chk.ordinal = blk.ordinal;
    chk.checked = blk.crc_checked();
    chk.stored = blk.header.checksum.crc32();
    // Ignore chunks are left out of the CRC; zero chunks count as zeros (docs/formats/udif.md §3).
    std::vector<Segment> segs;
    for (uint32_t c = 0; c < blk.chunks.size(); ++c)
      if (blk.chunks[c].type != kChunkIgnore) segs.push_back({MapEntry{blk.chunks[c].sector, blk.chunks[c].sectors, b, c}, 0, blk.chunks[c].bytes()});
    uint32_t crc = crc32_update(0, {});
    auto st = stream_segments(img, file, segs, jobs, [&](Bytes piece) {
      crc = crc32_update(crc, piece);
      if (progress) progress->advance(piece.size());
      return true;
    });
    if (!st) chk.error = st.error();
    chk.computed = crc;
    rep.blkx.push_back(std::move(chk));
  }
  const auto& dfc = img.koly.dataForkChecksum;
  if (dfc.is_crc32()) {
    rep.data_fork_checked = true;
    rep.data_fork_stored = dfc.crc32();
    uint32_t crc = crc32_update(0, {});
    std::vector<uint8_t> buf;
    for (uint64_t off = 0; off < img.koly.dataForkLength;) {
      const uint64_t k = std::min<uint64_t>(img.koly.dataForkLength - off, kZeroBlock);
      std::vector<uint8_t> scratch;
      auto v = file.view(img.koly.dataForkOffset + off, k, scratch);
      if (!v) break;
      crc = crc32_update(crc, v->data());
      off += k;
    }
    rep.data_fork_computed = crc;
  }
  return rep;
}

}  // namespace upscope::udif
