// `upscope inspect` for trust caches (raw, or the payload of an IM4P / IMG4 of a trust-cache type:
// docs/formats/trustcache.md) and for IMG4 containers in general: which IM4P they hold, where the
// manifest lies. IM4Ps of a trust-cache type come here from inspect_kc.cpp's IM4P inspector.
#include "img4/img4.hpp"
#include "inspect_registry.hpp"
#include "reports/format_reports.hpp"
#include "trustcache/trustcache.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_trustcache(const Context&, const SourcePtr& src, const Identification& id) {
  InspectResult r;
  if (id.format == "img4") {
    std::vector<uint8_t> scratch;
    auto whole = src->view(0, src->size(), scratch, "IMG4");
    auto img = whole ? img4::parse_image4(*whole) : Result<img4::Image4>(fail(whole.error()));
    if (!img) {
      r.error = img.error();
      return r;
    }
    if (!trustcache::is_trust_cache_type(img->im4p.type)) {  // the container's layout only
      r.set_report(reports::image4_report(*img));
      return r;
    }
  }
  auto tc = trustcache::parse(*src);
  if (!tc) {
    r.error = tc.error();
    return r;
  }
  r.set_report(reports::trust_cache_report(*tc));
  r.diagnostics = tc->diagnostics;
  return r;
}

const InspectorRegistrar registered_inspect_trustcache({"trustcache", "img4"}, inspect_trustcache);

}  // namespace
}  // namespace upscope::cli
