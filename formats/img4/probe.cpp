#include "img4/probe.hpp"

#include <fmt/format.h>

#include "trustcache/probe.hpp"
#include "trustcache/trustcache.hpp"

namespace upscope::img4 {

Result<DerHeader> read_der_header(const ByteReader& r, uint64_t off) {
  UPSCOPE_TRY(uint8_t tag, r.u8(off));
  UPSCOPE_TRY(uint8_t first, r.u8(off + 1));
  DerHeader h{tag, 2, first};
  if (first & 0x80) {
    unsigned n = first & 0x7f;
    if (n == 0 || n > 8)
      return fail(ErrorCode::kMalformed, "DER header", fmt::format("length of length {} is not 1..8", n), r.base() + off);
    uint64_t len = 0;
    for (unsigned i = 0; i < n; ++i) {
      UPSCOPE_TRY(uint8_t b, r.u8(off + 2 + i));
      len = (len << 8) | b;
    }
    h.header_length = 2 + n;
    h.length = len;
  }
  return h;
}

namespace {

// What the head shows of an IM4P whose fields start at `off` (just past its "IM4P" magic):
// IA5String type, IA5String description, OCTET STRING payload.
struct Im4pFields {
  std::optional<std::string> type, description;
  std::optional<uint64_t> payload_length;
  std::string compression;  // "lzfse", "lzss", "raw"; empty when the payload is not in the head
  std::string trust_cache;  // ": trust cache v1, 1 entry" for a trust-cache payload type
  nlohmann::ordered_json trust_cache_details;
};

Im4pFields read_im4p_fields(const ByteReader& head, uint64_t off) {
  Im4pFields f;
  auto t = read_der_header(head, off);
  if (!t || t->tag != 0x16) return f;
  if (auto type = head.fixed_string(off + t->header_length, t->length)) f.type = std::string(*type);
  off += t->header_length + t->length;
  auto d = read_der_header(head, off);
  if (!d || d->tag != 0x16) return f;
  if (auto desc = head.fixed_string(off + d->header_length, d->length)) f.description = std::string(*desc);
  off += d->header_length + d->length;
  auto p = read_der_header(head, off);
  if (!p || p->tag != 0x04) return f;
  f.payload_length = p->length;
  const uint64_t body_off = off + p->header_length;
  auto body = head.sub(body_off, std::min<uint64_t>(p->length, 8));
  if (!body) return f;
  f.compression = body->starts_with("bvx") ? "lzfse" : body->starts_with("complzss") ? "lzss" : "raw";
  // A trust-cache payload type (docs/formats/trustcache.md §3): say whether the payload is one.
  if (f.type && trustcache::is_trust_cache_type(*f.type)) {
    auto module = head.sub(body_off, std::min<uint64_t>(p->length, 24));
    auto s = module && f.compression == "raw" ? trustcache::summarize(*module, p->length) : std::nullopt;
    if (s) {
      f.trust_cache = fmt::format(": {} v{}, {} entr{}", trustcache::im4p_type_name(*f.type), s->version,
                                  s->entry_count, s->entry_count == 1 ? "y" : "ies");
      f.trust_cache_details = {{"version", s->version}, {"uuid", s->uuid}, {"entry_count", s->entry_count}};
    } else {
      f.trust_cache = fmt::format(": {} type, but the payload is not a valid trust cache",
                                  trustcache::im4p_type_name(*f.type));
    }
  }
  return f;
}

// The details and the description tail of an IM4P; `prefix` is "payload_" inside an IMG4.
std::string describe(const Im4pFields& f, Identification& id, const std::string& prefix, bool img4) {
  std::string extra;
  if (f.type) {
    id.details[prefix.empty() ? "type" : prefix + "type"] = *f.type;
    extra = (img4 ? ": IM4P '" : " '") + *f.type + "'";
  }
  if (f.description) id.details[prefix + "description"] = *f.description;
  if (f.payload_length) id.details["payload_length"] = *f.payload_length;
  if (!f.compression.empty()) {
    id.details["payload_compression"] = f.compression;
    extra += fmt::format(", {} payload of {} bytes", f.compression, *f.payload_length);
  }
  if (!f.trust_cache_details.is_null()) id.details["trust_cache"] = f.trust_cache_details;
  return extra + f.trust_cache;
}

}  // namespace

std::optional<Identification> probe(const ProbeInput& in) {
  auto seq = read_der_header(in.head, 0);
  if (!seq || seq->tag != 0x30) return std::nullopt;
  auto str = read_der_header(in.head, seq->header_length);
  if (!str || str->tag != 0x16 || str->length != 4) return std::nullopt;
  auto fourcc = in.head.fixed_string(seq->header_length + str->header_length, 4);
  if (!fourcc) return std::nullopt;
  static const struct { const char* tag; const char* format; const char* what; } kKinds[] = {
      {"IMG4", "img4", "Image4 container (payload + manifest)"},
      {"IM4P", "im4p", "Image4 payload"},
      {"IM4M", "im4m", "Image4 manifest"},
      {"IM4R", "im4r", "Image4 restore info"},
      {"IM4C", "im4c", "Image4 certificate"},
  };
  for (const auto& k : kKinds) {
    if (*fourcc != k.tag) continue;
    Identification id;
    id.format = k.format;
    id.details["der_length"] = seq->length;
    std::string extra;
    const uint64_t after_magic = seq->header_length + str->header_length + 4;
    if (id.format == "im4p") {
      // IM4P: SEQUENCE { "IM4P", IA5String type, IA5String description, OCTET STRING payload ... }
      extra = describe(read_im4p_fields(in.head, after_magic), id, "", false);
    } else if (id.format == "img4") {
      // IMG4: SEQUENCE { "IMG4", IM4P SEQUENCE, [0] IM4M ... }: the IM4P's fields as payload_*.
      auto p = read_der_header(in.head, after_magic);
      if (p && p->tag == 0x30) {
        const uint64_t inner = after_magic + p->header_length;
        auto m = read_der_header(in.head, inner);
        auto magic = m && m->tag == 0x16 && m->length == 4 ? in.head.fixed_string(inner + m->header_length, 4)
                                                           : Result<std::string_view>(std::string_view());
        if (magic && *magic == "IM4P")
          extra = describe(read_im4p_fields(in.head, inner + m->header_length + 4), id, "payload_", true);
      }
    }
    id.description = fmt::format("{}{}", k.what, extra);
    auto total = checked_add(seq->header_length, seq->length);
    if (!total || *total > in.source.size())
      id.warnings.push_back(fmt::format("DER sequence declares {} content bytes but the file holds {}", seq->length,
                                        in.source.size()));
    return id;
  }
  return std::nullopt;
}

}  // namespace upscope::img4
