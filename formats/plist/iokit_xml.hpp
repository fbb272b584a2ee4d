// IOKit's XML property-list dialect (what OSUnserializeXML reads and the kernel's PRELINK_INFO is
// written in), read into a flat array of nodes that point into the text.
//
// The dialect differs from Apple's plist XML: any value may carry ID="n", a later element with
// IDREF="n" stands for that value, the <plist> wrapper may be missing, and <set> is an array.
// libplist knows none of that, and building its tree (after expanding every IDREF into a second copy
// of the text) took most of a kernel-collection listing. Here an IDREF becomes one node that names
// the node it stands for: nothing is copied or expanded, so a reference bomb costs one node per
// reference, and a reference may only name an element that is already closed (no cycles).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope::plist {

// ---- the tokenizer, shared with kc::resolve_idrefs ----------------------------------------------

bool xml_space(char c);

// "0x1f" (hex) or "31" (decimal), the whole text; nothing else.
std::optional<uint64_t> xml_number(std::string_view s);

struct XmlTag {
  std::string_view name;
  bool closing = false, self_closing = false;
  std::optional<std::string_view> id, idref;  // the ID and IDREF attribute values, not unescaped
};

// Splits a tag's text between '<' and '>' ("/name", "name a='1' b=\"2\"/"); nullopt when malformed.
std::optional<XmlTag> split_xml_tag(std::string_view body);

// The rule for an end tag </name> that closes nothing (`open` empty) or not the innermost open
// element (`open`, whose start tag is at `open_at`).
std::string end_tag_mismatch(std::string_view name, std::optional<std::string_view> open, uint64_t open_at);

struct XmlLimits {
  unsigned max_depth = 256;
};

// ---- the tree -----------------------------------------------------------------------------------

enum class XmlType : uint8_t { kDict, kArray, kKey, kString, kInteger, kReal, kData, kDate, kTrue, kFalse };

// libplist's names for the types ("dict", "array", "string", "integer", "boolean", ...), which the
// messages have always used.
const char* type_name(XmlType t);

class IokitXml {
 public:
  // Parses the text (up to a NUL: sections are NUL-padded); the result points into it, so the bytes
  // must outlive it. Errors name `structure` and the offset of the element at fault (absolute, via
  // the reader's base). Whatever follows the first complete value is not read.
  static Result<IokitXml> parse(const ByteReader& xml, std::string_view structure, const XmlLimits& limits = {});

  using Node = uint32_t;
  Node root() const { return 0; }  // the first element (inside <plist> when there is one)
  XmlType type(Node n) const { return nodes_[target(n)].type; }
  uint64_t offset(Node n) const { return base_ + nodes_[n].at; }
  uint64_t references() const { return references_; }
  size_t size() const { return nodes_.size(); }

  // A dictionary's value for `key` (the first when a key repeats), or a container's children.
  std::optional<Node> dict_get(Node dict, std::string_view key) const;
  std::vector<Node> children(Node container) const;
  // Calls f(key, value) for each item of a dictionary in order, the key decoded.
  template <class F>
  void for_each_item(Node dict, F&& f) const {
    const Node d = target(dict);
    if (nodes_[d].type != XmlType::kDict) return;
    for (Node c = d + 1; c < nodes_[d].end;) {
      const Node value = nodes_[c].end;  // parse checked that every key has a value
      if (nodes_[target(c)].plain) {
        f(raw(c), value);
      } else {
        const std::string k = text(c);
        f(std::string_view(k), value);
      }
      c = nodes_[value].end;
    }
  }

  // A leaf's text with entities and CDATA sections decoded.
  std::string text(Node n) const;
  // <integer> in decimal or 0x hex (surrounding spaces allowed); nullopt for other types, negative
  // numbers and text that is not a number.
  std::optional<uint64_t> unsigned_integer(Node n) const;
  // <data>: base64 with whitespace; nullopt for other types or invalid base64.
  std::optional<std::vector<uint8_t>> data(Node n) const;

 private:
  struct Entry {
    uint32_t at = 0;                 // offset of the element's '<' in the text
    uint32_t text_begin = 0, text_end = 0;  // a leaf's content (raw)
    uint32_t end = 0;                // one past the last node inside this one
    uint32_t target = 0;             // IDREF: the node it stands for; else itself
    XmlType type = XmlType::kDict;
    bool plain = true;               // a leaf's content holds no entity, CDATA or comment
  };
  Node target(Node n) const { return nodes_[n].target; }
  std::string_view raw(Node n) const;

  std::string_view text_;
  uint64_t base_ = 0;
  uint64_t references_ = 0;
  std::vector<Entry> nodes_;
};

}  // namespace upscope::plist
