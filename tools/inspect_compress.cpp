// `upscope inspect` for compressed streams: pbz* chunked streams, complzss LZSS kernelcaches (the body
// decoded to check its Adler-32), LZFSE and LZBITMAP streams (their block headers); the reports are
// reports/format_reports.hpp's.
#include <fmt/format.h>

#include "compress/complzss.hpp"
#include "compress/lzbitmap.hpp"
#include "compress/lzfse_blocks.hpp"
#include "inspect_registry.hpp"
#include "pbzx/pbzx.hpp"
#include "reports/format_reports.hpp"

namespace upscope::cli {
namespace {

// Decoding to check the Adler-32 is bounded: kernelcaches are tens of MiB.
constexpr uint64_t kLzssCheckLimit = uint64_t{1} << 30;

std::optional<Bytes> whole(const SourcePtr& src, InspectResult& r) {
  auto b = src->contiguous();
  if (!b) r.error = make_error(ErrorCode::kIo, src->name(), "input is not mapped in memory");
  return b;
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
  r.set_report(reports::pbz_report(*s));
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
  auto p = compress::decode_complzss(br, kLzssCheckLimit);
  std::optional<compress::ComplzssPayload> decoded;
  if (p) {
    if (!p->adler_ok())
      r.diagnostics.error(8, "complzss header",
                          fmt::format("Adler-32 {:#010x} does not match the decoded data ({:#010x})", h->adler32,
                                      p->computed_adler32));
    decoded = std::move(*p);
  } else {
    r.diagnostics.add(p.error());
  }
  r.set_report(reports::lzss_report(*h, decoded));
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
  r.set_report(reports::lzfse_report(*layout));
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
  r.set_report(reports::lzbitmap_report(*layout));
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
