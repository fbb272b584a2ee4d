#include "encoding.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>
#include <unordered_map>

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

namespace {

// The blob writers below size the blob once and write through a pointer: a first build encodes
// 10^5 components' lists twice (digests, then rows), and pushing a byte and inserting a string at
// a time into the vector showed in its profile above the copying itself.
size_t uleb_size(uint64_t v) {
  size_t n = 1;
  while (v >>= 7) ++n;
  return n;
}
uint8_t* write_uleb(uint8_t* p, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    *p++ = v ? (b | 0x80) : b;
  } while (v);
  return p;
}
size_t string_size(std::string_view s) { return uleb_size(s.size()) + s.size(); }
uint8_t* write_string(uint8_t* p, std::string_view s) {
  p = write_uleb(p, s.size());
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

}  // namespace

void append_strings(Blob& out, const std::vector<std::string>& list) {
  size_t total = uleb_size(list.size());
  for (const auto& s : list) total += string_size(s);
  const size_t at = out.size();
  out.resize(at + total);
  uint8_t* p = write_uleb(out.data() + at, list.size());
  for (const auto& s : list) p = write_string(p, s);
}

void append_map(Blob& out, const std::map<std::string, std::string>& map) {
  size_t total = uleb_size(map.size());
  for (const auto& [k, v] : map) total += string_size(k) + string_size(v);
  const size_t at = out.size();
  out.resize(at + total);
  uint8_t* p = write_uleb(out.data() + at, map.size());
  for (const auto& [k, v] : map) {
    p = write_string(p, k);
    p = write_string(p, v);
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

// The catalogue's row digests, two per component: one SHA-256 state per thread, started over for
// each row, and its raw bytes (a Hasher per row, its context allocated and freed and a hex digest
// turned back into bytes, cost more than the hashing). A row's digest is finished before the next
// one starts on the same thread.
Hasher& row_hasher() {
  thread_local Hasher h(HashKind::kSha256);
  h.reset();
  return h;
}

// A blob preceded by its ULEB128 length.
void hash_blob(Hasher& h, Bytes b) {
  uint8_t len[10];
  h.update(Bytes(len, static_cast<size_t>(write_uleb(len, b.size()) - len)));
  h.update(b);
}

}  // namespace

std::string details_digest(Bytes symbols, Bytes functions, Bytes facts) {
  Hasher& h = row_hasher();
  hash_blob(h, symbols);
  hash_blob(h, functions);
  hash_blob(h, facts);
  return h.digest();
}

std::string component_digest(const Component& c, Bytes hashes, std::string_view details_digest) {
  Hasher& h = row_hasher();
  thread_local Blob buf;  // reused: this runs for every component of a build
  buf.clear();
  for (std::string_view s : {std::string_view(c.id), std::string_view(to_string(c.kind)),
                             std::string_view(to_string(c.space)), std::string_view(to_string(c.location)),
                             std::string_view(c.path), std::string_view(c.version), std::string_view(c.uuid)})
    put_string(buf, s);
  put_uleb(buf, c.size);
  put_string(buf, c.code_hash);
  h.update(bytes_of(buf));
  hash_blob(h, hashes);
  hash_blob(h, bytes_of(details_digest));
  return h.digest();
}

namespace {
uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
}  // namespace

namespace {

constexpr uint64_t kRunsTag = 0, kDeltaTag = 1;

// Appends the runs of consecutive keys in keys[begin, end) as KEYS ops; `end_key` is one past the
// previous literal run (the zigzag base of the next).
void put_key_runs(Blob& out, const std::vector<int64_t>& keys, size_t begin, size_t end, int64_t& end_key,
                  bool with_kind) {
  for (size_t i = begin; i < end;) {
    size_t j = i + 1;
    while (j < end && keys[j] == keys[j - 1] + 1) ++j;
    put_uleb(out, with_kind ? ((j - i) << 1 | 1) : (j - i));
    put_uleb(out, zigzag(keys[i] - end_key));
    end_key = keys[j - 1] + 1;
    i = j;
  }
}

}  // namespace

Blob encode_members(const std::vector<int64_t>& keys) {
  Blob out;
  put_uleb(out, kRunsTag);
  put_uleb(out, keys.size());
  int64_t end = 0;
  put_key_runs(out, keys, 0, keys.size(), end, false);
  return out;
}

Blob encode_members_delta(const std::vector<int64_t>& keys, int64_t base_key, uint64_t depth,
                          const std::vector<int64_t>& base) {
  std::unordered_map<int64_t, size_t> pos;
  pos.reserve(base.size());
  for (size_t p = 0; p < base.size(); ++p) pos.emplace(base[p], p);
  Blob out;
  put_uleb(out, kDeltaTag);
  put_uleb(out, static_cast<uint64_t>(base_key));
  put_uleb(out, depth);
  put_uleb(out, keys.size());
  int64_t next_copy = 0, end_key = 0;  // where the next COPY is expected; one past the last literal key
  for (size_t i = 0; i < keys.size();) {
    if (auto it = pos.find(keys[i]); it != pos.end()) {
      const size_t p = it->second;
      size_t len = 1;
      while (i + len < keys.size() && p + len < base.size() && keys[i + len] == base[p + len]) ++len;
      put_uleb(out, len << 1);
      put_uleb(out, zigzag(static_cast<int64_t>(p) - next_copy));
      next_copy = static_cast<int64_t>(p + len);
      i += len;
    } else {
      size_t j = i + 1;  // keys the base does not hold, up to the next one it does
      while (j < keys.size() && !pos.count(keys[j])) ++j;
      put_key_runs(out, keys, i, j, end_key, true);
      i = j;
    }
  }
  return out;
}

Result<MembersInfo> members_info(Bytes blob, uint64_t max, std::string_view what) {
  ByteReader r(blob);
  Cursor cur(r);
  auto bad = [&](const std::string& rule) {
    return fail(make_error(ErrorCode::kMalformed, std::string(what), "the catalogue is corrupted: members: " + rule));
  };
  MembersInfo info;
  const uint64_t tag = cur.uleb128();
  if (!cur.ok()) return bad("no header");
  if (tag == kDeltaTag) {
    const uint64_t base = cur.uleb128();
    info.depth = cur.uleb128();
    if (!cur.ok()) return bad("no header");
    if (base == 0 || base > static_cast<uint64_t>(INT64_MAX)) return bad(fmt::format("base build key {}", base));
    if (info.depth == 0 || info.depth > kMaxMembersDepth)
      return bad(fmt::format("delta depth {} (1 to {})", info.depth, kMaxMembersDepth));
    info.base = static_cast<int64_t>(base);
  } else if (tag != kRunsTag) {
    return bad(fmt::format("unknown encoding {}", tag));
  }
  info.count = cur.uleb128();
  if (!cur.ok()) return bad("count");
  // `max` comes from the database too: neither may make a few bytes expand without bound.
  if (info.count > kMaxMembers)
    return bad(fmt::format("{} components, more than a build can hold ({})", info.count, kMaxMembers));
  if (info.count > max) return bad(fmt::format("{} components, {} recorded", info.count, max));
  info.body = cur.tell();
  return info;
}

Status for_each_member_op(Bytes blob, uint64_t max, uint64_t base_size,
                          const std::function<bool(const MemberOp&)>& each, std::string_view what) {
  UPSCOPE_TRY(MembersInfo info, members_info(blob, max, what));
  ByteReader r(blob);
  Cursor cur(r);
  cur.seek(info.body);
  auto bad = [&](const std::string& rule) {
    return fail(make_error(ErrorCode::kMalformed, std::string(what), "the catalogue is corrupted: members: " + rule));
  };
  const bool delta = info.base != 0;
  uint64_t seen = 0;
  int64_t next_copy = 0, end_key = 0;
  while (seen < info.count) {
    const uint64_t head = cur.uleb128();
    const uint64_t delta_value = cur.uleb128();
    if (!cur.ok()) return bad(fmt::format("run at {} runs past the end", cur.tell()));
    MemberOp op;
    op.copy = delta && (head & 1) == 0;
    op.len = delta ? head >> 1 : head;
    if (op.len == 0 || op.len > info.count - seen) return bad(fmt::format("run at {} is out of range", cur.tell()));
    int64_t& anchor = op.copy ? next_copy : end_key;
    if (__builtin_add_overflow(anchor, unzigzag(delta_value), &op.first) ||
        op.first > INT64_MAX - static_cast<int64_t>(op.len))
      return bad(fmt::format("run at {} is out of range", cur.tell()));
    if (op.copy ? (op.first < 0 || static_cast<uint64_t>(op.first) + op.len > base_size) : op.first <= 0)
      return bad(fmt::format("run at {} is out of range", cur.tell()));
    anchor = op.first + static_cast<int64_t>(op.len);
    seen += op.len;
    if (!each(op)) return {};
  }
  if (cur.remaining() != 0) return bad(fmt::format("{} trailing bytes", cur.remaining()));
  return {};
}

Status decode_members(Bytes blob, uint64_t max, const std::vector<int64_t>& base, std::vector<int64_t>& out,
                      std::string_view what) {
  out.clear();
  return for_each_member_op(blob, max, base.size(), [&](const MemberOp& op) {
    if (out.empty()) out.reserve(std::min<uint64_t>(max, 1u << 20));  // max is read from the file too
    if (op.copy) {
      out.insert(out.end(), base.begin() + op.first, base.begin() + op.first + static_cast<int64_t>(op.len));
    } else {
      for (uint64_t k = 0; k < op.len; ++k) out.push_back(op.first + static_cast<int64_t>(k));
    }
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
