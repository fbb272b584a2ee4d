// `upscope inspect ADVISORY`: an advisory page (text, HTML, Markdown) as its entries: component,
// placement and why, impact, CVEs. The verdict from them is `upscope verdict ADVISORY`.
#include "advisory/advisory.hpp"
#include "inspect_registry.hpp"
#include "reports/format_reports.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_advisory(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto bytes = src->contiguous();
  if (!bytes) { r.error = make_error(ErrorCode::kUnsupported, "security advisory", "input is not mapped"); return r; }
  auto a = advisory::parse(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), "");
  if (!a) { r.error = a.error(); return r; }
  r.set_report(reports::advisory_report(*a));
  return r;
}

const InspectorRegistrar registered_inspect_advisory({"advisory"}, inspect_advisory);

}  // namespace
}  // namespace upscope::cli
