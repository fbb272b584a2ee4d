// `upscope inspect FILE.pkg`: the xar table of contents, every member, each component's parts, the
// number of paths its Bom lists and the files of its Scripts (the Payload is listed by `upscope ls --payload`).
#include <fmt/format.h>

#include "bom/bom.hpp"
#include "inspect/limits.hpp"
#include "inspect_registry.hpp"
#include "pkg/pkg.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_pkg(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto p = pkg::read(*src);
  if (!p) { r.error = p.error(); return r; }
  r.json = pkg::to_json(*p);
  r.text = pkg::to_text(*p);
  for (size_t i = 0; i < p->components.size(); ++i) {
    const auto& c = p->components[i];
    auto& cj = r.json["components"][i];
    const std::string name = c.name.empty() ? "(top level)" : c.name;
    if (!c.bom.empty()) {
      auto bytes = pkg::read_member(*src, c.bom, clamp_to_memory_limit(uint64_t{1} << 30));
      auto b = bytes ? bom::parse(ByteReader(*bytes), c.bom) : Result<bom::Bom>(fail(bytes.error()));
      if (b) {
        cj["bom_paths"] = b->paths.size();
        r.text += fmt::format("  {}: Bom lists {} paths\n", name, b->paths.size());
        for (const auto& d : b->diagnostics.items()) r.diagnostics.add({d.severity, d.offset, c.bom + ": " + d.structure, d.message});
      } else {
        r.diagnostics.add(b.error());
      }
    }
    if (!c.scripts.empty()) {
      auto l = pkg::list_member_archive(*src, c.scripts);
      if (l) {
        reports::Json names = reports::Json::array();
        std::string joined;
        for (const auto& e : l->entries) {
          if (e.type != 'F') continue;
          names.push_back(e.path);
          joined += (joined.empty() ? "" : ", ") + e.path;
        }
        cj["scripts_files"] = std::move(names);
        r.text += fmt::format("  {}: Scripts ({}): {}\n", name, l->container, joined.empty() ? "no files" : joined);
      } else {
        r.diagnostics.add(l.error());
      }
    }
  }
  return r;
}

const InspectorRegistrar registered_inspect_pkg({"pkg", "xar"}, inspect_pkg);

}  // namespace
}  // namespace upscope::cli
