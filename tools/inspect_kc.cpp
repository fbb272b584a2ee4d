// `upscope inspect` for kernel collections and IM4P payloads. A fileset gets the Mach-O report of
// inspect_macho.cpp (header, segments, every fileset entry's header) plus the collection view:
// kind (Boot/System/Aux KC), kernel version, entry and kext counts, __PRELINK_INFO summary. An
// IM4P gets its DER fields and, when the payload is a kernelcache, the same collection view.
#include <fmt/format.h>

#include "img4/im4p.hpp"
#include "inspect_registry.hpp"
#include "kc/kc.hpp"
#include "trustcache/trustcache.hpp"

namespace upscope::cli {
namespace {

void add_collection(InspectResult& r, const kc::KernelCollection& kc) {
  reports::Json j = kc::to_json(kc);
  j.erase("entries");  // `upscope ls` lists them; the Mach-O report already shows each header
  r.json["kernel_collection"] = std::move(j);
  r.text += fmt::format("  collection: {} ({})\n", kc::to_string(kc.kind), kc.kind_reason);
  if (!kc.layers.empty()) {
    std::string s;
    for (const auto& l : kc.layers) s += (s.empty() ? "" : " > ") + l;
    r.text += fmt::format("  unwrapped: {}\n", s);
  }
  if (!kc.boot_kc_id.empty()) r.text += fmt::format("  links against Boot KC: {}\n", kc.boot_kc_id);
  r.text += fmt::format("  kernel version: {}\n", kc.kernel_version.empty() ? "(not found)" : kc.kernel_version);
  r.text += fmt::format("  entries: {} ({} kexts{})\n", kc.entries.size(), kc.kext_count(),
                        kc.prelink ? fmt::format(", {} in __PRELINK_INFO", kc.prelink->kexts.size()) : "");
}

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
  add_collection(r, *kc);
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
  r.json["type"] = p->type;
  r.json["description"] = p->description;
  r.json["payload_offset"] = p->payload.base();
  r.json["payload_length"] = p->payload.size();
  r.json["payload_compression"] = p->payload_kind();
  r.json["encrypted"] = p->has_keybag;
  if (p->compression)
    r.json["compression"] = {{"algorithm", p->compression->algorithm},
                             {"uncompressed_size", p->compression->uncompressed_size}};
  r.text += fmt::format("  type: {}\n  description: {}\n  payload: {} bytes at {:#x}, {}{}\n", p->type, p->description,
                        p->payload.size(), p->payload.base(), p->payload_kind(), p->has_keybag ? ", encrypted" : "");
  if (p->has_keybag) return r;
  kc::OpenOptions opt;
  opt.jobs = ctx.global.jobs;
  opt.content_hash.reset();
  auto kc = kc::open(src, r.diagnostics, opt);
  if (!kc) {
    r.json["kernel_collection"] = nullptr;
    r.text += fmt::format("  payload is not a Mach-O kernelcache: {}\n", kc.error().message());
    return r;
  }
  add_collection(r, *kc);
  return r;
}

const InspectorRegistrar reg_fileset({"macho-fileset"}, inspect_fileset);
const InspectorRegistrar reg_im4p({"im4p"}, inspect_im4p);

}  // namespace
}  // namespace upscope::cli
