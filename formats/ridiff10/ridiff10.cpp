#include "ridiff10/ridiff10.hpp"

#include <cstring>

#include <fmt/format.h>

#include "inspect/byte_reader.hpp"
#include "ridiff10/structs.hpp"

namespace upscope::ridiff10 {
namespace {

Result<Header> read_header(const ByteReader& r, uint64_t file_size) {
  Header h;
  if (file_size < sizeof(RawHeaderFixed))
    return fail(ErrorCode::kTruncated, "RIDIFF10 header",
                fmt::format("needs at least {} bytes, the file has {}", sizeof(RawHeaderFixed), file_size), 0);
  UPSCOPE_TRY(auto raw, r.read<RawHeaderFixed>(0));
  if (std::memcmp(raw.magic, "RIDIFF10", 8) != 0)
    return fail(ErrorCode::kMalformed, "RIDIFF10 header", "magic is not RIDIFF10", 0);
  h.variants = raw.variants;
  h.flags = raw.flags;
  h.control_count = raw.control_count;
  h.excess_space = raw.excess_space;
  h.metadata_offset = raw.metadata_offset;
  h.controls_offset = raw.controls_offset;
  if (h.variants == 0) return fail(ErrorCode::kMalformed, "RIDIFF10 header", "variants is 0: no patch-data stream", 8);
  h.header_size = header_size(h.variants);
  if (file_size < h.header_size)
    return fail(ErrorCode::kTruncated, "RIDIFF10 header",
                fmt::format("needs {} bytes for {} variants, the file has {}", h.header_size, h.variants, file_size), 0);
  Cursor offsets(r, 46);  // one patch-data offset per variant, then patch_size (in the header: checked above)
  for (uint16_t i = 0; i < h.variants; ++i) h.patch_data_offsets.push_back(offsets.u64le());
  h.patch_size = offsets.u64le();
  if (!offsets.ok()) return fail(offsets.error());

  // Every offset is absolute and the sections follow each other: header <= metadata <=
  // controls <= patch data 0 <= ... <= patch_size <= file size.
  if (h.metadata_offset < h.header_size)
    return fail(ErrorCode::kMalformed, "RIDIFF10 header",
                fmt::format("metadata_offset {} lies inside the header (which ends at {})", h.metadata_offset, h.header_size), 30);
  std::vector<std::pair<std::string, uint64_t>> chain = {{"metadata_offset", h.metadata_offset},
                                                         {"controls_offset", h.controls_offset}};
  for (size_t i = 0; i < h.patch_data_offsets.size(); ++i)
    chain.emplace_back(fmt::format("patch_data_offset[{}]", i), h.patch_data_offsets[i]);
  chain.emplace_back("patch_size", h.patch_size);
  for (size_t i = 1; i < chain.size(); ++i)
    if (chain[i].second < chain[i - 1].second)
      return fail(ErrorCode::kMalformed, "RIDIFF10 header",
                  fmt::format("offsets out of order: {} ({}) < {} ({})", chain[i].first, chain[i].second,
                              chain[i - 1].first, chain[i - 1].second), 30);
  if (h.patch_size > file_size)
    return fail(ErrorCode::kTruncated, "RIDIFF10 header",
                fmt::format("patch_size {} runs past the end of the file ({} bytes)", h.patch_size, file_size),
                46 + 8 * uint64_t(h.variants));
  return h;
}

void parse_metadata(Patch& p, const std::vector<uint8_t>& m, uint64_t at) {
  auto& d = p.diagnostics;
  Metadata& md = p.metadata;
  md.decoded_size = m.size();
  ByteReader r(m, 0, "metadata");
  auto pre = r.read<RawMetadataPrefix>(0);
  if (!pre) {
    d.warning(at, "metadata stream", fmt::format("decodes to {} bytes, shorter than the 64-byte prefix", m.size()));
    return;
  }
  md.parsed = true;
  std::memcpy(md.digest.data(), pre->digest, 32);
  md.total_bytes = pre->total_bytes;
  md.unknown_40 = pre->unknown_40;
  md.extent_count = pre->extent_count;
  md.fork_count = pre->fork_count;
  auto need = checked_mul(md.extent_count, sizeof(RawExtent));
  if (need) need = checked_add(*need, sizeof(RawMetadataPrefix));
  if (!need || *need > m.size()) {
    d.warning(at, "metadata stream",
              fmt::format("extent_count {} needs {} bytes, the metadata has {}", md.extent_count,
                          need ? std::to_string(*need) : std::string("overflow"), m.size()));
    return;
  }
  Cursor ext(ByteReader(m, 0, "metadata extents"), sizeof(RawMetadataPrefix));  // all in m: checked above
  for (uint64_t i = 0; i < md.extent_count && i < kMaxListed && ext.ok(); ++i) {
    const uint64_t first = ext.u64le(), second = ext.u64le();
    md.extents.push_back({first, second});
  }
  md.fork_bytes = m.size() - *need;
}

void parse_controls(Patch& p, const std::vector<uint8_t>& c, uint64_t at) {
  Controls& cs = p.controls;
  cs.decoded = true;
  cs.decoded_size = c.size();
  auto need = checked_mul(p.header.control_count, 16);
  if (!need || *need != c.size()) {
    p.diagnostics.warning(at, "controls stream",
                          fmt::format("decodes to {} bytes, not 16 x control_count ({}): record layout unknown, not split",
                                      c.size(), need ? std::to_string(*need) : std::string("overflow")));
    return;
  }
  cs.split = true;
  Cursor rec(ByteReader(c, 0, "controls"));  // 16 x control_count bytes: checked above
  for (uint64_t i = 0; i < p.header.control_count && i < kMaxListed && rec.ok(); ++i) {
    const uint64_t first = rec.u64le(), second = rec.u64le();
    cs.records.push_back({first, second});
  }
}

}  // namespace

Result<Patch> parse(const Source& src, const ParseOptions& opt) {
  auto whole = src.contiguous();
  std::vector<uint8_t> scratch;
  if (!whole) {
    UPSCOPE_TRY(scratch, src.read_vector(0, src.size()));
    whole = Bytes(scratch);
  }
  Bytes file = *whole;
  Patch p;
  UPSCOPE_TRY(p.header, read_header(ByteReader(file, 0, "RIDIFF10 header"), file.size()));
  const Header& h = p.header;
  auto& d = p.diagnostics;
  if (h.patch_size < file.size())
    d.warning(h.patch_size, "RIDIFF10 file", fmt::format("{} bytes follow patch_size", file.size() - h.patch_size));

  p.streams.push_back({"metadata", h.metadata_offset, h.controls_offset - h.metadata_offset, {}, {}, {}});
  p.streams.push_back({"controls", h.controls_offset, h.patch_data_offsets[0] - h.controls_offset, {}, {}, {}});
  for (size_t i = 0; i < h.patch_data_offsets.size(); ++i) {
    uint64_t end = i + 1 < h.patch_data_offsets.size() ? h.patch_data_offsets[i + 1] : h.patch_size;
    p.streams.push_back({fmt::format("patch data {}", i), h.patch_data_offsets[i], end - h.patch_data_offsets[i], {}, {}, {}});
  }

  for (size_t si = 0; si < p.streams.size(); ++si) {
    Stream& s = p.streams[si];
    std::string where = s.name + " stream";
    Bytes bytes = file.subspan(s.offset, s.size);
    pbzx::StreamLimits lim;
    lim.max_output = si < 2 ? opt.max_small_stream : opt.max_patch_data;
    auto l = pbzx::describe(bytes, lim, /*allow_raw=*/true);
    if (!l) {
      Error e = l.error().shifted(s.offset);
      e.structure = where + ": " + e.structure;
      d.add(e);
      s.status = "error: " + l.error().rule;
      s.layout.container = "invalid";
      continue;
    }
    s.layout = std::move(l).value();
    s.decoded_size = s.layout.decoded_size;
    if (!s.layout.supported) {
      s.status = "unsupported codec " + s.layout.codec;
      d.warning(s.offset, where, s.status);
      continue;
    }
    if (s.layout.container == "raw")
      d.note(s.offset, where, "no pbz* or xz magic: treated as stored bytes");
    auto report = [&](const Error& err) {
      Error e = err.shifted(s.offset);
      e.structure = where + (e.structure.empty() ? "" : ": " + e.structure);
      d.add(e);
      s.status = "error: " + err.rule;
    };
    if (si < 2) {
      auto data = pbzx::decode_all(bytes, s.layout, opt.pool, lim);
      if (!data) { report(data.error()); continue; }
      s.decoded_size = data->size();
      s.status = "decoded";
      if (si == 0) parse_metadata(p, *data, s.offset);
      else parse_controls(p, *data, s.offset);
      continue;
    }
    if (!opt.decode_patch_data) { s.status = "framing only"; continue; }
    auto st = pbzx::open(bytes, s.layout, opt.pool, lim);
    if (!st) { report(st.error()); continue; }
    std::vector<uint8_t> buf(1 << 20);
    bool ok = true;
    for (;;) {
      auto n = (*st)->read(buf);
      if (!n) { report(n.error()); ok = false; break; }
      if (*n == 0) break;
    }
    if (!ok) continue;
    s.decoded_size = (*st)->produced();
    s.status = "decoded";
  }
  return p;
}

}  // namespace upscope::ridiff10
