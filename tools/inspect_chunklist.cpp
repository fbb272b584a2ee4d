// `upscope inspect X.chunklist`: the header, the chunk table and the signature (not verified), as
// reports/format_reports.hpp words them.
#include "chunklist/chunklist.hpp"
#include "inspect_registry.hpp"
#include "reports/format_reports.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_chunklist(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto cl = chunklist::parse(*src);
  if (!cl) {
    r.error = cl.error();
    return r;
  }
  r.set_report(reports::chunklist_report(*cl));
  r.diagnostics = cl->diagnostics;
  return r;
}

const InspectorRegistrar registered_inspect_chunklist({"chunklist"}, inspect_chunklist);

}  // namespace
}  // namespace upscope::cli
