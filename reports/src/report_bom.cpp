// `upscope inspect FILE.bom` (reports/format_reports.hpp): the header, the variables, every tree's shape.
#include "reports/format_reports.hpp"

namespace upscope::reports {

FormatReport bom_report(const bom::Bom& b) { return {bom::to_json(b), bom::to_text(b)}; }

}  // namespace upscope::reports
