// `upscope inspect FILE.pkg`: the xar table of contents, every member, and per component the paths its
// Bom lists and its Scripts archive, both read here (the Payload is listed by `upscope ls --payload`;
// reports/format_reports.hpp words the report).
#include "bom/bom.hpp"
#include "inspect/limits.hpp"
#include "inspect_registry.hpp"
#include "pkg/pkg.hpp"
#include "reports/format_reports.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_pkg(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto p = pkg::read(*src);
  if (!p) { r.error = p.error(); return r; }
  std::vector<reports::PkgComponentContents> contents(p->components.size());
  for (size_t i = 0; i < p->components.size(); ++i) {
    const auto& c = p->components[i];
    if (!c.bom.empty()) {
      auto bytes = pkg::read_member(*src, c.bom, clamp_to_memory_limit(uint64_t{1} << 30));
      auto b = bytes ? bom::parse(ByteReader(*bytes), c.bom) : Result<bom::Bom>(fail(bytes.error()));
      if (b) {
        contents[i].bom_paths = b->paths.size();
        for (const auto& d : b->diagnostics.items()) r.diagnostics.add({d.severity, d.offset, c.bom + ": " + d.structure, d.message});
      } else {
        r.diagnostics.add(b.error());
      }
    }
    if (!c.scripts.empty()) {
      auto l = pkg::list_member_archive(*src, c.scripts);
      if (l)
        contents[i].scripts = std::move(*l);
      else
        r.diagnostics.add(l.error());
    }
  }
  r.set_report(reports::pkg_report(*p, contents));
  return r;
}

const InspectorRegistrar registered_inspect_pkg({"pkg", "xar"}, inspect_pkg);

}  // namespace
}  // namespace upscope::cli
