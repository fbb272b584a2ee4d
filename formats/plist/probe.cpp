#include "plist/probe.hpp"

#include <string_view>

namespace upscope::plist {

std::optional<Identification> probe(const ProbeInput& in) {
  Identification id;
  if (in.head.starts_with("bplist0")) {
    id.format = "plist-binary";
    id.description = "binary property list";
    return id;
  }
  // Skip a UTF-8 BOM and leading white space, then look for the plist element in the head.
  uint64_t off = in.head.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (off < in.head.size() && (in.head.data()[off] == ' ' || in.head.data()[off] == '\n' ||
                                  in.head.data()[off] == '\r' || in.head.data()[off] == '\t'))
    ++off;
  if (!in.head.starts_with("<?xml", off) && !in.head.starts_with("<!DOCTYPE plist", off) &&
      !in.head.starts_with("<plist", off))
    return std::nullopt;
  auto window = in.head.data().subspan(off, std::min<size_t>(in.head.size() - off, 1024));
  std::string_view text(reinterpret_cast<const char*>(window.data()), window.size());
  if (text.find("<plist") == std::string_view::npos && text.find("<!DOCTYPE plist") == std::string_view::npos)
    return std::nullopt;
  id.format = "plist-xml";
  id.description = "XML property list";
  return id;
}

}  // namespace upscope::plist
