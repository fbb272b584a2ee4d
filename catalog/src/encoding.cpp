#include "encoding.hpp"

#include <fmt/format.h>

#include "inspect/hash.hpp"

namespace upscope::catalog::detail {

void put_uleb(Blob& out, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(v ? (b | 0x80) : b);
  } while (v);
}

void put_string(Blob& out, std::string_view s) {
  put_uleb(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

Blob encode_strings(const std::vector<std::string>& list) {
  Blob out;
  size_t total = 0;
  for (const auto& s : list) total += s.size() + 2;
  out.reserve(total + 5);
  put_uleb(out, list.size());
  for (const auto& s : list) put_string(out, s);
  return out;
}

Blob encode_map(const std::map<std::string, std::string>& map) {
  Blob out;
  put_uleb(out, map.size());
  for (const auto& [k, v] : map) {
    put_string(out, k);
    put_string(out, v);
  }
  return out;
}

namespace {

// Reads "count, then count strings" with every length checked against what is left.
class Unpacker {
 public:
  Unpacker(Bytes blob, std::string_view what) : r_(blob), cur_(r_), what_(what) {}

  Result<uint64_t> count() {
    uint64_t n = cur_.uleb128();
    if (!cur_.ok()) return fail(bad("count"));
    // Every entry takes at least one byte: a larger count is corrupt, not an allocation to attempt.
    if (n > cur_.remaining()) return fail(bad(fmt::format("count {} exceeds the {} bytes left", n, cur_.remaining())));
    return n;
  }
  Result<std::string> string() {
    uint64_t n = cur_.uleb128();
    Bytes b = cur_.bytes(n);
    if (!cur_.ok()) return fail(bad(fmt::format("string at {} runs past the end", cur_.tell())));
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  Status finish() {
    if (cur_.remaining() != 0) return fail(bad(fmt::format("{} trailing bytes", cur_.remaining())));
    return {};
  }

 private:
  Error bad(const std::string& rule) const {
    return make_error(ErrorCode::kMalformed, std::string(what_), "the catalogue is corrupted: " + rule);
  }
  ByteReader r_;
  Cursor cur_;
  std::string_view what_;
};

}  // namespace

Status decode_strings(Bytes blob, std::vector<std::string>& out, std::string_view what) {
  Unpacker u(blob, what);
  UPSCOPE_TRY(uint64_t n, u.count());
  out.clear();
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    UPSCOPE_TRY(std::string s, u.string());
    out.push_back(std::move(s));
  }
  return u.finish();
}

Status decode_map(Bytes blob, std::map<std::string, std::string>& out, std::string_view what) {
  Unpacker u(blob, what);
  UPSCOPE_TRY(uint64_t n, u.count());
  out.clear();
  for (uint64_t i = 0; i < n; ++i) {
    UPSCOPE_TRY(std::string k, u.string());
    UPSCOPE_TRY(std::string v, u.string());
    // Keys were written in order: the end hint makes each insertion constant time.
    out.emplace_hint(out.end(), std::move(k), std::move(v));
  }
  return u.finish();
}

std::map<std::string, std::string> stored_hashes(const Component& c) {
  auto out = c.hashes;
  for (const auto& p : c.also) out["also " + std::string(to_string(p.location)) + " " + p.path] = p.sha256;
  return out;
}

void restore_hashes(std::map<std::string, std::string> stored, Component& c) {
  c.hashes.clear();
  c.also.clear();
  for (auto& [k, v] : stored) {
    if (k.rfind("also ", 0) == 0) {
      const auto sp = k.find(' ', 5);
      auto loc = parse_location(k.substr(5, sp == std::string::npos ? std::string::npos : sp - 5));
      if (loc && sp != std::string::npos) {
        c.also.push_back({*loc, k.substr(sp + 1), v});
        continue;
      }
    }
    c.hashes.emplace(k, std::move(v));
  }
}

std::string content_digest(const BuildInventory& inv) {
  Hasher h(HashKind::kSha256);
  Blob buf;
  auto flush = [&] {
    h.update(Bytes(buf.data(), buf.size()));
    buf.clear();
  };
  for (const std::string* s : {&inv.product, &inv.version, &inv.build, &inv.version_extra, &inv.platform, &inv.arch})
    put_string(buf, *s);
  put_uleb(buf, inv.components.size());
  for (const auto& c : inv.components) {
    put_string(buf, c.id);
    put_string(buf, to_string(c.kind));
    put_string(buf, to_string(c.space));
    put_string(buf, to_string(c.location));
    put_string(buf, c.path);
    put_string(buf, c.version);
    put_string(buf, c.uuid);
    put_uleb(buf, c.size);
    put_string(buf, c.code_hash);
    Blob m = encode_map(stored_hashes(c));
    buf.insert(buf.end(), m.begin(), m.end());
    Blob s = encode_strings(c.symbols);
    buf.insert(buf.end(), s.begin(), s.end());
    Blob f = encode_map(c.functions);
    buf.insert(buf.end(), f.begin(), f.end());
    flush();
  }
  put_uleb(buf, inv.not_analysed.size());
  for (const auto& n : inv.not_analysed) {
    put_string(buf, n.path);
    put_string(buf, n.reason);
  }
  flush();
  return h.hex_digest();
}

}  // namespace upscope::catalog::detail
