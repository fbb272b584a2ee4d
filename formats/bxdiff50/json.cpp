#include <fmt/format.h>

#include "bxdiff50/bxdiff50.hpp"
#include "inspect/text.hpp"

namespace upscope::bxdiff50 {

namespace {
using Json = nlohmann::ordered_json;

Json section_json(const Section& s) {
  Json j;
  j["name"] = s.name;
  j["offset"] = s.offset;
  j["compressed_size"] = s.size;
  j["container"] = s.layout.container;
  j["codec"] = s.layout.codec;
  j["block_size"] = s.layout.block_size ? Json(*s.layout.block_size) : Json(nullptr);
  j["chunks"] = s.layout.chunk_count;
  j["empty"] = s.layout.container == "empty" || (s.layout.container.rfind("pbz", 0) == 0 && s.layout.chunk_count == 0);
  j["decoded_size"] = s.decoded_size ? Json(*s.decoded_size) : Json(nullptr);
  return j;
}
}  // namespace

nlohmann::ordered_json to_json(const Patch& p) {
  Json j;
  const Header& h = p.header;
  j["format"] = h.magic == "BXDIFF50" ? "bxdiff50" : "bxdiff4x";
  Json hj;
  hj["magic"] = h.magic;
  hj["header_size"] = h.header_size;
  hj["version"] = h.version ? Json(*h.version) : Json(nullptr);
  hj["patched_size"] = h.patched_size;
  hj["control_size"] = h.control_size;
  hj["diff_size"] = h.diff_size;
  hj["extra_size"] = h.extra_size ? Json(*h.extra_size) : Json(nullptr);
  hj["output_sha1"] = h.output_sha1 ? Json(to_hex(*h.output_sha1)) : Json(nullptr);
  hj["input_sha1"] = h.input_sha1 ? Json(to_hex(*h.input_sha1)) : Json(nullptr);
  j["header"] = hj;
  Json secs = Json::array();
  for (const auto& s : p.sections) secs.push_back(section_json(s));
  j["sections"] = secs;
  Json cj;
  cj["triple_count"] = p.triples.size();
  cj["mix_total"] = p.mix_total;
  cj["copy_total"] = p.copy_total;
  Json ts = Json::array();
  for (size_t i = 0; i < p.triples.size(); ++i) {
    const Triple& t = p.triples[i];
    Json tj;
    tj["index"] = i;
    tj["mix"] = t.mix;
    tj["copy"] = t.copy;
    tj["seek"] = t.seek;
    if (t.mix >= 0 && t.copy >= 0) {
      tj["output"] = {t.out_offset, t.out_offset + uint64_t(t.mix) + uint64_t(t.copy)};
      tj["old"] = {t.old_offset, t.old_offset + t.mix};
    }
    ts.push_back(std::move(tj));
  }
  cj["triples"] = std::move(ts);
  j["control"] = std::move(cj);
  Json tj;
  tj["known"] = p.touched_known;
  tj["bytes"] = p.touched_known ? Json(p.touched_bytes) : Json(nullptr);
  Json rs = Json::array();
  for (const auto& r : p.touched) rs.push_back({r.begin, r.end});
  tj["ranges"] = std::move(rs);
  tj["truncated"] = p.touched_truncated;
  j["touched"] = std::move(tj);
  return j;
}

std::string to_text(const Patch& p) {
  const Header& h = p.header;
  std::string s;
  s += fmt::format("  {} patch{}, output {} bytes\n", h.magic, h.version ? fmt::format(" (version {})", *h.version) : "",
                   h.patched_size);
  if (h.output_sha1) s += fmt::format("  output SHA-1  {}\n", to_hex(*h.output_sha1));
  if (h.input_sha1) s += fmt::format("  input SHA-1   {}\n", to_hex(*h.input_sha1));
  for (const auto& sec : p.sections)
    s += fmt::format("  {:<8} at {:#x}: {} bytes {}{} -> {}\n", sec.name, sec.offset, sec.size, sec.layout.container,
                     sec.layout.chunk_count ? fmt::format(" ({} chunks)", sec.layout.chunk_count) : "",
                     sec.decoded_size ? fmt::format("{} bytes", *sec.decoded_size) : "?");
  s += fmt::format("  {} control triples: mix {} bytes, copy {} bytes\n", p.triples.size(), p.mix_total, p.copy_total);
  auto line = [&](size_t i) {
    const Triple& t = p.triples[i];
    s += fmt::format("    #{:<6} mix {:>10} copy {:>10} seek {:>11}  output @{}\n", i, t.mix, t.copy, t.seek, t.out_offset);
  };
  if (p.triples.size() <= 6) {
    for (size_t i = 0; i < p.triples.size(); ++i) line(i);
  } else {
    for (size_t i = 0; i < 3; ++i) line(i);
    s += fmt::format("    ... {} more (full list with --json)\n", p.triples.size() - 6);
    for (size_t i = p.triples.size() - 3; i < p.triples.size(); ++i) line(i);
  }
  if (p.touched_known)
    s += fmt::format("  touched output: {} bytes in {}{} ranges\n", p.touched_bytes, p.touched.size(),
                     p.touched_truncated ? "+" : "");
  return s;
}

}  // namespace upscope::bxdiff50
