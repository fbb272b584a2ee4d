// One segment from stored bytes to plaintext (docs/formats/aea.md §6, §7): HMAC, AES-CTR,
// decompression, checksum; and the whole plaintext in order, decoded on a thread pool.
#include <lz4.h>

#include <algorithm>
#include <climits>

#include <fmt/format.h>

#include "aea/aea.hpp"
#include "aea/checksum.hpp"
#include "aea/schedule.hpp"
#include "compress/codec.hpp"
#include "inspect/limits.hpp"
#include "inspect/thread_pool.hpp"

namespace upscope::aea {

namespace {

// Stored bytes to plaintext for the root header's codec. The codecs other than LZFSE follow the
// public descriptions only (no Apple-made sample uses them): LZ4 with or without Apple's bv4 block
// framing, zlib with or without its RFC 1950 header, LZMA as an xz stream, LZVN bare or bvxn-framed.
Result<size_t> decompress(char codec, Bytes in, std::span<uint8_t> out) {
  auto starts = [&](std::string_view m) { return in.size() >= m.size() && std::equal(m.begin(), m.end(), in.begin()); };
  switch (codec) {
    case 'e': return compress::lzfse_decode(in, out);
    case 'f': return starts("bvx") ? compress::lzfse_decode(in, out) : compress::lzvn_decode(in, out);
    case 'x': return compress::xz_decode(in, out);
    case 'z': {
      const bool zlib_header = in.size() >= 2 && (in[0] & 0x0f) == 8 && ((in[0] << 8) | in[1]) % 31 == 0;
      return zlib_header ? compress::zlib_decode(in, out) : compress::deflate_decode(in, out);
    }
    case '4': {
      if (starts("bv4")) return compress::lz4_block_stream_decode(in, out);
      if (in.size() > INT_MAX || out.size() > INT_MAX) return fail(ErrorCode::kLimit, "LZ4 block", "over 2 GiB");
      int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data()), reinterpret_cast<char*>(out.data()),
                                  static_cast<int>(in.size()), static_cast<int>(out.size()));
      if (n < 0) return fail(ErrorCode::kMalformed, "LZ4 block", "not a valid LZ4 block", 0);
      return static_cast<size_t>(n);
    }
    case 'b':
      return fail(ErrorCode::kUnsupported, "LZBITMAP", "LZBITMAP-compressed segments are not supported (no decoder)");
    default: return fail(ErrorCode::kMalformed, "segment", fmt::format("compression '{}' stores no compressed segment", codec));
  }
}

}  // namespace

Result<std::vector<uint8_t>> decode_segment(const Archive& a, const Source& file, size_t i, bool checksum_passed) {
  const Segment& s = a.segments.at(i);
  const std::string where = fmt::format("AEA cluster {} segment {}", s.cluster, s.index);
  UPSCOPE_CHECK(check_memory(uint64_t{s.stored_size} + s.plain_size, where, s.data_offset));
  UPSCOPE_TRY(std::vector<uint8_t> stored, file.read_vector(s.data_offset, s.stored_size));
  UPSCOPE_TRY(auto ckey, a.keys->cluster_key(s.cluster));
  UPSCOPE_TRY(DataKey k, a.keys->segment_key(ckey, s.index));
  if (a.checks.macs) {
    UPSCOPE_TRY(auto mac, crypto::aea_mac(k.mac(), stored, {}));
    if (!crypto::equal(mac, s.mac))
      return fail(ErrorCode::kMalformed, where, "HMAC does not match: the segment's stored bytes were altered", s.data_offset);
  }
  UPSCOPE_CHECK(decrypt(k, stored));
  std::vector<uint8_t> plain;
  if (s.stored_size == s.plain_size) {
    plain = std::move(stored);
  } else {
    plain.resize(s.plain_size);
    auto n = decompress(a.root.compression, stored, plain);
    if (!n)
      return fail(n.error().code, where,
                  fmt::format("{} data does not decode: {}", compression_name(a.root.compression), n.error().message()),
                  s.data_offset);
    if (*n != s.plain_size)
      return fail(ErrorCode::kMalformed, where,
                  fmt::format("{} data decodes to {} bytes, the segment header says {}", compression_name(a.root.compression),
                              *n, s.plain_size),
                  s.data_offset);
  }
  if (checksum_passed && a.checks.macs) return plain;
  const uint64_t csize = checksum_size(a.root.checksum);
  bool ok = true;
  if (a.root.checksum == kChecksumSha256) {
    UPSCOPE_TRY(auto d, crypto::sha256(plain));
    ok = std::equal(d.begin(), d.end(), s.checksum.begin());
  } else if (a.root.checksum == kChecksumMurmur) {
    uint64_t h = murmur64a(plain, kMurmurSeed);
    for (uint64_t b = 0; b < csize; ++b) ok = ok && s.checksum[b] == static_cast<uint8_t>(h >> (8 * b));
  }
  if (!ok)
    return fail(ErrorCode::kMalformed, where,
                fmt::format("{} checksum of the plaintext does not match the segment header", checksum_name(a.root.checksum)),
                s.data_offset);
  return plain;
}

Status stream_plaintext(const Archive& a, const SourcePtr& file, unsigned jobs,
                        const std::function<Status(Bytes)>& sink) {
  ThreadPool pool(resolve_jobs(jobs));
  const size_t window = std::min<size_t>(size_t{2} * pool.size(), 32);
  UPSCOPE_CHECK(check_memory(uint64_t{a.root.segment_size} * 2 * window, "AEA segments in flight"));
  Status st;
  ordered_parallel_map(
      pool, a.segments.size(), window, [&](size_t i) { return decode_segment(a, *file, i); },
      [&](size_t, Result<std::vector<uint8_t>> r) {
        if (!r) {
          st = fail(r.error());
          return false;
        }
        st = sink(*r);
        return static_cast<bool>(st);
      });
  return st;
}

}  // namespace upscope::aea
