// `upscope inspect ADVISORY` (reports/format_reports.hpp).
#include "analysis/advisory_placement.hpp"
#include "reports/format_reports.hpp"

namespace upscope::reports {

FormatReport advisory_report(const advisory::Advisory& a) { return {advisory::to_json(a), advisory::to_text(a)}; }

}  // namespace upscope::reports
