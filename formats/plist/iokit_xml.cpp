#include "plist/iokit_xml.hpp"

#include "inspect/base64.hpp"

#include <charconv>
#include <unordered_map>

#include <fmt/format.h>

#include "inspect/limits.hpp"
#include "inspect/text.hpp"

namespace upscope::plist {

bool xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::optional<uint64_t> xml_number(std::string_view s) {
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

std::optional<XmlTag> split_xml_tag(std::string_view t) {
  XmlTag tag;
  if (!t.empty() && t[0] == '/') {
    tag.closing = true;
    t.remove_prefix(1);
  }
  while (!t.empty() && xml_space(t.back())) t.remove_suffix(1);
  if (!t.empty() && t.back() == '/') {
    tag.self_closing = true;
    t.remove_suffix(1);
  }
  size_t i = 0;
  while (i < t.size() && !xml_space(t[i])) ++i;
  tag.name = t.substr(0, i);
  if (tag.name.empty()) return std::nullopt;
  while (i < t.size()) {
    while (i < t.size() && xml_space(t[i])) ++i;
    if (i >= t.size()) break;
    size_t k = i;
    while (k < t.size() && t[k] != '=' && !xml_space(t[k])) ++k;
    std::string_view key = t.substr(i, k - i);
    while (k < t.size() && xml_space(t[k])) ++k;
    if (k >= t.size() || t[k] != '=') return std::nullopt;
    ++k;
    while (k < t.size() && xml_space(t[k])) ++k;
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

std::string end_tag_mismatch(std::string_view name, std::optional<std::string_view> open, uint64_t open_at) {
  return open ? fmt::format("end tag </{}> does not close <{}> (opened at {:#x})", name, *open, open_at)
              : fmt::format("end tag </{}> without a start tag", name);
}

const char* type_name(XmlType t) {
  switch (t) {
    case XmlType::kDict: return "dict";
    case XmlType::kArray: return "array";
    case XmlType::kKey: return "key";
    case XmlType::kString: return "string";
    case XmlType::kInteger: return "integer";
    case XmlType::kReal: return "real";
    case XmlType::kData: return "data";
    case XmlType::kDate: return "date";
    case XmlType::kTrue:
    case XmlType::kFalse: return "boolean";
  }
  return "other";
}

namespace {

// A switch on the length: this runs for every element of the text.
std::optional<XmlType> type_of(std::string_view n) {
  switch (n.size()) {
    case 3:
      if (n == "key") return XmlType::kKey;
      if (n == "set") return XmlType::kArray;
      break;
    case 4:
      if (n == "dict") return XmlType::kDict;
      if (n == "data") return XmlType::kData;
      if (n == "date") return XmlType::kDate;
      if (n == "real") return XmlType::kReal;
      if (n == "true") return XmlType::kTrue;
      break;
    case 5:
      if (n == "array") return XmlType::kArray;
      if (n == "false") return XmlType::kFalse;
      break;
    case 6:
      if (n == "string") return XmlType::kString;
      break;
    case 7:
      if (n == "integer") return XmlType::kInteger;
      break;
  }
  return std::nullopt;
}

// Tags and leaf texts are short: a plain loop beats a memchr call per token.
size_t find_char(std::string_view s, char c, size_t pos) {
  for (; pos < s.size(); ++pos)
    if (s[pos] == c) return pos;
  return std::string_view::npos;
}

// <name>, </name>, <name/> and </name/> (no attributes, no spaces) are almost every tag of a plist:
// read in one pass, without split_xml_tag. False for anything else, which the general path reads
// (with the same result for these four forms). `gt` is the offset of the closing '>'.
bool quick_tag(std::string_view in, size_t lt, XmlTag& tag, size_t& gt) {
  size_t p = lt + 1;
  tag = {};
  if (p < in.size() && in[p] == '/') {
    tag.closing = true;
    ++p;
  }
  const size_t name = p;
  while (p < in.size() && in[p] != '>' && in[p] != '/' && !xml_space(in[p])) ++p;
  if (p == name || p >= in.size() || in[name] == '?' || in[name] == '!') return false;
  tag.name = in.substr(name, p - name);
  if (in[p] == '/') {
    if (p + 1 >= in.size() || in[p + 1] != '>') return false;
    tag.self_closing = true;
    ++p;
  } else if (in[p] != '>') {
    return false;  // attributes or spaces
  }
  gt = p;
  return true;
}

bool is_container(XmlType t) { return t == XmlType::kDict || t == XmlType::kArray; }

// One entity at the start of `s` ("&amp;", "&#65;", "&#x41;"): appended to `out`, returns its length;
// 0 when it is not one we know (the '&' is then kept as it is).
size_t decode_entity(std::string_view s, std::string& out) {
  static const std::pair<std::string_view, char> kNamed[] = {
      {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
  for (const auto& [name, c] : kNamed)
    if (s.substr(0, name.size()) == name) {
      out += c;
      return name.size();
    }
  if (s.size() < 4 || s[1] != '#') return 0;
  size_t semi = s.find(';');
  if (semi == std::string_view::npos || semi > 12) return 0;
  std::string_view digits = s.substr(2, semi - 2);
  int base = 10;
  if (!digits.empty() && (digits[0] == 'x' || digits[0] == 'X')) {
    digits.remove_prefix(1);
    base = 16;
  }
  uint32_t cp = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, base);
  if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty() || cp > 0x10FFFF) return 0;
  append_utf8(out, cp);
  return semi + 1;
}

}  // namespace

Result<IokitXml> IokitXml::parse(const ByteReader& xml, std::string_view structure, const XmlLimits& limits) {
  auto all = xml.data();
  std::string_view in(reinterpret_cast<const char*>(all.data()), all.size());
  if (auto nul = in.find('\0'); nul != std::string_view::npos) in = in.substr(0, nul);  // NUL-padded section
  auto err = [&](uint64_t at, std::string rule, ErrorCode code = ErrorCode::kMalformed) {
    return fail(code, std::string(structure), std::move(rule), xml.base() + at);
  };
  if (in.size() > UINT32_MAX) return err(0, "the XML text exceeds 4 GiB", ErrorCode::kLimit);
  IokitXml doc;
  doc.text_ = in;
  doc.base_ = xml.base();

  struct Open {
    std::string_view name;  // as written (</set> closes <set>)
    uint32_t node;          // UINT32_MAX for the <plist> wrapper
    std::optional<uint64_t> id;
    uint64_t at;            // the start tag's '<'
  };
  std::vector<Open> stack;
  // ID -> node. The kernel numbers IDs 1, 2, 3...: those below the text's size go in a vector (at
  // most 4 bytes per byte of text), any others in a map. kOpen marks an element not yet closed.
  constexpr uint32_t kNone = UINT32_MAX, kOpen = UINT32_MAX - 1;
  std::vector<uint32_t> dense;
  std::unordered_map<uint64_t, uint32_t> sparse;
  auto id_slot = [&](uint64_t id, bool create) -> uint32_t* {
    if (id < in.size()) {
      if (id >= dense.size()) {
        if (!create) return nullptr;
        dense.resize(std::max<size_t>(id + 1, std::min<size_t>(dense.size() * 2, in.size())), kNone);
      }
      return &dense[id];
    }
    auto it = sparse.find(id);
    if (it != sparse.end()) return &it->second;
    return create ? &sparse.emplace(id, kNone).first->second : nullptr;
  };
  bool have_root = false, root_closed = false;
  auto at_top = [&] { return stack.empty() || (stack.size() == 1 && stack[0].node == UINT32_MAX); };

  // Every node is one element, so the array never holds more than one node per 4 bytes of text;
  // its memory is checked against --max-memory as it grows.
  auto add = [&](Entry e, uint64_t at) -> Status {
    if (doc.nodes_.size() == doc.nodes_.capacity()) {
      // First guess: one element per 16 bytes (PRELINK_INFO has one per 19).
      const uint64_t want = std::max<uint64_t>(64, doc.nodes_.empty() ? in.size() / 16 : doc.nodes_.capacity() * 2);
      UPSCOPE_CHECK(check_memory(want * sizeof(Entry), std::string(structure) + " nodes", xml.base() + at));
      doc.nodes_.reserve(want);
    }
    doc.nodes_.push_back(e);
    return {};
  };
  auto register_id = [&](std::optional<uint64_t> id, uint32_t node) {
    if (!id) return;
    *id_slot(*id, true) = node;
  };
  // A dictionary's children must alternate <key> and a value.
  auto check_dict = [&](uint32_t d) -> Status {
    const uint32_t end = doc.nodes_[d].end;
    for (uint32_t c = d + 1; c < end;) {
      const Entry& k = doc.nodes_[c];
      if (k.type != XmlType::kKey)
        return err(k.at, fmt::format("<{}> where a <key> was expected in the <dict> opened at {:#x}", type_name(k.type),
                                     xml.base() + doc.nodes_[d].at));
      c = k.end;
      if (c >= end)
        return err(k.at, fmt::format("<key>{}</key> has no value", in.substr(k.text_begin, std::min<size_t>(
                                                                                    k.text_end - k.text_begin, 40))));
      c = doc.nodes_[c].end;
    }
    return {};
  };

  size_t i = 0;
  while (i < in.size()) {
    size_t lt = find_char(in, '<', i);
    if (lt == std::string_view::npos) break;
    if (lt + 1 < in.size() && in[lt + 1] == '!' && in.compare(lt, 4, "<!--") == 0) {
      size_t e = in.find("-->", lt + 4);
      if (e == std::string_view::npos) return err(lt, "comment is not terminated");
      i = e + 3;
      continue;
    }
    std::optional<XmlTag> tag{std::in_place};
    size_t gt;
    if (!quick_tag(in, lt, *tag, gt)) {
      gt = find_char(in, '>', lt);
      if (gt == std::string_view::npos) return err(lt, "tag is not closed with '>'");
      std::string_view body = in.substr(lt + 1, gt - lt - 1);
      if (!body.empty() && (body[0] == '?' || body[0] == '!')) {  // declaration, DOCTYPE
        i = gt + 1;
        continue;
      }
      tag = split_xml_tag(body);
      if (!tag) return err(lt, fmt::format("malformed tag <{}>", body.substr(0, 40)));
    }
    i = gt + 1;
    if (tag->closing) {
      if (stack.empty() || stack.back().name != tag->name)
        return err(lt, stack.empty() ? end_tag_mismatch(tag->name, std::nullopt, 0)
                                     : end_tag_mismatch(tag->name, stack.back().name, xml.base() + stack.back().at));
      Open o = stack.back();
      stack.pop_back();
      if (o.node == UINT32_MAX) continue;  // </plist>
      Entry& n = doc.nodes_[o.node];
      n.end = static_cast<uint32_t>(doc.nodes_.size());
      if (n.type == XmlType::kDict) UPSCOPE_CHECK(check_dict(o.node));
      register_id(o.id, o.node);
      if (at_top()) root_closed = true;
      continue;
    }
    if (tag->name == "plist") {
      if (!tag->self_closing) stack.push_back({tag->name, UINT32_MAX, std::nullopt, lt});
      continue;
    }
    if (root_closed) {  // a second top-level value: libplist also reads only the first
      if (tag->self_closing) continue;
      break;
    }
    const auto idx = static_cast<uint32_t>(doc.nodes_.size());
    if (tag->idref) {
      auto n = xml_number(*tag->idref);
      if (!n) return err(lt, fmt::format("IDREF=\"{}\" is not a number", *tag->idref));
      const uint32_t* slot = id_slot(*n, false);
      if (slot && *slot == kOpen)
        return err(lt, fmt::format("IDREF=\"{}\" refers to an element that contains it (cycle)", *n));
      if (!slot || *slot == kNone) return err(lt, fmt::format("IDREF=\"{}\" refers to no earlier ID", *n));
      const uint32_t t = doc.nodes_[*slot].target;
      UPSCOPE_CHECK(add({static_cast<uint32_t>(lt), 0, 0, idx + 1, t, doc.nodes_[t].type}, lt));
      ++doc.references_;
      if (!tag->self_closing) {  // <string IDREF="1"></string>: skip the (empty) body
        size_t e = in.find('>', in.find("</", i));
        if (e == std::string_view::npos) return err(lt, fmt::format("<{} IDREF> is not closed", tag->name));
        i = e + 1;
      }
      have_root = true;
      if (at_top()) root_closed = true;
      continue;
    }
    auto type = type_of(tag->name);
    if (!type) return err(lt, fmt::format("unknown element <{}>", tag->name.substr(0, 40)));
    std::optional<uint64_t> id;
    if (tag->id) {
      id = xml_number(*tag->id);
      if (!id) return err(lt, fmt::format("ID=\"{}\" is not a number", *tag->id));
    }
    UPSCOPE_CHECK(add({static_cast<uint32_t>(lt), static_cast<uint32_t>(i), static_cast<uint32_t>(i), idx + 1, idx, *type},
                      lt));
    have_root = true;
    if (tag->self_closing) {
      register_id(id, idx);
      if (at_top()) root_closed = true;
      continue;
    }
    if (stack.size() >= limits.max_depth) return err(lt, fmt::format("nesting deeper than {} elements", limits.max_depth));
    stack.push_back({tag->name, idx, id, lt});
    if (id) *id_slot(*id, true) = kOpen;
    if (is_container(*type)) continue;
    // A leaf: its content runs to the end tag; CDATA sections and comments may sit inside.
    size_t j = i;
    for (;;) {
      size_t l = find_char(in, '<', j);
      if (l == std::string_view::npos) return err(lt, fmt::format("<{}> is not closed before the end of the text", tag->name));
      const char next = l + 1 < in.size() ? in[l + 1] : '\0';
      if (next == '!' && (in.compare(l, 9, "<![CDATA[") == 0 || in.compare(l, 4, "<!--") == 0)) {
        const bool cdata = in[l + 2] == '[';
        size_t e = in.find(cdata ? "]]>" : "-->", l + (cdata ? 9 : 4));
        if (e == std::string_view::npos)
          return err(l, cdata ? "CDATA section is not terminated" : "comment is not terminated");
        j = e + 3;
        continue;
      }
      if (next != '/') {
        size_t g = in.find('>', l);
        std::string_view inner = in.substr(l + 1, std::min<size_t>(g == std::string_view::npos ? 40 : g - l - 1, 40));
        return err(l, fmt::format("<{}> inside <{}>", inner, tag->name));
      }
      doc.nodes_[idx].text_end = static_cast<uint32_t>(l);
      doc.nodes_[idx].plain = j == i && find_char(in.substr(0, l), '&', i) == std::string_view::npos;
      i = l;  // the end tag is read by the main loop
      break;
    }
  }
  // What follows the root value is not read (libplist also takes the first), not even </plist>.
  if (!stack.empty() && !(root_closed && at_top()))
    return err(stack.back().at, fmt::format("<{}> is not closed before the end of the text", stack.back().name));
  if (!have_root) return err(0, "no element in the text");
  return doc;
}

std::string_view IokitXml::raw(Node n) const {
  const Entry& e = nodes_[target(n)];
  return text_.substr(e.text_begin, e.text_end - e.text_begin);
}

std::optional<IokitXml::Node> IokitXml::dict_get(Node dict, std::string_view key) const {
  const Node d = target(dict);
  if (nodes_[d].type != XmlType::kDict) return std::nullopt;
  for (Node c = d + 1; c < nodes_[d].end;) {
    const Node value = nodes_[c].end;  // checked by parse: every key has a value
    if (nodes_[target(c)].plain ? raw(c) == key : text(c) == key) return value;
    c = nodes_[value].end;
  }
  return std::nullopt;
}

std::vector<IokitXml::Node> IokitXml::children(Node container) const {
  const Node d = target(container);
  std::vector<Node> out;
  if (!is_container(nodes_[d].type)) return out;
  for (Node c = d + 1; c < nodes_[d].end; c = nodes_[c].end) out.push_back(c);
  return out;
}

std::string IokitXml::text(Node n) const {
  const std::string_view s = raw(n);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '&') {
      if (size_t len = decode_entity(s.substr(i), out)) {
        i += len;
        continue;
      }
    } else if (s[i] == '<') {  // a CDATA section or a comment (parse accepts no other markup here)
      const bool cdata = s.compare(i, 9, "<![CDATA[") == 0;
      size_t e = s.find(cdata ? "]]>" : "-->", i);
      if (cdata) out.append(s.substr(i + 9, e - i - 9));
      i = e + 3;
      continue;
    }
    out += s[i++];
  }
  return out;
}

std::optional<uint64_t> IokitXml::unsigned_integer(Node n) const {
  if (type(n) != XmlType::kInteger) return std::nullopt;
  std::string_view s = raw(n);
  while (!s.empty() && xml_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && xml_space(s.back())) s.remove_suffix(1);
  return xml_number(s);
}

std::optional<std::vector<uint8_t>> IokitXml::data(Node n) const {
  if (type(n) != XmlType::kData) return std::nullopt;
  return decode_base64(raw(n));
}

}  // namespace upscope::plist
