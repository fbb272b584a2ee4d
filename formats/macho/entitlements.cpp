// Entitlements from a code signature's XML or DER slot (entitlements.hpp).
#include "macho/entitlements.hpp"

#include <algorithm>

#include "img4/probe.hpp"
#include "inspect/hash.hpp"
#include "plist/parse.hpp"

namespace upscope::macho {

namespace {

nlohmann::json plist_json(plist_t node, int depth) {
  if (!node || depth > 32) return nullptr;
  switch (plist_get_node_type(node)) {
    case PLIST_BOOLEAN: {
      uint8_t b = 0;
      plist_get_bool_val(node, &b);
      return b != 0;
    }
    case PLIST_UINT: {
      uint64_t v = 0;
      plist_get_uint_val(node, &v);
      return v;
    }
    case PLIST_REAL: {
      double v = 0;
      plist_get_real_val(node, &v);
      return v;
    }
    case PLIST_STRING: {
      char* s = nullptr;
      plist_get_string_val(node, &s);
      std::string out = s ? s : "";
      free(s);
      return out;
    }
    case PLIST_DATA: {
      char* d = nullptr;
      uint64_t len = 0;
      plist_get_data_val(node, &d, &len);
      std::string hex = d ? sha256_hex(Bytes(reinterpret_cast<const uint8_t*>(d), len)) : "";
      free(d);
      return "data:" + hex;
    }
    case PLIST_ARRAY: {
      nlohmann::json a = nlohmann::json::array();
      const uint32_t n = plist_array_get_size(node);
      for (uint32_t i = 0; i < n && i < 100000; ++i) a.push_back(plist_json(plist_array_get_item(node, i), depth + 1));
      return a;
    }
    case PLIST_DICT: {
      nlohmann::json o = nlohmann::json::object();
      plist_dict_iter it = nullptr;
      plist_dict_new_iter(node, &it);
      for (;;) {
        char* key = nullptr;
        plist_t v = nullptr;
        plist_dict_next_item(node, it, &key, &v);
        if (!key) break;
        o[key] = plist_json(v, depth + 1);
        free(key);
      }
      free(it);
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
    auto root = plist::parse(*body, "entitlements", plist::Syntax::kXml);
    if (!root || !plist::get(*root) || plist_get_node_type(plist::get(*root)) != PLIST_DICT) continue;
    return plist_json(plist::get(*root), 0);
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
