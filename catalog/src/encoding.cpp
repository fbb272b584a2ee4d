#include "encoding.hpp"

#include <algorithm>
#include <ctime>

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

void append_strings(Blob& out, const std::vector<std::string>& list) {
  size_t total = 0;
  for (const auto& s : list) total += s.size() + 2;
  out.reserve(out.size() + total + 5);
  put_uleb(out, list.size());
  for (const auto& s : list) put_string(out, s);
}

void append_map(Blob& out, const std::map<std::string, std::string>& map) {
  put_uleb(out, map.size());
  for (const auto& [k, v] : map) {
    put_string(out, k);
    put_string(out, v);
  }
}

Blob encode_strings(const std::vector<std::string>& list) {
  Blob out;
  append_strings(out, list);
  return out;
}

Blob encode_map(const std::map<std::string, std::string>& map) {
  Blob out;
  append_map(out, map);
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

void append_stored_hashes(Blob& out, const Component& c) {
  if (c.also.empty()) return append_map(out, c.hashes);  // the usual case: no copy of the map
  append_map(out, stored_hashes(c));
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

namespace {

std::string raw_digest(Hasher& h) {
  const std::string hex = h.hex_digest();
  std::string out(hex.size() / 2, '\0');
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  return out;
}

void put_blob(Hasher& h, Bytes b) {
  Blob len;
  put_uleb(len, b.size());
  h.update(bytes_of(len));
  h.update(b);
}

}  // namespace

std::string details_digest(Bytes symbols, Bytes functions, Bytes facts) {
  Hasher h(HashKind::kSha256);
  put_blob(h, symbols);
  put_blob(h, functions);
  put_blob(h, facts);
  return raw_digest(h);
}

std::string component_digest(const Component& c, Bytes hashes, std::string_view details_digest) {
  Hasher h(HashKind::kSha256);
  Blob buf;
  for (std::string_view s : {std::string_view(c.id), std::string_view(to_string(c.kind)),
                             std::string_view(to_string(c.space)), std::string_view(to_string(c.location)),
                             std::string_view(c.path), std::string_view(c.version), std::string_view(c.uuid)})
    put_string(buf, s);
  put_uleb(buf, c.size);
  put_string(buf, c.code_hash);
  h.update(bytes_of(buf));
  put_blob(h, hashes);
  put_blob(h, bytes_of(details_digest));
  return raw_digest(h);
}

namespace {
uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
}  // namespace

Blob encode_members(const std::vector<int64_t>& keys) {
  Blob out;
  put_uleb(out, keys.size());
  int64_t end = 0;  // one past the previous run
  for (size_t i = 0; i < keys.size();) {
    size_t j = i + 1;
    while (j < keys.size() && keys[j] == keys[j - 1] + 1) ++j;
    put_uleb(out, zigzag(keys[i] - end));
    put_uleb(out, j - i);
    end = keys[j - 1] + 1;
    i = j;
  }
  return out;
}

Status for_each_run(Bytes blob, uint64_t max, const std::function<bool(int64_t, uint64_t)>& each,
                    std::string_view what) {
  ByteReader r(blob);
  Cursor cur(r);
  auto bad = [&](const std::string& rule) {
    return fail(make_error(ErrorCode::kMalformed, std::string(what), "the catalogue is corrupted: members: " + rule));
  };
  const uint64_t n = cur.uleb128();
  if (!cur.ok()) return bad("count");
  // `max` comes from the database too: neither may make a few bytes expand without bound.
  if (n > kMaxMembers) return bad(fmt::format("{} components, more than a build can hold ({})", n, kMaxMembers));
  if (n > max) return bad(fmt::format("{} components, {} recorded", n, max));
  uint64_t seen = 0;
  int64_t end = 0;
  while (seen < n) {
    const uint64_t delta = cur.uleb128();
    const uint64_t len = cur.uleb128();
    if (!cur.ok()) return bad(fmt::format("run at {} runs past the end", cur.tell()));
    int64_t start = 0;
    if (len == 0 || len > n - seen || __builtin_add_overflow(end, unzigzag(delta), &start) || start <= 0 ||
        start > INT64_MAX - static_cast<int64_t>(len))
      return bad(fmt::format("run at {} is out of range", cur.tell()));
    seen += len;
    end = start + static_cast<int64_t>(len);
    if (!each(start, len)) return {};
  }
  if (cur.remaining() != 0) return bad(fmt::format("{} trailing bytes", cur.remaining()));
  return {};
}

Status decode_members(Bytes blob, uint64_t max, std::vector<int64_t>& out, std::string_view what) {
  out.clear();
  return for_each_run(blob, max, [&](int64_t start, uint64_t len) {
    if (out.empty()) out.reserve(std::min<uint64_t>(max, 1u << 20));  // max is read from the file too
    for (uint64_t k = 0; k < len; ++k) out.push_back(start + static_cast<int64_t>(k));
    return true;
  }, what);
}

Blob encode_not_analysed(const std::vector<NotAnalysed>& entries) {
  Blob out;
  put_uleb(out, entries.size() * 2);
  for (const auto& n : entries) {
    put_string(out, n.path);
    put_string(out, n.reason);
  }
  return out;
}

Status decode_not_analysed(Bytes blob, std::vector<NotAnalysed>& out, std::string_view what) {
  std::vector<std::string> list;
  UPSCOPE_CHECK(decode_strings(blob, list, what));
  if (list.size() % 2)
    return fail(make_error(ErrorCode::kMalformed, std::string(what),
                           "the catalogue is corrupted: a path without its reason"));
  out.clear();
  for (size_t i = 0; i < list.size(); i += 2) out.push_back({std::move(list[i]), std::move(list[i + 1])});
  return {};
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string content_digest(const BuildInventory& inv, const std::vector<std::string>& component_digests) {
  Hasher h(HashKind::kSha256);
  Blob buf;
  for (const std::string* s : {&inv.product, &inv.version, &inv.build, &inv.version_extra, &inv.platform, &inv.arch})
    put_string(buf, *s);
  put_uleb(buf, component_digests.size());
  for (const auto& d : component_digests) put_string(buf, d);
  put_uleb(buf, inv.not_analysed.size());
  for (const auto& n : inv.not_analysed) {
    put_string(buf, n.path);
    put_string(buf, n.reason);
  }
  h.update(Bytes(buf.data(), buf.size()));
  return h.hex_digest();
}

}  // namespace upscope::catalog::detail
