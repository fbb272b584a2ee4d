#include "kc/prelink.hpp"

#include <plist/plist.h>

#include <charconv>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "inspect/limits.hpp"
#include "plist/parse.hpp"

namespace upscope::kc {

namespace {

constexpr std::string_view kStructure = "PRELINK_INFO plist";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::optional<uint64_t> parse_number(std::string_view s) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

struct Tag {
  std::string_view name;
  bool closing = false, self_closing = false;
  std::optional<std::string_view> id, idref;
};

// Splits "<name a="1" b='2'/>" (without the angle brackets). Attribute values are not unescaped:
// only ID/IDREF (numbers) are used.
std::optional<Tag> split_tag(std::string_view t) {
  Tag tag;
  if (!t.empty() && t[0] == '/') {
    tag.closing = true;
    t.remove_prefix(1);
  }
  while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
  if (!t.empty() && t.back() == '/') {
    tag.self_closing = true;
    t.remove_suffix(1);
  }
  size_t i = 0;
  while (i < t.size() && !is_space(t[i])) ++i;
  tag.name = t.substr(0, i);
  if (tag.name.empty()) return std::nullopt;
  while (i < t.size()) {
    while (i < t.size() && is_space(t[i])) ++i;
    if (i >= t.size()) break;
    size_t k = i;
    while (k < t.size() && t[k] != '=' && !is_space(t[k])) ++k;
    std::string_view key = t.substr(i, k - i);
    while (k < t.size() && is_space(t[k])) ++k;
    if (k >= t.size() || t[k] != '=') return std::nullopt;
    ++k;
    while (k < t.size() && is_space(t[k])) ++k;
    if (k >= t.size() || (t[k] != '"' && t[k] != '\'')) return std::nullopt;
    const char q = t[k++];
    size_t e = t.find(q, k);
    if (e == std::string_view::npos) return std::nullopt;
    std::string_view val = t.substr(k, e - k);
    if (key == "ID") tag.id = val;
    else if (key == "IDREF") tag.idref = val;
    i = e + 1;
  }
  return tag;
}

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
    auto tag = split_tag(body);
    if (!tag) return err(lt, fmt::format("malformed tag <{}>", body.substr(0, 40)));
    const std::string_view name = tag->name == "set" ? std::string_view("array") : tag->name;
    if (tag->closing) {
      if (stack.empty() || stack.back().name != tag->name)
        return err(lt, stack.empty() ? fmt::format("end tag </{}> without a start tag", tag->name)
                                     : fmt::format("end tag </{}> does not close <{}> (opened at {:#x})", tag->name,
                                                   stack.back().name, xml.base() + stack.back().at));
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
      auto n = parse_number(*tag->idref);
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
      id = parse_number(*tag->id);
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

using plist::string_item;

std::optional<uint64_t> get_uint(plist_t dict, const char* key) {
  plist_t n = plist_dict_get_item(dict, key);
  if (!n || plist_get_node_type(n) != PLIST_UINT) return std::nullopt;
  uint64_t v = 0;
  plist_get_uint_val(n, &v);
  return v;
}

std::optional<Uuid> get_uuid(plist_t dict, const char* key, Diagnostics& diags) {
  plist_t n = plist_dict_get_item(dict, key);
  if (!n) return std::nullopt;
  uint64_t len = 0;
  const char* p = plist_get_node_type(n) == PLIST_DATA ? plist_get_data_ptr(n, &len) : nullptr;
  if (!p || len != 16) {
    diags.warning(std::nullopt, std::string(kStructure), fmt::format("{} is not 16 bytes of <data>", key));
    return std::nullopt;
  }
  Uuid u;
  std::memcpy(u.data(), p, 16);
  return u;
}

const char* type_name(plist_type t) {
  switch (t) {
    case PLIST_BOOLEAN: return "boolean";
    case PLIST_UINT: return "integer";
    case PLIST_REAL: return "real";
    case PLIST_STRING: return "string";
    case PLIST_ARRAY: return "array";
    case PLIST_DICT: return "dict";
    case PLIST_DATE: return "date";
    case PLIST_DATA: return "data";
    default: return "other";
  }
}

}  // namespace

Result<PrelinkInfo> parse_prelink_info(const ByteReader& xml, Diagnostics& diags, const ResolveLimits& limits) {
  PrelinkInfo info;
  UPSCOPE_TRY(std::string text, resolve_idrefs(xml, &info.references_resolved, limits));
  if (text.size() > UINT32_MAX)
    return fail(ErrorCode::kLimit, std::string(kStructure), "resolved XML exceeds 4 GiB", xml.base());
  UPSCOPE_TRY(plist::Ptr root, plist::parse(Bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
                                           kStructure, plist::Syntax::kXml, xml.base()));
  plist_t raw = plist::get(root);
  if (!root) return fail(ErrorCode::kMalformed, std::string(kStructure), "libplist cannot parse the XML", xml.base());
  if (plist_get_node_type(raw) != PLIST_DICT)
    return fail(ErrorCode::kMalformed, std::string(kStructure),
                fmt::format("the root is a <{}>, not a <dict>", type_name(plist_get_node_type(raw))), xml.base());
  info.kc_id = get_uuid(raw, "_PrelinkKCID", diags);
  info.boot_kc_id = get_uuid(raw, "_BootKCID", diags);
  info.pageable_kc_id = get_uuid(raw, "_PageableKCID", diags);
  info.interface_uuid = get_uuid(raw, "_PrelinkInterfaceUUID", diags);
  plist_t arr = plist_dict_get_item(raw, "_PrelinkInfoDictionary");
  if (!arr) {
    diags.warning(xml.base(), std::string(kStructure), "no _PrelinkInfoDictionary key");
    return info;
  }
  if (plist_get_node_type(arr) != PLIST_ARRAY)
    return fail(ErrorCode::kMalformed, std::string(kStructure),
                fmt::format("_PrelinkInfoDictionary is a <{}>, not an <array>", type_name(plist_get_node_type(arr))),
                xml.base());
  const uint32_t n = plist_array_get_size(arr);
  info.kexts.reserve(n);
  for (uint32_t k = 0; k < n; ++k) {
    plist_t d = plist_array_get_item(arr, k);
    if (!d || plist_get_node_type(d) != PLIST_DICT) {
      diags.error(std::nullopt, fmt::format("{} kext {}", kStructure, k), "not a <dict>: skipped");
      continue;
    }
    PrelinkKext x;
    x.bundle_id = string_item(d, "CFBundleIdentifier");
    x.version = string_item(d, "CFBundleVersion");
    x.short_version = string_item(d, "CFBundleShortVersionString");
    x.bundle_path = string_item(d, "_PrelinkBundlePath");
    x.executable_path = string_item(d, "_PrelinkExecutableRelativePath");
    x.executable = string_item(d, "CFBundleExecutable");
    x.load_addr = get_uint(d, "_PrelinkExecutableLoadAddr");
    x.source_addr = get_uint(d, "_PrelinkExecutableSourceAddr");
    x.executable_size = get_uint(d, "_PrelinkExecutableSize");
    x.kmod_info = get_uint(d, "_PrelinkKmodInfo");
    if (x.bundle_id.empty())
      diags.warning(std::nullopt, fmt::format("{} kext {}", kStructure, k), "no CFBundleIdentifier");
    info.kexts.push_back(std::move(x));
  }
  return info;
}

}  // namespace upscope::kc
