// `upscope inspect` for trust caches (raw, or the payload of an IM4P / IMG4 of a trust-cache type:
// docs/formats/trustcache.md) and for IMG4 containers in general: which IM4P they hold, where the
// manifest lies. IM4Ps of a trust-cache type come here from inspect_kc.cpp's IM4P inspector.
#include <fmt/format.h>

#include "img4/img4.hpp"
#include "inspect_registry.hpp"
#include "trustcache/trustcache.hpp"

namespace upscope::cli {
namespace {

std::string indent(const std::string& text) {
  std::string out;
  for (size_t b = 0, e; b < text.size(); b = e + 1) {
    e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    out += "  " + text.substr(b, e - b) + "\n";
  }
  return out;
}

InspectResult trust_cache_report(const SourcePtr& src) {
  InspectResult r;
  auto tc = trustcache::parse(*src);
  if (!tc) {
    r.error = tc.error();
    return r;
  }
  r.json = trustcache::to_json(*tc);
  r.diagnostics = tc->diagnostics;
  r.text = "  " + trustcache::summary(*tc) + "\n" + indent(trustcache::entries_text(*tc));
  return r;
}

// An IMG4 whose IM4P is not a trust cache: the container's layout only.
InspectResult image4_report(const img4::Image4& img) {
  InspectResult r;
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
  r.json["manifest_offset"] = img.manifest_offset ? reports::Json(*img.manifest_offset) : reports::Json(nullptr);
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

InspectResult inspect_trustcache(const Context&, const SourcePtr& src, const Identification& id) {
  if (id.format == "img4") {
    std::vector<uint8_t> scratch;
    auto whole = src->view(0, src->size(), scratch, "IMG4");
    auto img = whole ? img4::parse_image4(*whole) : Result<img4::Image4>(fail(whole.error()));
    if (!img) {
      InspectResult r;
      r.error = img.error();
      return r;
    }
    if (!trustcache::is_trust_cache_type(img->im4p.type)) return image4_report(*img);
  }
  return trust_cache_report(src);
}

const InspectorRegistrar registered_inspect_trustcache({"trustcache", "img4"}, inspect_trustcache);

}  // namespace
}  // namespace upscope::cli
