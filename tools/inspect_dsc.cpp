// `upscope inspect` for dyld shared caches (format id "dyld-cache"): the report is reports/dsc.hpp's.
#include "dyld_cache/cache.hpp"
#include "inspect_registry.hpp"
#include "reports/dsc.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_dsc(const Context& ctx, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto c = dyld_cache::open_cache(src, dyld_cache::siblings_of(src), r.diagnostics);
  if (!c) {
    r.error = c.error();
    return r;
  }
  dyld_cache::ImageOptions opt;
  opt.function_starts = false;
  auto details = dyld_cache::all_image_details(*c, ctx.global.jobs, opt, r.diagnostics);
  r.set_report(reports::dsc_report(*c, details));
  return r;
}

const InspectorRegistrar registered_inspect_dsc({"dyld-cache"}, inspect_dsc);

}  // namespace
}  // namespace upscope::cli
