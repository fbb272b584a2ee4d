#include "aea/auth_data.hpp"

#include <cstdlib>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "aea/crypto.hpp"
#include "aea/structs.hpp"
#include "inspect/text.hpp"
#include "plist/parse.hpp"

namespace upscope::aea {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kKeyUrl = "com.apple.wkms.fcs-key-url";

std::string data_of(plist_t n) {
  uint64_t len = 0;
  const char* p = plist_get_data_ptr(n, &len);
  return p ? std::string(p, static_cast<size_t>(len)) : std::string();
}


// Property-list dates count seconds from 2001-01-01 00:00:00 UTC.
std::string date_text(plist_t n) {
  int32_t sec = 0, usec = 0;
  plist_get_date_val(n, &sec, &usec);
  std::time_t t = static_cast<std::time_t>(sec) + 978307200;
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return "?";
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

// The tree as JSON; plist::parse has already bounded its size and depth.
Json to_json(plist_t n) {
  switch (plist_get_node_type(n)) {
    case PLIST_BOOLEAN: {
      uint8_t b = 0;
      plist_get_bool_val(n, &b);
      return b != 0;
    }
    case PLIST_UINT: {
      uint64_t v = 0;
      plist_get_uint_val(n, &v);
      return v;
    }
    case PLIST_REAL: {
      double d = 0;
      plist_get_real_val(n, &d);
      return d;
    }
    case PLIST_STRING:
    case PLIST_KEY: {
      uint64_t len = 0;
      const char* s = plist_get_string_ptr(n, &len);
      return s ? printable(bytes_of(std::string(s, static_cast<size_t>(len)))) : std::string();
    }
    case PLIST_DATE: return Json{{"date", date_text(n)}};
    case PLIST_DATA: return Json{{"data", to_hex(bytes_of(data_of(n)))}};
    case PLIST_UID: {
      uint64_t v = 0;
      plist_get_uid_val(n, &v);
      return Json{{"uid", v}};
    }
    case PLIST_ARRAY: {
      Json a = Json::array();
      for (uint32_t i = 0, c = plist_array_get_size(n); i < c; ++i) a.push_back(to_json(plist_array_get_item(n, i)));
      return a;
    }
    case PLIST_DICT: {
      Json o = Json::object();
      plist_dict_iter it = nullptr;
      plist_dict_new_iter(n, &it);
      for (;;) {
        char* key = nullptr;
        plist_t v = nullptr;
        plist_dict_next_item(n, it, &key, &v);
        if (!key) break;
        o[printable(bytes_of(std::string(key)))] = v ? to_json(v) : Json(nullptr);
        std::free(key);
      }
      std::free(it);
      return o;
    }
    default: return nullptr;
  }
}

// Signed Shortcuts: the signing key, its signature and the certificate chain.
void shortcut_fields(plist_t root, AuthData& a) {
  if (plist_get_node_type(root) != PLIST_DICT) return;
  if (plist_t k = plist_dict_get_item(root, "SigningPublicKey"); k && plist_get_node_type(k) == PLIST_DATA) {
    std::string d = data_of(k);
    a.signing_public_key = std::vector<uint8_t>(d.begin(), d.end());
  }
  if (plist_t s = plist_dict_get_item(root, "SigningPublicKeySignature"); s && plist_get_node_type(s) == PLIST_DATA) {
    std::string d = data_of(s);
    a.signing_key_signature = std::vector<uint8_t>(d.begin(), d.end());
  }
  if (plist_t c = plist_dict_get_item(root, "AppleIDCertificateChain"); c && plist_get_node_type(c) == PLIST_ARRAY) {
    for (uint32_t i = 0, n = plist_array_get_size(c); i < n; ++i) {
      plist_t item = plist_array_get_item(c, i);
      if (plist_get_node_type(item) != PLIST_DATA) continue;
      std::string d = data_of(item);
      a.certificates.emplace_back(d.begin(), d.end());
      CertificateInfo info;
      if (auto cert = crypto::parse_certificate(bytes_of(d))) {
        info = {cert->subject, cert->issuer, cert->not_before, cert->not_after, cert->key_type};
      } else {
        info.subject = "(" + cert.error().rule + ")";
      }
      a.certificate_info.push_back(std::move(info));
    }
  }
  if (plist_t u = plist_dict_get_item(root, kKeyUrl); u && plist_get_node_type(u) == PLIST_STRING)
    a.key_url = plist::string_item(root, kKeyUrl);
}

bool decode_plist(AuthData& a) {
  auto root = plist::parse(a.bytes, "AEA auth data", plist::Syntax::kAny, a.offset);
  if (!root) {
    a.note = "looks like a property list but " + root.error().rule;
    return false;
  }
  if (!plist::get(*root)) {
    a.note = "looks like a property list but libplist cannot parse it";
    return false;
  }
  a.kind = AuthData::Kind::kPlist;
  a.plist = to_json(plist::get(*root));
  shortcut_fields(plist::get(*root), a);
  return true;
}

// Key/value records: u32 length, key, NUL, value; they must tile the auth data exactly and the keys
// must be printable, or the blob is not taken for records. Public descriptions disagree on whether
// the length counts its own 4 bytes (docs/formats/aea.md §3): both readings are tried, that one first.
bool decode_records(AuthData& a, bool length_counts_itself) {
  ByteReader r(a.bytes, a.offset);
  std::vector<std::pair<std::string, std::string>> pairs;
  const uint64_t self = length_counts_itself ? 4 : 0;
  uint64_t pos = 0;
  while (pos < r.size()) {
    auto len = r.u32le(pos);
    if (!len || *len + 4 - self < 5 || !r.has(pos, *len + 4 - self)) return false;
    Bytes body = *r.bytes(pos + 4, *len - self);
    const void* nul = std::memchr(body.data(), 0, body.size());
    if (!nul) return false;
    size_t klen = static_cast<size_t>(static_cast<const uint8_t*>(nul) - body.data());
    std::string key(reinterpret_cast<const char*>(body.data()), klen);
    for (unsigned char ch : key)
      if (ch < 0x20 || ch > 0x7e) return false;
    pairs.emplace_back(std::move(key), std::string(reinterpret_cast<const char*>(body.data()) + klen + 1, body.size() - klen - 1));
    pos += *len + 4 - self;
  }
  if (pairs.empty()) return false;
  a.kind = AuthData::Kind::kKeyValue;
  a.pairs = std::move(pairs);
  for (const auto& [k, v] : a.pairs)
    if (k == kKeyUrl) a.key_url = v;
  return true;
}

}  // namespace

void decode_auth_data(AuthData& a) {
  if (a.bytes.empty()) {
    a.kind = AuthData::Kind::kEmpty;
    return;
  }
  ByteReader r(a.bytes);
  if ((r.starts_with("bplist00") || r.starts_with("<?xml") || r.starts_with("<plist")) && decode_plist(a)) return;
  if (decode_records(a, true) || decode_records(a, false)) return;
  a.kind = AuthData::Kind::kBlob;
}

}  // namespace upscope::aea
