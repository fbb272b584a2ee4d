#include "img4/probe.hpp"

#include <fmt/format.h>

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
    if (id.format == "im4p") {
      // IM4P: SEQUENCE { "IM4P", IA5String type, IA5String description, OCTET STRING payload ... }
      uint64_t off = seq->header_length + str->header_length + 4;
      auto t = read_der_header(in.head, off);
      if (t && t->tag == 0x16) {
        auto type = in.head.fixed_string(off + t->header_length, t->length);
        if (type) {
          id.details["type"] = std::string(*type);
          extra = fmt::format(" '{}'", *type);
        }
        off += t->header_length + t->length;
        auto d = read_der_header(in.head, off);
        if (d && d->tag == 0x16) {
          auto desc = in.head.fixed_string(off + d->header_length, d->length);
          if (desc) id.details["description"] = std::string(*desc);
          off += d->header_length + d->length;
          auto p = read_der_header(in.head, off);
          if (p && p->tag == 0x04) {
            id.details["payload_length"] = p->length;
            auto body = in.head.sub(off + p->header_length, std::min<uint64_t>(p->length, 8));
            if (body) {
              std::string kind = body->starts_with("bvx") ? "lzfse"
                                 : body->starts_with("complzss") ? "lzss"
                                 : "raw";
              id.details["payload_compression"] = kind;
              extra += fmt::format(", {} payload of {} bytes", kind, p->length);
            }
          }
        }
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
