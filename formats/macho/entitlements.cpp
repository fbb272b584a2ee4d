// Entitlements from a code signature's XML or DER slot (entitlements.hpp).
#include "macho/entitlements.hpp"

#include <algorithm>

#include "img4/probe.hpp"
#include "inspect/hash.hpp"
#include "plist/tree.hpp"

namespace upscope::macho {

namespace {

// Entitlement values as JSON: data as the SHA-256 of its bytes, integers as libplist reads them
// (unsigned 64-bit), dates and UIDs (which entitlements do not use) as null; keys sorted.
nlohmann::json plist_json(const plist::Value& v, int depth) {
  if (depth > 32) return nullptr;
  switch (v.type) {
    case plist::Type::kBoolean: return v.boolean;
    case plist::Type::kInteger: return static_cast<uint64_t>(v.integer);
    case plist::Type::kReal: return v.real;
    case plist::Type::kString: return v.text;
    case plist::Type::kData: return "data:" + sha256_hex(bytes_of(v.text));
    case plist::Type::kArray: {
      nlohmann::json a = nlohmann::json::array();
      for (size_t i = 0; i < v.children.size() && i < 100000; ++i) a.push_back(plist_json(v.children[i], depth + 1));
      return a;
    }
    case plist::Type::kDict: {
      nlohmann::json o = nlohmann::json::object();
      for (size_t i = 0; i < v.children.size(); ++i) o[v.keys[i]] = plist_json(v.children[i], depth + 1);
      return o;
    }
    default: return nullptr;
  }
}

// DER entitlements (docs/formats/entitlements.md): [APPLICATION 16] { INTEGER version, [CONTEXT 16]
// dictionary { SEQUENCE { UTF8String key, value } ... } }, values BOOLEAN, INTEGER, UTF8String,
// SEQUENCE (array) or [CONTEXT 16] (dictionary).
std::optional<nlohmann::json> der_value(const ByteReader& r, uint64_t off, uint64_t end, int depth, uint64_t& next);

std::optional<nlohmann::json> der_items(const ByteReader& r, uint64_t off, uint64_t end, int depth, bool dict) {
  nlohmann::json out = dict ? nlohmann::json::object() : nlohmann::json::array();
  for (size_t n = 0; off < end && n < 100000; ++n) {
    if (dict) {
      auto h = img4::read_der_header(r, off);
      if (!h || h->tag != 0x30) return std::nullopt;
      const uint64_t body = off + h->header_length, stop = body + h->length;
      if (stop > end || stop < body) return std::nullopt;
      auto kh = img4::read_der_header(r, body);
      if (!kh || kh->tag != 0x0C) return std::nullopt;
      auto key = r.fixed_string(body + kh->header_length, kh->length);
      if (!key) return std::nullopt;
      uint64_t after = 0;
      auto v = der_value(r, body + kh->header_length + kh->length, stop, depth + 1, after);
      if (!v) return std::nullopt;
      out[std::string(*key)] = *v;
      off = stop;
    } else {
      uint64_t after = 0;
      auto v = der_value(r, off, end, depth + 1, after);
      if (!v) return std::nullopt;
      out.push_back(*v);
      off = after;
    }
  }
  return out;
}

std::optional<nlohmann::json> der_value(const ByteReader& r, uint64_t off, uint64_t end, int depth, uint64_t& next) {
  if (depth > 32) return std::nullopt;
  auto h = img4::read_der_header(r, off);
  if (!h) return std::nullopt;
  const uint64_t body = off + h->header_length, stop = body + h->length;
  if (stop > end || stop < body) return std::nullopt;
  next = stop;
  switch (h->tag) {
    case 0x01: return r.u8(body).value_or(0) != 0;
    case 0x02: {
      int64_t v = 0;
      for (uint64_t i = 0; i < h->length && i < 8; ++i) v = (v << 8) | r.u8(body + i).value_or(0);
      return v;
    }
    case 0x0C: {
      auto s = r.fixed_string(body, h->length);
      if (!s) return std::nullopt;
      return std::string(*s);
    }
    case 0x30: return der_items(r, body, stop, depth, false);
    case 0xB0: return der_items(r, body, stop, depth, true);
    default: return std::nullopt;
  }
}

}  // namespace

std::optional<nlohmann::json> entitlements(const CodeSignature& cs, const ByteReader& sig) {
  for (const auto& b : cs.blobs) {
    if (!b.is_entitlements() || b.length < 8) continue;
    auto body = sig.bytes(uint64_t(b.offset) + 8, b.length - 8);
    if (!body) continue;
    auto doc = plist::read(*body, "entitlements");
    if (!doc || doc->encoding != plist::Encoding::kXml || !doc->root.is(plist::Type::kDict)) continue;
    return plist_json(doc->root, 0);
  }
  for (const auto& b : cs.blobs) {
    if (!b.is_der_entitlements() || b.length < 8) continue;
    auto body = sig.sub(uint64_t(b.offset) + 8, b.length - 8);
    if (!body) continue;
    auto app = img4::read_der_header(*body, 0);
    if (!app || app->tag != 0x70) continue;
    uint64_t off = app->header_length;
    const uint64_t end = std::min<uint64_t>(body->size(), app->header_length + app->length);
    auto ver = img4::read_der_header(*body, off);
    if (!ver || ver->tag != 0x02) continue;
    off += ver->header_length + ver->length;
    uint64_t next = 0;
    auto dict = der_value(*body, off, end, 0, next);
    if (dict && dict->is_object()) return dict;
  }
  return std::nullopt;
}

}  // namespace upscope::macho
