// `upscope inspect` of patches and Apple Archives (reports/format_reports.hpp): BXDIFF50/4x and
// RIDIFF10 as their readers describe them, an archive as its entry counts.
#include <fmt/format.h>

#include "reports/format_reports.hpp"

namespace upscope::reports {

FormatReport patch_report(const bxdiff50::Patch& p) { return {bxdiff50::to_json(p), bxdiff50::to_text(p)}; }
FormatReport patch_report(const ridiff10::Patch& p) { return {ridiff10::to_json(p), ridiff10::to_text(p)}; }

FormatReport apple_archive_report(const aa::Listing& l) {
  size_t files = 0, dirs = 0, links = 0, unsafe = 0;
  for (const auto& e : l.entries) {
    auto t = e.type();
    files += t == 'F';
    dirs += t == 'D';
    links += t == 'L';
    unsafe += !e.unsafe_path_reason().empty();
  }
  return {aa::to_json(l),
          fmt::format("  {} entries: {} files, {} directories, {} symlinks{} (list them with `upscope aa list`)\n",
                      l.entries.size(), files, dirs, links, unsafe ? fmt::format(", {} UNSAFE paths", unsafe) : "")};
}

}  // namespace upscope::reports
