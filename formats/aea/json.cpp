// JSON and text renderings of an AEA header and of an opened archive.
#include <fmt/format.h>

#include "aea/aea.hpp"
#include "inspect/text.hpp"

namespace upscope::aea {

namespace {

using Json = nlohmann::ordered_json;

const char* kind_name(AuthData::Kind k) {
  switch (k) {
    case AuthData::Kind::kEmpty: return "empty";
    case AuthData::Kind::kPlist: return "plist";
    case AuthData::Kind::kKeyValue: return "key-value";
    case AuthData::Kind::kBlob: return "blob";
  }
  return "blob";
}

bool is_text(const std::string& v) {
  for (unsigned char c : v)
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c > 0x7e) return false;
  return true;
}


Json span_json(uint64_t offset, uint64_t size) { return Json{{"offset", offset}, {"size", size}}; }

std::string hex_prefix(const std::string& hex, size_t max_chars = 64) {
  return hex.size() <= max_chars ? hex : hex.substr(0, max_chars) + "...";
}

// One line per top-level plist item: scalars in full (strings cut at 100 characters), containers
// and data summarised; JSON carries the whole tree.
std::string plist_item_text(const std::string& key, const Json& v, const AuthData& a) {
  std::string s = "    " + key + ": ";
  if (v.is_string()) {
    std::string t = v.get<std::string>();
    s += t.size() > 100 ? t.substr(0, 100) + "..." : t;
  } else if (v.is_object() && v.contains("data")) {
    std::string hex = v["data"].get<std::string>();
    s += fmt::format("data, {} bytes", hex.size() / 2);
    if (key == "SigningPublicKey" && hex.size() == 130) s += ": P-256 public key " + hex_prefix(hex, 130);
    else if (hex.size() <= 64) s += ": " + hex;
  } else if (v.is_object() && v.contains("date")) {
    s += v["date"].get<std::string>();
  } else if (v.is_array()) {
    if (key == "AppleIDCertificateChain") {
      s += fmt::format("{} certificates", a.certificate_info.size());
      for (size_t i = 0; i < a.certificate_info.size(); ++i) {
        const auto& c = a.certificate_info[i];
        s += fmt::format("\n      [{}] {}{}", i, c.subject, c.key_type.empty() ? "" : " (" + c.key_type + ")");
        if (!c.issuer.empty()) s += fmt::format("\n          issued by {}; valid {} to {}", c.issuer, c.not_before, c.not_after);
      }
    } else {
      s += fmt::format("array, {} items", v.size());
    }
  } else if (v.is_object()) {
    s += fmt::format("dictionary, {} keys", v.size());
  } else {
    s += v.dump();
  }
  return s + "\n";
}

std::string auth_text(const AuthData& a) {
  std::string s = fmt::format("  auth data: {} bytes at {:#x}", a.size, a.offset);
  switch (a.kind) {
    case AuthData::Kind::kEmpty: s += ", empty\n"; break;
    case AuthData::Kind::kPlist:
      s += fmt::format(", {} property list\n", a.bytes.size() >= 8 && a.bytes[0] == 'b' ? "binary" : "XML");
      if (a.plist.is_object())
        for (const auto& [k, v] : a.plist.items()) s += plist_item_text(k, v, a);
      break;
    case AuthData::Kind::kKeyValue:
      s += fmt::format(", {} key/value records\n", a.pairs.size());
      for (const auto& [k, v] : a.pairs) {
        std::string shown = is_text(v) ? (v.size() > 200 ? v.substr(0, 200) + "..." : v)
                                       : fmt::format("{} bytes: {}", v.size(), hex_prefix(to_hex(bytes_of(v))));
        s += fmt::format("    {}: {}\n", k, shown);
      }
      break;
    case AuthData::Kind::kBlob:
      s += fmt::format(", opaque: {}\n", hex_prefix(to_hex(a.bytes)));
      if (!a.note.empty()) s += "    (" + a.note + ")\n";
      break;
  }
  if (!a.key_url.empty())
    s += "  key URL: " + a.key_url +
         "\n    (the archive key is wrapped for the private key published there; upscope never fetches it)\n";
  return s;
}

std::string layout_text(const Header& h) {
  const Layout& l = h.layout;
  std::string s = "  prologue:";
  if (l.signature_size) s += fmt::format(" signature {:#x} ({} bytes{}),", l.signature, l.signature_size,
                                         h.info->encrypted ? ", encrypted" : "");
  if (l.key_material_size)
    s += fmt::format(" {} {:#x},", h.profile == 0 ? "archive key" : "sender public key", l.key_material);
  s += fmt::format(" salt {:#x}, root header HMAC {:#x}, root header {:#x}{}, first cluster HMAC {:#x}; clusters from {:#x}\n",
                   l.salt, l.root_mac, l.root_header, h.info->encrypted ? " (encrypted)" : "", l.first_cluster_mac,
                   l.clusters);
  return s;
}

}  // namespace

