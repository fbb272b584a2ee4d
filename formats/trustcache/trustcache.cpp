// Trust cache reader: the raw module (docs/formats/trustcache.md §1-§2) and its Image4 wrapping (§3).
#include "trustcache/trustcache.hpp"

#include <cstring>

#include <fmt/format.h>

#include "img4/img4.hpp"
#include "inspect/text.hpp"
#include "trustcache/probe.hpp"
#include "trustcache/structs.hpp"

namespace upscope::trustcache {

std::string hash_type_name(uint8_t type) {
  switch (type) {
    case 1: return "sha1";
    case 2: return "sha256";
    case 3: return "sha256-truncated";
    case 4: return "sha384";
    default: return "unknown";
  }
}

std::vector<std::string> flag_names(uint8_t flags) {
  std::vector<std::string> out;
  if (flags & 0x01) out.push_back("amfid");
  if (flags & 0x02) out.push_back("ane-model");
  if (const uint8_t rest = flags & ~0x03u) out.push_back(fmt::format("{:#x}", rest));
  return out;
}

std::string flags_text(uint8_t flags) {
  if (flags == 0) return "none";
  std::string names;
  for (const auto& n : flag_names(flags)) names += (names.empty() ? "" : ", ") + n;
  return fmt::format("{:#x} ({})", flags, names);
}

bool is_trust_cache_type(std::string_view t) { return t == "trbb" || t == "trst" || t == "ltrs"; }

bool identified_as_trust_cache(const Identification& id) {
  if (id.format == "trustcache") return true;
  const char* key = id.format == "img4" ? "payload_type" : id.format == "im4p" ? "type" : nullptr;
  return key && is_trust_cache_type(id.details.value(key, ""));
}

std::string im4p_type_name(std::string_view t) {
  if (t == "trst") return "static trust cache";
  if (t == "ltrs") return "loadable trust cache";
  if (t == "trbb") return "bootability trust cache";
  return "not a trust cache";
}

Result<TrustCache> parse_raw(const ByteReader& r, const std::string& what) {
  const std::string header = what + " header";
  if (r.size() < kHeaderSize)
    return fail(ErrorCode::kTruncated, header, fmt::format("needs {} bytes, the input has {}", kHeaderSize, r.size()),
                r.base());
  UPSCOPE_TRY(RawHeader h, r.read<RawHeader>(0));
  const uint64_t each = entry_size(h.version);
  if (each == 0)
    return fail(ErrorCode::kUnsupported, header, fmt::format("version {} is not 0, 1 or 2", h.version), r.base());
  TrustCache tc;
  tc.offset = r.base();
  tc.version = h.version;
  std::memcpy(tc.uuid.data(), h.uuid, 16);
  tc.declared_count = h.entry_count;

  // The count is capped by the bytes that follow: no allocation beyond the input's size.
  const uint64_t room = r.size() - kHeaderSize;
  const uint64_t declared_bytes = uint64_t{h.entry_count} * each;
  uint64_t readable = h.entry_count;
  if (declared_bytes > room) {
    readable = room / each;
    tc.diagnostics.error(r.base() + kHeaderSize, what + " entries",
                         fmt::format("the header declares {} entries of {} bytes ({} bytes) but only {} bytes follow it; "
                                     "{} entr{} read",
                                     h.entry_count, each, declared_bytes, room, readable, readable == 1 ? "y" : "ies"));
    if (room % each != 0)
      tc.diagnostics.error(r.base() + kHeaderSize + readable * each, fmt::format("{} entry {}", what, readable),
                           fmt::format("truncated: {} of its {} bytes before the end of the input", room % each, each));
  } else if (declared_bytes < room) {
    tc.diagnostics.warning(r.base() + kHeaderSize + declared_bytes, what,
                           fmt::format("{} bytes after the last entry", room - declared_bytes));
  }

  tc.entries.reserve(static_cast<size_t>(readable));
  for (uint64_t i = 0; i < readable; ++i) {
    const uint64_t at = kHeaderSize + i * each;
    UPSCOPE_TRY(Bytes b, r.bytes(at, each));
    Entry e;
    std::memcpy(e.cdhash.data(), b.data(), kCdhashSize);
    if (h.version >= 1) {
      e.hash_type = b[20];
      e.flags = b[21];
    }
    if (h.version >= 2) e.constraint_category = b[22];
    // Versions 1 and 2 are looked up by binary search, so they must be sorted (§2).
    if (i > 0) {
      const Cdhash& prev = tc.entries.back().cdhash;
      const int cmp = std::memcmp(prev.data(), e.cdhash.data(), kCdhashSize);
      if (cmp == 0)
        tc.diagnostics.warning(r.base() + at, fmt::format("{} entry {}", what, i),
                               fmt::format("repeats the cdhash of entry {}", i - 1));
      else if (cmp > 0 && h.version >= 1)
        tc.diagnostics.warning(r.base() + at, fmt::format("{} entry {}", what, i),
                               fmt::format("cdhash {} sorts before entry {}'s: a version {} trust cache must be sorted by "
                                           "cdhash for the kernel's binary search",
                                           to_hex(e.cdhash), i - 1, h.version));
    }
    tc.entries.push_back(e);
  }
  return tc;
}

Result<TrustCache> parse(const Source& src) {
  std::vector<uint8_t> scratch;
  UPSCOPE_TRY(ByteReader r, src.view(0, src.size(), scratch, "trust cache"));
  // Image4 starts with a DER SEQUENCE; a raw module's first byte is its version (0-2).
  if (r.size() == 0 || *r.u8(0) != 0x30) return parse_raw(r);
  UPSCOPE_TRY(img4::Image4 img, img4::parse_image4(r));
  const img4::Im4p& p = img.im4p;
  const std::string what = fmt::format("IM4P '{}'", p.type);
  if (!is_trust_cache_type(p.type))
    return fail(ErrorCode::kUnsupported, what,
                "the IM4P type is not one that carries a trust cache (trbb, trst, ltrs)", img.im4p_offset);
  if (p.has_keybag)
    return fail(ErrorCode::kUnsupported, what + " payload", "the payload is encrypted (the IM4P has a keybag)",
                p.payload.base());
  if (p.payload_kind() != "raw")
    return fail(ErrorCode::kUnsupported, what + " payload",
                fmt::format("the payload is {}-compressed; trust caches are stored uncompressed", p.payload_kind()),
                p.payload.base());
  UPSCOPE_TRY(TrustCache tc, parse_raw(p.payload, what + " trust cache"));
  Wrapper w;
  w.container = img.container;
  w.type = p.type;
  w.description = p.description;
  w.payload_offset = p.payload.base();
  w.payload_length = p.payload.size();
  w.manifest_offset = img.manifest_offset;
  tc.wrapper = std::move(w);
  return tc;
}

}  // namespace upscope::trustcache
