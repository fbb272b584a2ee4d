// `upscope inspect UPDATE` (reports/format_reports.hpp): an OTA/RSR update package's asset metadata,
// classification with its evidence and table of files and payloads; any other zip as its member count.
#include <fmt/format.h>

#include "reports/format_reports.hpp"

namespace upscope::reports {

FormatReport update_report(const ota::Package& p, size_t touched) {
  FormatReport r{ota::to_json(p), ota::to_text(p)};
  r.json["update_package"] = true;
  r.json["touched"] = touched;
  r.text += fmt::format("  {} device paths written, patched or removed (list them with `upscope ls`)\n", touched);
  return r;
}

FormatReport zip_report(const zip::Archive& a) {
  FormatReport r;
  r.json["format"] = "zip";
  r.json["update_package"] = false;
  r.json["zip64"] = a.zip64;
  r.json["members"] = a.members.size();
  r.text = fmt::format("  zip archive{}, {} members; no update metadata (not an OTA/RSR package)\n",
                       a.zip64 ? " (zip64)" : "", a.members.size());
  return r;
}

}  // namespace upscope::reports
