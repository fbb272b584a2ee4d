// `upscope inspect` for kernel collections and IM4P payloads. A fileset gets the Mach-O report of
// inspect_macho.cpp plus the collection view (reports/format_reports.hpp); an IM4P gets its DER
// fields and, when the payload is a kernelcache, the same collection view.
#include "img4/im4p.hpp"
#include "inspect_registry.hpp"
#include "kc/kc.hpp"
#include "reports/format_reports.hpp"
#include "trustcache/trustcache.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_fileset(const Context& ctx, const SourcePtr& src, const Identification& id) {
  InspectResult r;
  if (const InspectFn* macho = find_inspector("macho")) r = (*macho)(ctx, src, id);
  if (r.error) return r;
  kc::OpenOptions opt;
  opt.jobs = ctx.global.jobs;
  opt.content_hash.reset();
  Diagnostics kd;  // entry-level Mach-O problems are already in the Mach-O report's diagnostics
  auto kc = kc::open(src, kd, opt);
  if (!kc) {
    r.diagnostics.add(kc.error());
    return r;
  }
  for (const auto& d : kd.items())
    if (d.structure.rfind("PRELINK_INFO", 0) == 0) r.diagnostics.add(d);
  reports::add_kernel_collection(r, *kc);
  return r;
}

InspectResult inspect_im4p(const Context& ctx, const SourcePtr& src, const Identification& id) {
  // A trust-cache payload type: inspect_trustcache.cpp reads it.
  if (trustcache::is_trust_cache_type(id.details.value("type", "")))
    if (const InspectFn* tc = find_inspector("trustcache")) return (*tc)(ctx, src, id);
  InspectResult r;
  std::vector<uint8_t> scratch;
  auto whole = src->view(0, src->size(), scratch, "IM4P");
  if (!whole) {
    r.error = whole.error();
    return r;
  }
  auto p = img4::parse_im4p(*whole);
  if (!p) {
    r.error = p.error();
    return r;
  }
  if (p->has_keybag) {  // encrypted: the payload cannot be read
    r.set_report(reports::im4p_report(*p, nullptr));
    return r;
  }
  kc::OpenOptions opt;
  opt.jobs = ctx.global.jobs;
  opt.content_hash.reset();
  auto kc = kc::open(src, r.diagnostics, opt);
  r.set_report(reports::im4p_report(*p, &kc));
  return r;
}

const InspectorRegistrar reg_fileset({"macho-fileset"}, inspect_fileset);
const InspectorRegistrar reg_im4p({"im4p"}, inspect_im4p);

}  // namespace
}  // namespace upscope::cli
