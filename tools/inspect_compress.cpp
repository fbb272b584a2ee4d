// `upscope inspect` for compressed streams: pbz* chunked streams (codec, block size, every chunk's
// sizes), complzss LZSS kernelcaches (header fields and whether the Adler-32 matches), LZFSE
// streams (blocks from their headers) and LZBITMAP streams (chunks from their headers).
#include <fmt/format.h>

#include <map>

#include "compress/complzss.hpp"
#include "compress/lzbitmap.hpp"
#include "compress/lzfse_blocks.hpp"
#include "inspect/text.hpp"
#include "inspect_registry.hpp"
#include "pbzx/json.hpp"
#include "pbzx/pbzx.hpp"
#include "reports/text_table.hpp"

namespace upscope::cli {
namespace {

// Decoding to check the Adler-32 is bounded: kernelcaches are tens of MiB.
constexpr uint64_t kLzssCheckLimit = uint64_t{1} << 30;

std::optional<Bytes> whole(const SourcePtr& src, InspectResult& r) {
  auto b = src->contiguous();
  if (!b) r.error = make_error(ErrorCode::kIo, src->name(), "input is not mapped in memory");
  return b;
}

std::string ratio_text(uint64_t decoded, uint64_t stored) {
  return stored ? fmt::format("{:.2f}:1", double(decoded) / double(stored)) : "-";
}

InspectResult inspect_pbz(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto bytes = whole(src, r);
  if (!bytes) return r;
  auto s = pbzx::parse(ByteReader(*bytes), r.diagnostics);
  if (!s) {
    r.error = s.error();
    return r;
  }
  r.json = pbzx::to_json(*s);
  r.text += fmt::format("  {} stream: codec {}{}, block size {:#x} ({})\n", s->magic, s->codec_name,
                        s->supported() ? "" : " (unsupported: framing only)", s->block_size, human_size(s->block_size));
  r.text += fmt::format("  {} chunks, {} stored bytes -> {} decoded ({}), ratio {}\n", s->chunks.size(), s->stored_bytes,
                        s->decoded_size, human_size(s->decoded_size), ratio_text(s->decoded_size, s->stored_bytes));
  reports::TextTable t({"#", "OFFSET", "RAW", "STORED", "KIND"},
                       {reports::TextTable::Align::kRight, reports::TextTable::Align::kRight,
                        reports::TextTable::Align::kRight, reports::TextTable::Align::kRight,
                        reports::TextTable::Align::kLeft});
  // Text shows the first and last chunks of long streams; JSON always has them all.
  const size_t n = s->chunks.size(), shown = 20;
  for (size_t i = 0; i < n; ++i) {
    if (n > shown && i == shown / 2) t.add_row({"...", "", "", "", fmt::format("{} more", n - shown)});
    if (n > shown && i >= shown / 2 && i < n - shown / 2) continue;
    const auto& c = s->chunks[i];
    t.add_row({std::to_string(i), fmt::format("{:#x}", c.header_offset), std::to_string(c.raw_size),
               std::to_string(c.stored_size), c.stored ? "stored" : s->codec_name});
  }
  if (n) r.text += t.str();
  if (s->end_offset < bytes->size() && !s->framing_error)
    r.diagnostics.warning(s->end_offset, s->magic + " stream", "bytes after the last chunk");
  return r;
}

InspectResult inspect_lzss(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto bytes = whole(src, r);
  if (!bytes) return r;
  ByteReader br(*bytes);
  auto h = compress::parse_complzss(br);
  if (!h) {
    r.error = h.error();
    return r;
  }
  r.json["adler32"] = fmt::format("{:#010x}", h->adler32);
  r.json["decoded_size"] = h->decoded_size;
  r.json["encoded_size"] = h->encoded_size;
  r.json["platform_name"] = h->platform_name;
  r.json["root_path"] = h->root_path;
  r.json["trailing_bytes"] = h->trailing_bytes;
  r.json["compression_ratio"] = h->encoded_size ? double(h->decoded_size) / h->encoded_size : 0.0;
  r.text += fmt::format("  complzss: {} -> {} bytes ({}), ratio {}\n", h->encoded_size, h->decoded_size,
                        human_size(h->decoded_size), ratio_text(h->decoded_size, h->encoded_size));
  if (!h->platform_name.empty() || !h->root_path.empty())
    r.text += fmt::format("  platform '{}', root path '{}'\n", h->platform_name, h->root_path);
  if (h->trailing_bytes)
    r.text += fmt::format("  {} bytes after the LZSS body (not decoded)\n", h->trailing_bytes);
  auto p = compress::decode_complzss(br, kLzssCheckLimit);
  if (!p) {
    r.json["adler32_matches"] = nullptr;
    r.diagnostics.add(p.error());
    r.text += fmt::format("  Adler-32 {:#010x}: not checked (the body does not decode)\n", h->adler32);
    return r;
  }
  r.json["adler32_matches"] = p->adler_ok();
  r.json["computed_adler32"] = fmt::format("{:#010x}", p->computed_adler32);
  r.text += p->adler_ok() ? fmt::format("  Adler-32 {:#010x}: matches\n", h->adler32)
                          : fmt::format("  Adler-32 {:#010x}: MISMATCH, decoded data gives {:#010x}\n", h->adler32,
                                        p->computed_adler32);
  if (!p->adler_ok())
    r.diagnostics.error(8, "complzss header",
                        fmt::format("Adler-32 {:#010x} does not match the decoded data ({:#010x})", h->adler32,
                                    p->computed_adler32));
  return r;
}

InspectResult inspect_lzfse(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto bytes = whole(src, r);
  if (!bytes) return r;
  auto layout = compress::lzfse_block_layout(ByteReader(*bytes));
  if (!layout) {
    r.error = layout.error();
    return r;
  }
  auto blocks = reports::Json::array();
  std::map<std::string, size_t> kinds;
  for (const auto& b : layout->blocks) {
    blocks.push_back({{"offset", b.offset}, {"magic", b.magic}, {"raw_size", b.raw_size}, {"block_size", b.block_size}});
    ++kinds[b.magic];
  }
  r.json["block_count"] = layout->blocks.size();
  r.json["decoded_size"] = layout->decoded_size;
  r.json["encoded_size"] = layout->end_offset;
  r.json["compression_ratio"] = layout->end_offset ? double(layout->decoded_size) / layout->end_offset : 0.0;
  r.json["blocks"] = std::move(blocks);
  std::string kind_text;
  for (const auto& [k, n] : kinds) kind_text += fmt::format("{}{}×{}", kind_text.empty() ? "" : ", ", n, k);
  r.text += fmt::format("  LZFSE: {} blocks ({}), {} -> {} bytes ({}), ratio {}\n", layout->blocks.size(), kind_text,
                        layout->end_offset, layout->decoded_size, human_size(layout->decoded_size),
                        ratio_text(layout->decoded_size, layout->end_offset));
  if (layout->end_offset < bytes->size())
    r.diagnostics.warning(layout->end_offset, "LZFSE stream",
                          fmt::format("{} bytes after the bvx$ block", bytes->size() - layout->end_offset));
  return r;
}

// ZBM streams: chunk headers only (docs/formats/lzbitmap.md §2), nothing is decoded.
InspectResult inspect_lzbitmap(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto bytes = whole(src, r);
  if (!bytes) return r;
  auto layout = compress::lzbitmap_layout(ByteReader(*bytes));
  if (!layout) {
    r.error = layout.error();
    return r;
  }
  auto chunks = reports::Json::array();
  size_t stored = 0;
  for (const auto& c : layout->chunks) {
    chunks.push_back({{"offset", c.offset}, {"length", c.length}, {"decoded_size", c.decoded_size}, {"stored", c.stored}});
    stored += c.stored;
  }
  r.json["chunk_count"] = layout->chunks.size();
  r.json["stored_chunks"] = stored;
  r.json["decoded_size"] = layout->decoded_size;
  r.json["encoded_size"] = layout->end_offset;
  r.json["compression_ratio"] = layout->end_offset ? double(layout->decoded_size) / layout->end_offset : 0.0;
  r.json["chunks"] = std::move(chunks);
  r.text += fmt::format("  LZBITMAP: {} chunks ({} stored), {} -> {} bytes ({}), ratio {}\n", layout->chunks.size(),
                        stored, layout->end_offset, layout->decoded_size, human_size(layout->decoded_size),
                        ratio_text(layout->decoded_size, layout->end_offset));
  if (layout->end_offset < bytes->size())
    r.diagnostics.warning(layout->end_offset, "LZBITMAP stream",
                          fmt::format("{} bytes after the end-of-stream chunk", bytes->size() - layout->end_offset));
  return r;
}

const InspectorRegistrar reg_pbz({"pbzx", "pbze", "pbz4", "pbzz", "pbzb", "pbzm"}, inspect_pbz);
const InspectorRegistrar reg_lzss({"lzss"}, inspect_lzss);
const InspectorRegistrar reg_lzfse({"lzfse"}, inspect_lzfse);
const InspectorRegistrar reg_lzbitmap({"lzbitmap"}, inspect_lzbitmap);

}  // namespace
}  // namespace upscope::cli
