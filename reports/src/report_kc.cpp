// `upscope inspect` of kernel collections and IM4P payloads (reports/format_reports.hpp): the
// collection view (kind, kernel version, entry and kext counts, __PRELINK_INFO summary) and an
// IM4P's DER fields.
#include <fmt/format.h>

#include "reports/format_reports.hpp"

namespace upscope::reports {

void add_kernel_collection(FormatReport& r, const kc::KernelCollection& kc) {
  r.json["kernel_collection"] = kc::summary_json(kc);  // `upscope ls` lists the entries
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

FormatReport im4p_report(const img4::Im4p& p, const Result<kc::KernelCollection>* payload) {
  FormatReport r;
  r.json["type"] = p.type;
  r.json["description"] = p.description;
  r.json["payload_offset"] = p.payload.base();
  r.json["payload_length"] = p.payload.size();
  r.json["payload_compression"] = p.payload_kind();
  r.json["encrypted"] = p.has_keybag;
  if (p.compression)
    r.json["compression"] = {{"algorithm", p.compression->algorithm},
                             {"uncompressed_size", p.compression->uncompressed_size}};
  r.text += fmt::format("  type: {}\n  description: {}\n  payload: {} bytes at {:#x}, {}{}\n", p.type, p.description,
                        p.payload.size(), p.payload.base(), p.payload_kind(), p.has_keybag ? ", encrypted" : "");
  if (!payload) return r;
  if (!*payload) {
    r.json["kernel_collection"] = nullptr;
    r.text += fmt::format("  payload is not a Mach-O kernelcache: {}\n", payload->error().message());
    return r;
  }
  add_kernel_collection(r, **payload);
  return r;
}

}  // namespace upscope::reports
