// `upscope inspect` of compressed streams (reports/format_reports.hpp): pbz* chunked streams (codec,
// block size, every chunk's sizes), complzss LZSS kernelcaches (header fields and whether the
// Adler-32 matches), LZFSE streams (blocks from their headers) and LZBITMAP streams (chunks from their headers).
#include <fmt/format.h>

#include <map>

#include "inspect/text.hpp"
#include "pbzx/json.hpp"
#include "reports/format_reports.hpp"
#include "reports/text_table.hpp"

namespace upscope::reports {

namespace {

// Decoded bytes per stored byte; 0 (JSON) or "-" (text) for an empty stream.
double ratio(uint64_t decoded, uint64_t stored) { return stored ? double(decoded) / double(stored) : 0.0; }
std::string ratio_text(uint64_t decoded, uint64_t stored) {
  return stored ? fmt::format("{:.2f}:1", ratio(decoded, stored)) : "-";
}

}  // namespace

FormatReport pbz_report(const pbzx::Stream& s) {
  FormatReport r{pbzx::to_json(s), {}};
  r.text += fmt::format("  {} stream: codec {}{}, block size {:#x} ({})\n", s.magic, s.codec_name,
                        s.supported() ? "" : " (unsupported: framing only)", s.block_size, human_size(s.block_size));
  r.text += fmt::format("  {} chunks, {} stored bytes -> {} decoded ({}), ratio {}\n", s.chunks.size(), s.stored_bytes,
                        s.decoded_size, human_size(s.decoded_size), ratio_text(s.decoded_size, s.stored_bytes));
  using A = TextTable::Align;
  TextTable t({"#", "OFFSET", "RAW", "STORED", "KIND"}, {A::kRight, A::kRight, A::kRight, A::kRight, A::kLeft});
  // Text shows the first and last chunks of long streams; JSON always has them all.
  const size_t n = s.chunks.size(), shown = 20;
  for (size_t i = 0; i < n; ++i) {
    if (n > shown && i == shown / 2) t.add_row({"...", "", "", "", fmt::format("{} more", n - shown)});
    if (n > shown && i >= shown / 2 && i < n - shown / 2) continue;
    const auto& c = s.chunks[i];
    t.add_row({std::to_string(i), fmt::format("{:#x}", c.header_offset), std::to_string(c.raw_size),
               std::to_string(c.stored_size), c.stored ? "stored" : s.codec_name});
  }
  if (n) r.text += t.str();
  return r;
}

FormatReport lzss_report(const compress::ComplzssHeader& h, const std::optional<compress::ComplzssPayload>& adler) {
  FormatReport r;
  r.json["adler32"] = fmt::format("{:#010x}", h.adler32);
  r.json["decoded_size"] = h.decoded_size;
  r.json["encoded_size"] = h.encoded_size;
  r.json["platform_name"] = h.platform_name;
  r.json["root_path"] = h.root_path;
  r.json["trailing_bytes"] = h.trailing_bytes;
  r.json["compression_ratio"] = ratio(h.decoded_size, h.encoded_size);
  r.text += fmt::format("  complzss: {} -> {} bytes ({}), ratio {}\n", h.encoded_size, h.decoded_size,
                        human_size(h.decoded_size), ratio_text(h.decoded_size, h.encoded_size));
  if (!h.platform_name.empty() || !h.root_path.empty())
    r.text += fmt::format("  platform '{}', root path '{}'\n", h.platform_name, h.root_path);
  if (h.trailing_bytes) r.text += fmt::format("  {} bytes after the LZSS body (not decoded)\n", h.trailing_bytes);
  if (!adler) {
    r.json["adler32_matches"] = nullptr;
    r.text += fmt::format("  Adler-32 {:#010x}: not checked (the body does not decode)\n", h.adler32);
    return r;
  }
  r.json["adler32_matches"] = adler->adler_ok();
  r.json["computed_adler32"] = fmt::format("{:#010x}", adler->computed_adler32);
  r.text += adler->adler_ok() ? fmt::format("  Adler-32 {:#010x}: matches\n", h.adler32)
                              : fmt::format("  Adler-32 {:#010x}: MISMATCH, decoded data gives {:#010x}\n", h.adler32,
                                            adler->computed_adler32);
  return r;
}

FormatReport lzfse_report(const compress::LzfseLayout& l) {
  FormatReport r;
  auto blocks = Json::array();
  std::map<std::string, size_t> kinds;
  for (const auto& b : l.blocks) {
    blocks.push_back({{"offset", b.offset}, {"magic", b.magic}, {"raw_size", b.raw_size}, {"block_size", b.block_size}});
    ++kinds[b.magic];
  }
  r.json["block_count"] = l.blocks.size();
  r.json["decoded_size"] = l.decoded_size;
  r.json["encoded_size"] = l.end_offset;
  r.json["compression_ratio"] = ratio(l.decoded_size, l.end_offset);
  r.json["blocks"] = std::move(blocks);
  std::string kind_text;
  for (const auto& [k, n] : kinds) kind_text += fmt::format("{}{}×{}", kind_text.empty() ? "" : ", ", n, k);
  r.text += fmt::format("  LZFSE: {} blocks ({}), {} -> {} bytes ({}), ratio {}\n", l.blocks.size(), kind_text,
                        l.end_offset, l.decoded_size, human_size(l.decoded_size), ratio_text(l.decoded_size, l.end_offset));
  return r;
}

// ZBM streams: chunk headers only (docs/formats/lzbitmap.md §2), nothing is decoded.
FormatReport lzbitmap_report(const compress::LzbitmapLayout& l) {
  FormatReport r;
  auto chunks = Json::array();
  size_t stored = 0;
  for (const auto& c : l.chunks) {
    chunks.push_back({{"offset", c.offset}, {"length", c.length}, {"decoded_size", c.decoded_size}, {"stored", c.stored}});
    stored += c.stored;
  }
  r.json["chunk_count"] = l.chunks.size();
  r.json["stored_chunks"] = stored;
  r.json["decoded_size"] = l.decoded_size;
  r.json["encoded_size"] = l.end_offset;
  r.json["compression_ratio"] = ratio(l.decoded_size, l.end_offset);
  r.json["chunks"] = std::move(chunks);
  r.text += fmt::format("  LZBITMAP: {} chunks ({} stored), {} -> {} bytes ({}), ratio {}\n", l.chunks.size(), stored,
                        l.end_offset, l.decoded_size, human_size(l.decoded_size), ratio_text(l.decoded_size, l.end_offset));
  return r;
}

}  // namespace upscope::reports
