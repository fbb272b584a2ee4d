// `upscope inspect X.chunklist` (reports/format_reports.hpp): the header with its methods named, the
// chunk table (shortened in text past kChunkTextRows chunks; JSON lists every chunk) and the
// signature, which is not verified.
#include <fmt/format.h>

#include "inspect/text.hpp"
#include "reports/format_reports.hpp"
#include "reports/text_table.hpp"

namespace upscope::reports {

namespace {

constexpr size_t kChunkTextRows = 20;  // first and last 10 rows of a longer table

std::string chunk_table(const chunklist::Chunklist& cl) {
  using A = TextTable::Align;
  TextTable t({"#", "OFFSET", "SIZE", "SHA-256"}, {A::kRight, A::kRight, A::kRight, A::kLeft});
  const size_t n = cl.chunks.size();
  const bool cut = n > kChunkTextRows;
  const size_t head = cut ? kChunkTextRows / 2 : n;
  const size_t tail_from = cut ? n - kChunkTextRows / 2 : n;
  for (size_t i = 0; i < n; ++i) {
    if (cut && i == head) {
      t.add_row({"...", "", "", fmt::format("({} more chunks: --json lists them all)", tail_from - head)});
      i = tail_from;
    }
    const auto& c = cl.chunks[i];
    t.add_row({std::to_string(i), std::to_string(c.offset), std::to_string(c.size), to_hex(c.sha256)});
  }
  return indent(t.str());  // under the summary lines like the other inspect reports
}

}  // namespace

FormatReport chunklist_report(const chunklist::Chunklist& cl) {
  FormatReport r{chunklist::to_json(cl), {}};
  r.text += fmt::format("  version {}, chunk method {} ({}), signature method {} ({})\n", cl.file_version,
                        cl.chunk_method, chunklist::chunk_method_name(cl.chunk_method), cl.signature_method,
                        chunklist::signature_method_name(cl.signature_method));
  r.text += fmt::format("  {} chunk{} covering {} bytes ({})", cl.chunks.size(), cl.chunks.size() == 1 ? "" : "s",
                        cl.total_bytes, human_size(cl.total_bytes));
  if (!cl.chunks.empty()) r.text += fmt::format(", chunk size {} to {}", cl.min_chunk, cl.max_chunk);
  r.text += fmt::format("\n  chunk table at {:#x}; signature at {:#x}, {} bytes ({})\n", cl.chunk_table_offset,
                        cl.signature_offset, cl.signature_length,
                        chunklist::signature_method_name(cl.signature_method));
  r.text += fmt::format("  signature {}\n", chunklist::kSignatureNote);
  if (!cl.chunks.empty()) r.text += chunk_table(cl);
  return r;
}

}  // namespace upscope::reports
