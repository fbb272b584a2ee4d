// `upscope inspect FILE.bom`: the BOMStore header, its variables and the shape of every tree.
#include "bom/bom.hpp"
#include "bom_input.hpp"
#include "inspect_registry.hpp"
#include "reports/format_reports.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_bom(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  std::vector<uint8_t> copy;
  auto bytes = bom_bytes(*src, copy);
  if (!bytes) { r.error = bytes.error(); return r; }
  auto b = bom::parse(ByteReader(*bytes), src->name());
  if (!b) { r.error = b.error(); return r; }
  r.set_report(reports::bom_report(*b));
  r.diagnostics = b->diagnostics;
  return r;
}

const InspectorRegistrar registered_inspect_bom({"bom"}, inspect_bom);

}  // namespace
}  // namespace upscope::cli
