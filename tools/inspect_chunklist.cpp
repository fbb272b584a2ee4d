// `upscope inspect X.chunklist`: the header with its methods named, the chunk table (shortened in
// text past kTextRows chunks; JSON lists every chunk) and the signature, which is not verified.
#include <fmt/format.h>

#include "chunklist/chunklist.hpp"
#include "inspect/text.hpp"
#include "inspect_registry.hpp"
#include "reports/text_table.hpp"

namespace upscope::cli {
namespace {

constexpr size_t kTextRows = 20;  // first and last 10 rows of a longer table

std::string chunk_table(const chunklist::Chunklist& cl) {
  using A = reports::TextTable::Align;
  reports::TextTable t({"#", "OFFSET", "SIZE", "SHA-256"}, {A::kRight, A::kRight, A::kRight, A::kLeft});
  const size_t n = cl.chunks.size();
  const bool cut = n > kTextRows;
  const size_t head = cut ? kTextRows / 2 : n;
  const size_t tail_from = cut ? n - kTextRows / 2 : n;
  for (size_t i = 0; i < n; ++i) {
    if (cut && i == head) {
      t.add_row({"...", "", "", fmt::format("({} more chunks: --json lists them all)", tail_from - head)});
      i = tail_from;
    }
    const auto& c = cl.chunks[i];
    t.add_row({std::to_string(i), std::to_string(c.offset), std::to_string(c.size), to_hex(c.sha256)});
  }
  // Indented under the summary lines like the other inspect reports.
  std::string out;
  const std::string text = t.str();
  for (size_t b = 0, e; b < text.size(); b = e + 1) {
    e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    out += "  " + text.substr(b, e - b) + "\n";
  }
  return out;
}

InspectResult inspect_chunklist(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto cl = chunklist::parse(*src);
  if (!cl) {
    r.error = cl.error();
    return r;
  }
  r.json = chunklist::to_json(*cl);
  r.diagnostics = cl->diagnostics;
  r.text += fmt::format("  version {}, chunk method {} ({}), signature method {} ({})\n", cl->file_version,
                        cl->chunk_method, chunklist::chunk_method_name(cl->chunk_method), cl->signature_method,
                        chunklist::signature_method_name(cl->signature_method));
  r.text += fmt::format("  {} chunk{} covering {} bytes ({})", cl->chunks.size(), cl->chunks.size() == 1 ? "" : "s",
                        cl->total_bytes, human_size(cl->total_bytes));
  if (!cl->chunks.empty()) r.text += fmt::format(", chunk size {} to {}", cl->min_chunk, cl->max_chunk);
  r.text += fmt::format("\n  chunk table at {:#x}; signature at {:#x}, {} bytes ({})\n", cl->chunk_table_offset,
                        cl->signature_offset, cl->signature_length,
                        chunklist::signature_method_name(cl->signature_method));
  r.text += fmt::format("  signature {}\n", chunklist::kSignatureNote);
  if (!cl->chunks.empty()) r.text += chunk_table(*cl);
  return r;
}

const InspectorRegistrar registered_inspect_chunklist({"chunklist"}, inspect_chunklist);

}  // namespace
}  // namespace upscope::cli
