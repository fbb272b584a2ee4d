// `upscope inspect` of trust caches and IMG4 containers (reports/format_reports.hpp).
#include <fmt/format.h>

#include "reports/format_reports.hpp"
#include "reports/text_table.hpp"

namespace upscope::reports {

FormatReport trust_cache_report(const trustcache::TrustCache& tc) {
  return {trustcache::to_json(tc), "  " + trustcache::summary(tc) + "\n" + indent(trustcache::entries_text(tc))};
}

FormatReport image4_report(const img4::Image4& img) {
  FormatReport r;
  const img4::Im4p& p = img.im4p;
  r.json["format"] = "img4";
  r.json["im4p"] = {{"offset", img.im4p_offset},
                    {"length", img.im4p_length},
                    {"type", p.type},
                    {"description", p.description},
                    {"payload_offset", p.payload.base()},
                    {"payload_length", p.payload.size()},
                    {"payload_compression", p.payload_kind()},
                    {"encrypted", p.has_keybag}};
  r.json["manifest_offset"] = img.manifest_offset ? Json(*img.manifest_offset) : Json(nullptr);
  r.json["restore_info"] = img.has_restore_info;
  r.text = fmt::format("  IM4P '{}' at {:#x}: description \"{}\", {} payload of {} bytes at {:#x}{}\n", p.type,
                       img.im4p_offset, p.description, p.payload_kind(), p.payload.size(), p.payload.base(),
                       p.has_keybag ? ", encrypted" : "");
  r.text += img.manifest_offset ? fmt::format("  IM4M manifest at {:#x}, {} bytes (not verified)\n", *img.manifest_offset,
                                              img.manifest_length)
                                : "  no IM4M manifest\n";
  if (img.has_restore_info) r.text += "  IM4R restore info present\n";
  return r;
}

}  // namespace upscope::reports
