#include <fmt/format.h>

#include "inspect/text.hpp"
#include "ridiff10/ridiff10.hpp"

namespace upscope::ridiff10 {
using Json = nlohmann::ordered_json;

Json to_json(const Patch& p) {
  const Header& h = p.header;
  Json j;
  j["format"] = "ridiff10";
  Json hj;
  hj["header_size"] = h.header_size;
  hj["variants"] = h.variants;
  hj["flags"] = fmt::format("{:#x}", h.flags);
  hj["flags_meaning"] = "unknown";
  hj["control_count"] = h.control_count;
  hj["excess_space"] = h.excess_space;
  hj["metadata_offset"] = h.metadata_offset;
  hj["controls_offset"] = h.controls_offset;
  hj["patch_data_offsets"] = h.patch_data_offsets;
  hj["patch_size"] = h.patch_size;
  j["header"] = hj;
  Json ss = Json::array();
  for (const auto& s : p.streams) {
    Json sj;
    sj["name"] = s.name;
    sj["offset"] = s.offset;
    sj["compressed_size"] = s.size;
    sj["container"] = s.layout.container;
    sj["codec"] = s.layout.codec;
    sj["supported"] = s.layout.supported;
    sj["chunks"] = s.layout.chunk_count;
    sj["decoded_size"] = s.decoded_size ? Json(*s.decoded_size) : Json(nullptr);
    sj["status"] = s.status;
    ss.push_back(std::move(sj));
  }
  j["streams"] = std::move(ss);
  const Metadata& m = p.metadata;
  Json mj;
  mj["parsed"] = m.parsed;
  if (m.parsed) {
    mj["note"] = "layout from blacktop/ipsw's partial reverse engineering; field meanings are inferred";
    mj["decoded_size"] = m.decoded_size;
    mj["digest"] = to_hex(m.digest);
    mj["digest_meaning"] = "inferred: SHA-256 of the image this variant describes";
    mj["total_bytes"] = m.total_bytes;
    mj["unknown_40"] = m.unknown_40;
    mj["unknown_40_meaning"] = "unknown";
    mj["extent_count"] = m.extent_count;
    mj["fork_count"] = m.fork_count;
    Json ex = Json::array();
    for (const auto& e : m.extents) ex.push_back({{"offset", e.offset}, {"size", e.size}});
    mj["extents"] = std::move(ex);
    mj["extents_truncated"] = m.extent_count > m.extents.size();
    mj["forks"] = {{"parsed", false}, {"raw_bytes", m.fork_bytes}, {"note", "fork record layout unknown"}};
  }
  j["metadata"] = std::move(mj);
  const Controls& c = p.controls;
  Json cj;
  cj["decoded"] = c.decoded;
  if (c.decoded) {
    cj["decoded_size"] = c.decoded_size;
    cj["split"] = c.split;
    cj["interpretation"] = "hypothesis: {u64 offset, u64 size} records (blacktop/ipsw), unverified";
    Json rs = Json::array();
    for (const auto& r : c.records) rs.push_back({{"offset", r.offset}, {"size", r.size}});
    cj["records"] = std::move(rs);
    cj["records_truncated"] = c.split && h.control_count > c.records.size();
  }
  j["controls"] = std::move(cj);
  return j;
}

std::string to_text(const Patch& p) {
  const Header& h = p.header;
  std::string s = fmt::format("  RIDIFF10 raw-image patch: {} variant{}, flags {:#x} (meaning unknown), {} controls, excess space {} bytes\n",
                              h.variants, h.variants == 1 ? "" : "s", h.flags, h.control_count, h.excess_space);
  s += fmt::format("  patch_size {} (header {} bytes)\n", h.patch_size, h.header_size);
  for (const auto& st : p.streams)
    s += fmt::format("  {:<14} at {:#x}: {} bytes {}{} -> {} [{}]\n", st.name, st.offset, st.size, st.layout.container,
                     st.layout.chunk_count ? fmt::format(" ({} chunks)", st.layout.chunk_count) : "",
                     st.decoded_size ? fmt::format("{} bytes", *st.decoded_size) : "?", st.status);
  if (p.metadata.parsed)
    s += fmt::format("  metadata: digest {} (inferred SHA-256), {} bytes, {} extents, {} forks (unparsed)\n",
                     to_hex(p.metadata.digest), p.metadata.total_bytes, p.metadata.extent_count, p.metadata.fork_count);
  if (p.controls.decoded)
    s += fmt::format("  controls: {} bytes{}\n", p.controls.decoded_size,
                     p.controls.split ? " = control_count x {offset, size} (hypothesis)" : ", layout unknown");
  return s;
}

}  // namespace upscope::ridiff10
