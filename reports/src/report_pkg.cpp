// `upscope inspect FILE.pkg` (reports/format_reports.hpp): the xar table of contents, every member,
// each component's parts, the number of paths its Bom lists and the files of its Scripts.
#include <fmt/format.h>

#include "reports/format_reports.hpp"

namespace upscope::reports {

FormatReport pkg_report(const pkg::Package& p, const std::vector<PkgComponentContents>& components) {
  FormatReport r{pkg::to_json(p), pkg::to_text(p)};
  for (size_t i = 0; i < p.components.size(); ++i) {
    const auto& c = p.components[i];
    auto& cj = r.json["components"][i];
    if (i >= components.size()) continue;
    const PkgComponentContents& read = components[i];
    const std::string name = c.name.empty() ? "(top level)" : c.name;
    if (read.bom_paths) {
      cj["bom_paths"] = *read.bom_paths;
      r.text += fmt::format("  {}: Bom lists {} paths\n", name, *read.bom_paths);
    }
    if (read.scripts) {
      Json names = Json::array();
      std::string joined;
      for (const auto& e : read.scripts->entries) {
        if (e.type != 'F') continue;
        names.push_back(e.path);
        joined += (joined.empty() ? "" : ", ") + e.path;
      }
      cj["scripts_files"] = std::move(names);
      r.text += fmt::format("  {}: Scripts ({}): {}\n", name, read.scripts->container, joined.empty() ? "no files" : joined);
    }
  }
  return r;
}

}  // namespace upscope::reports