nlohmann::ordered_json to_json(const Header& h) {
  Json j;
  j["format"] = "aea";
  j["file_size"] = h.file_size;
  j["profile"] = h.profile;
  j["profile_name"] = h.info->name;
  j["summary"] = h.info->summary;
  j["encrypted"] = h.info->encrypted;
  j["signed"] = h.info->is_signed;
  j["scrypt_strength"] = h.scrypt_strength;
  j["needs"] = h.info->needs;
  Json a;
  a["offset"] = h.auth.offset;
  a["size"] = h.auth.size;
  a["kind"] = kind_name(h.auth.kind);
  if (h.auth.kind == AuthData::Kind::kPlist) a["plist"] = h.auth.plist;
  if (h.auth.kind == AuthData::Kind::kKeyValue) {
    Json pairs = Json::array();
    for (const auto& [k, v] : h.auth.pairs) {
      Json p{{"key", k}};
      if (is_text(v)) p["value"] = v;
      else p["hex"] = to_hex(bytes_of(v));
      pairs.push_back(std::move(p));
    }
    a["pairs"] = std::move(pairs);
  }
  if (h.auth.kind == AuthData::Kind::kBlob) a["hex"] = to_hex(h.auth.bytes);
  if (!h.auth.note.empty()) a["note"] = h.auth.note;
  a["key_url"] = h.auth.key_url.empty() ? Json(nullptr) : Json(h.auth.key_url);
  Json certs = Json::array();
  for (const auto& c : h.auth.certificate_info)
    certs.push_back({{"subject", c.subject}, {"issuer", c.issuer}, {"not_before", c.not_before},
                     {"not_after", c.not_after}, {"key_type", c.key_type}});
  a["certificates"] = std::move(certs);
  j["auth_data"] = std::move(a);
  const Layout& l = h.layout;
  Json lj;
  lj["signature"] = span_json(l.signature, l.signature_size);
  lj["key_material"] = span_json(l.key_material, l.key_material_size);
  lj["salt"] = span_json(l.salt, 32);
  lj["root_header_mac"] = span_json(l.root_mac, 32);
  lj["root_header"] = span_json(l.root_header, 48);
  lj["first_cluster_mac"] = span_json(l.first_cluster_mac, 32);
  lj["clusters"] = l.clusters;
  j["layout"] = std::move(lj);
  return j;
}

nlohmann::ordered_json to_json(const Archive& a) {
  Json j = to_json(a.header);
  const RootHeader& r = a.root;
  j["root_header"] = {{"plain_size", r.plain_size},
                      {"container_size", r.container_size},
                      {"segment_size", r.segment_size},
                      {"segments_per_cluster", r.segments_per_cluster},
                      {"compression", compression_name(r.compression)},
                      {"checksum", checksum_name(r.checksum)}};
  Json cl = Json::array();
  for (const auto& c : a.clusters)
    cl.push_back({{"index", c.index}, {"offset", c.offset}, {"header_size", c.header_size}, {"segments", c.segments},
                  {"stored_bytes", c.stored_bytes}, {"plain_bytes", c.plain_bytes}});
  j["clusters"] = std::move(cl);
  Json segs = Json::array();
  for (const auto& s : a.segments)
    segs.push_back({{"cluster", s.cluster}, {"index", s.index}, {"offset", s.data_offset}, {"stored_size", s.stored_size},
                    {"plain_size", s.plain_size}, {"plain_offset", s.plain_offset}});
  j["segments"] = std::move(segs);
  j["data_end"] = a.data_end;
  j["padding"] = a.padding;
  const Checks& c = a.checks;
  auto opt = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  j["checks"] = {{"signature", opt(c.signature)},
                 {"signing_key_source", opt(c.signing_key_source)},
                 {"macs_checkable", c.macs},
                 {"root_header_mac", c.root_header_mac},
                 {"cluster_header_macs", c.cluster_header_macs},
                 {"padding", opt(c.padding)},
                 {"signing_key_signature", opt(c.signing_key_signature)},
                 {"certificate_chain", opt(c.certificate_chain)}};
  return j;
}

std::string to_text(const Header& h) {
  std::string s = fmt::format("  profile: {} {} ({})\n", h.profile, h.info->name, h.info->summary);
  if (h.profile == 5)
    s += fmt::format("  scrypt strength: {} (N = {:#x})\n", h.scrypt_strength, uint64_t{0x4000} << (2 * h.scrypt_strength));
  else
    s += fmt::format("  scrypt strength: {} (unused: only profile 5 derives its key with scrypt)\n", h.scrypt_strength);
  s += auth_text(h.auth);
  s += layout_text(h);
  return s;
}

std::string to_text(const Archive& a) {
  std::string s = to_text(a.header);
  const RootHeader& r = a.root;
  s += fmt::format(
      "  root header: plaintext {} bytes ({}), container {} bytes, segments of {}, {} per cluster, compression {}, "
      "checksum {}\n",
      r.plain_size, human_size(r.plain_size), r.container_size, human_size(r.segment_size), r.segments_per_cluster,
      compression_name(r.compression), checksum_name(r.checksum));
  uint64_t stored = 0;
  for (const auto& c : a.clusters) stored += c.stored_bytes;
  s += fmt::format("  clusters: {}, segments: {} ({} stored bytes for {} plaintext bytes), padding: {}\n", a.clusters.size(),
                   a.segments.size(), stored, r.plain_size, a.padding ? fmt::format("{} bytes", a.padding) : "none");
  const Checks& c = a.checks;
  if (!c.signature.empty()) s += "  signature: " + c.signature + "\n";
  if (!c.signing_key_signature.empty()) s += "  SigningPublicKeySignature: " + c.signing_key_signature + "\n";
  if (!c.certificate_chain.empty()) s += "  certificate chain: " + c.certificate_chain + "\n";
  if (c.macs)
    s += fmt::format("  HMACs: root header verified, {} of {} cluster headers verified; padding: {}\n", c.cluster_header_macs,
                     a.clusters.size(), c.padding);
  else
    s += "  HMACs: not checked (the signing public key that the main key depends on is unknown)\n";
  return s;
}

}  // namespace upscope::aea
