// `upscope inspect` for Mach-O: thin images, fat files (every slice) and MH_FILESET kernel
// collections, whose entries' own headers are read here in place with KC-relative offsets
// (reports/format_reports.hpp words the report).
#include <fmt/format.h>

#include "inspect_registry.hpp"
#include "macho/macho.hpp"
#include "reports/format_reports.hpp"

namespace upscope::cli {
namespace {

// Each fileset entry's header; problems inside an entry are named by it.
std::vector<reports::FilesetEntryHeader> fileset_entry_headers(const SourcePtr& src, const macho::MachO& kc,
                                                               Diagnostics& diags) {
  std::vector<uint8_t> scratch;
  auto whole = src->view(0, src->size(), scratch, "kernel collection");
  std::vector<reports::FilesetEntryHeader> out(kc.fileset_entries.size());
  for (size_t i = 0; i < kc.fileset_entries.size(); ++i) {
    const auto& e = kc.fileset_entries[i];
    if (!whole || e.fileoff >= whole->size()) continue;
    macho::ParseOptions opt;
    opt.offsets_base = *whole;
    opt.symbols = opt.exports = opt.function_starts = false;
    Diagnostics local;
    auto inner = macho::parse(*whole->sub(e.fileoff, whole->size() - e.fileoff), local, opt);
    for (Diagnostic d : local.items()) {
      d.structure = fmt::format("fileset entry {}: {}", e.entry_id, d.structure);
      diags.add(std::move(d));
    }
    if (!inner) diags.error(e.fileoff, fmt::format("fileset entry {}", e.entry_id), inner.error().message());
    out[i].header = std::move(inner);
  }
  return out;
}

InspectResult inspect_macho(const Context&, const SourcePtr& src, const Identification& id) {
  InspectResult r;
  auto ff = macho::parse_file(*src, r.diagnostics);
  if (!ff) {
    r.error = ff.error();
    return r;
  }
  if (id.format == "macho-fileset" && !ff->slices.empty() && ff->slices[0].image) {
    const auto headers = fileset_entry_headers(src, *ff->slices[0].image, r.diagnostics);
    r.set_report(reports::macho_report(*ff, &headers));
  } else {
    r.set_report(reports::macho_report(*ff, nullptr));
  }
  return r;
}

const InspectorRegistrar registered_inspect_macho({"macho", "macho-fat"}, inspect_macho);  // "macho-fileset": inspect_kc.cpp (delegates here)

}  // namespace
}  // namespace upscope::cli
