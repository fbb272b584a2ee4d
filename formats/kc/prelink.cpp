#include "kc/prelink.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "inspect/limits.hpp"
#include "plist/iokit_xml.hpp"

namespace upscope::kc {

namespace {

constexpr std::string_view kStructure = "PRELINK_INFO plist";

}  // namespace

Result<std::string> resolve_idrefs(const ByteReader& xml, uint64_t* references, const ResolveLimits& limits) {
  auto all = xml.data();
  std::string_view in(reinterpret_cast<const char*>(all.data()), all.size());
  if (auto nul = in.find('\0'); nul != std::string_view::npos) in = in.substr(0, nul);  // NUL-padded section
  const bool wrapped = in.find("<plist") != std::string_view::npos;
  std::string out;
  out.reserve(in.size() + 128);
  if (!wrapped) out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">";
  struct Open {
    std::string_view name;
    std::optional<uint64_t> id;
    size_t out_start;
    uint64_t at;
  };
  std::vector<Open> stack;
  std::unordered_map<uint64_t, std::string> ids;
  std::unordered_set<uint64_t> open_ids;
  uint64_t stored = 0, refs = 0;
  auto err = [&](uint64_t at, std::string rule, ErrorCode code = ErrorCode::kMalformed) {
    return fail(code, std::string(kStructure), std::move(rule), xml.base() + at);
  };
  // The expansion is held in memory whole: the user's --max-memory lowers the reader's own cap.
  const uint64_t cap = clamp_to_memory_limit(limits.max_output);
  auto too_big = [&](uint64_t at) -> Error {
    if (cap < limits.max_output)
      return memory_limit_error(std::string(kStructure) + " ID/IDREF expansion", xml.base() + at);
    return make_error(ErrorCode::kLimit, std::string(kStructure),
                      fmt::format("ID/IDREF expansion exceeds {} bytes", limits.max_output), xml.base() + at);
  };
  UPSCOPE_CHECK(check_memory(in.size(), std::string(kStructure) + " (its XML text)", xml.base()));
  size_t i = 0;
  while (i < in.size()) {
    size_t lt = in.find('<', i);
    out.append(in.substr(i, lt == std::string_view::npos ? std::string_view::npos : lt - i));
    if (lt == std::string_view::npos) break;
    if (in.compare(lt, 4, "<!--") == 0) {
      size_t e = in.find("-->", lt + 4);
      if (e == std::string_view::npos) return err(lt, "comment is not terminated");
      out.append(in.substr(lt, e + 3 - lt));
      i = e + 3;
      continue;
    }
    size_t gt = in.find('>', lt);
    if (gt == std::string_view::npos) return err(lt, "tag is not closed with '>'");
    std::string_view body = in.substr(lt + 1, gt - lt - 1);
    i = gt + 1;
    if (!body.empty() && (body[0] == '?' || body[0] == '!')) {  // declaration, DOCTYPE
      out.append(in.substr(lt, gt + 1 - lt));
      continue;
    }
    auto tag = plist::split_xml_tag(body);
    if (!tag) return err(lt, fmt::format("malformed tag <{}>", body.substr(0, 40)));
    const std::string_view name = tag->name == "set" ? std::string_view("array") : tag->name;
    if (tag->closing) {
      if (stack.empty() || stack.back().name != tag->name)
        return err(lt, stack.empty() ? plist::end_tag_mismatch(tag->name, std::nullopt, 0)
                                     : plist::end_tag_mismatch(tag->name, stack.back().name, xml.base() + stack.back().at));
      Open o = stack.back();
      stack.pop_back();
      out += "</";
      out += name;
      out += '>';
      if (o.id) {
        std::string value = out.substr(o.out_start);
        stored += value.size();
        if (stored > cap) return fail(too_big(lt));
        open_ids.erase(*o.id);
        ids[*o.id] = std::move(value);
      }
      continue;
    }
    if (tag->name == "plist") {  // the wrapper keeps its attributes
      out.append(in.substr(lt, gt + 1 - lt));
      if (!tag->self_closing) stack.push_back({tag->name, std::nullopt, out.size(), lt});
      continue;
    }
    if (tag->idref) {
      auto n = plist::xml_number(*tag->idref);
      if (!n) return err(lt, fmt::format("IDREF=\"{}\" is not a number", *tag->idref));
      if (open_ids.count(*n)) return err(lt, fmt::format("IDREF=\"{}\" refers to an element that contains it (cycle)", *n));
      auto it = ids.find(*n);
      if (it == ids.end()) return err(lt, fmt::format("IDREF=\"{}\" refers to no earlier ID", *n));
      if (it->second.size() > cap - std::min<uint64_t>(out.size(), cap)) return fail(too_big(lt));
      out += it->second;
      ++refs;
      if (!tag->self_closing) {  // <string IDREF="1"></string>: skip the (empty) body
        size_t e = in.find('>', in.find("</", i));
        if (e == std::string_view::npos) return err(lt, fmt::format("<{} IDREF> is not closed", tag->name));
        i = e + 1;
      }
      continue;
    }
    std::optional<uint64_t> id;
    if (tag->id) {
      id = plist::xml_number(*tag->id);
      if (!id) return err(lt, fmt::format("ID=\"{}\" is not a number", *tag->id));
    }
    if (tag->self_closing) {
      std::string s = fmt::format("<{}/>", name);
      out += s;
      if (id) ids[*id] = std::move(s);
      continue;
    }
    if (stack.size() >= limits.max_depth) return err(lt, fmt::format("nesting deeper than {} elements", limits.max_depth));
    stack.push_back({tag->name, id, out.size(), lt});
    if (id) open_ids.insert(*id);
    out += '<';
    out += name;
    out += '>';
    if (out.size() > cap) return fail(too_big(lt));
  }
  if (!stack.empty())
    return err(stack.back().at, fmt::format("<{}> is not closed before the end of the text", stack.back().name));
  if (!wrapped) out += "</plist>\n";
  if (references) *references = refs;
  return out;
}

namespace {

std::optional<Uuid> get_uuid(const plist::IokitXml& doc, plist::IokitXml::Node dict, const char* key,
                             Diagnostics& diags) {
  auto n = doc.dict_get(dict, key);
  if (!n) return std::nullopt;
  auto bytes = doc.data(*n);
  if (!bytes || bytes->size() != 16) {
    diags.warning(std::nullopt, std::string(kStructure), fmt::format("{} is not 16 bytes of <data>", key));
    return std::nullopt;
  }
  Uuid u;
  std::copy(bytes->begin(), bytes->end(), u.begin());
  return u;
}

}  // namespace

Result<PrelinkInfo> parse_prelink_info(const ByteReader& xml, Diagnostics& diags, const ResolveLimits& limits) {
  using plist::XmlType;
  PrelinkInfo info;
  plist::XmlLimits xl;
  xl.max_depth = limits.max_depth;
  UPSCOPE_TRY(plist::IokitXml doc, plist::IokitXml::parse(xml, kStructure, xl));
  info.references_resolved = doc.references();
  const auto root = doc.root();
  if (doc.type(root) != XmlType::kDict)
    return fail(ErrorCode::kMalformed, std::string(kStructure),
                fmt::format("the root is a <{}>, not a <dict>", plist::type_name(doc.type(root))), xml.base());
  info.kc_id = get_uuid(doc, root, "_PrelinkKCID", diags);
  info.boot_kc_id = get_uuid(doc, root, "_BootKCID", diags);
  info.pageable_kc_id = get_uuid(doc, root, "_PageableKCID", diags);
  info.interface_uuid = get_uuid(doc, root, "_PrelinkInterfaceUUID", diags);
  auto arr = doc.dict_get(root, "_PrelinkInfoDictionary");
  if (!arr) {
    diags.warning(xml.base(), std::string(kStructure), "no _PrelinkInfoDictionary key");
    return info;
  }
  if (doc.type(*arr) != XmlType::kArray)
    return fail(ErrorCode::kMalformed, std::string(kStructure),
                fmt::format("_PrelinkInfoDictionary is a <{}>, not an <array>", plist::type_name(doc.type(*arr))),
                xml.base());
  const auto kexts = doc.children(*arr);
  info.kexts.reserve(kexts.size());
  for (size_t k = 0; k < kexts.size(); ++k) {
    const auto d = kexts[k];
    if (doc.type(d) != XmlType::kDict) {
      diags.error(std::nullopt, fmt::format("{} kext {}", kStructure, k), "not a <dict>: skipped");
      continue;
    }
    // One pass over the kext's items; the first of a repeated key counts.
    PrelinkKext x;
    struct Field {
      std::string_view key;
      std::string* text;
      std::optional<uint64_t>* number;
    };
    const Field fields[] = {{"CFBundleIdentifier", &x.bundle_id, nullptr},
                            {"CFBundleVersion", &x.version, nullptr},
                            {"CFBundleShortVersionString", &x.short_version, nullptr},
                            {"_PrelinkBundlePath", &x.bundle_path, nullptr},
                            {"_PrelinkExecutableRelativePath", &x.executable_path, nullptr},
                            {"CFBundleExecutable", &x.executable, nullptr},
                            {"_PrelinkExecutableLoadAddr", nullptr, &x.load_addr},
                            {"_PrelinkExecutableSourceAddr", nullptr, &x.source_addr},
                            {"_PrelinkExecutableSize", nullptr, &x.executable_size},
                            {"_PrelinkKmodInfo", nullptr, &x.kmod_info}};
    uint32_t seen = 0;
    doc.for_each_item(d, [&](std::string_view key, plist::IokitXml::Node value) {
      for (size_t f = 0; f < std::size(fields); ++f) {
        if (fields[f].key != key || (seen >> f & 1)) continue;
        seen |= 1u << f;
        if (fields[f].text && doc.type(value) == XmlType::kString) *fields[f].text = doc.text(value);
        if (fields[f].number) *fields[f].number = doc.unsigned_integer(value);
        return;
      }
    });
    if (x.bundle_id.empty())
      diags.warning(std::nullopt, fmt::format("{} kext {}", kStructure, k), "no CFBundleIdentifier");
    info.kexts.push_back(std::move(x));
  }
  return info;
}

}  // namespace upscope::kc
