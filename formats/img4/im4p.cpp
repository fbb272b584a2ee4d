#include "img4/im4p.hpp"

#include <fmt/format.h>

#include "img4/probe.hpp"

namespace upscope::img4 {

namespace {

const char* tag_name(uint8_t tag) {
  switch (tag) {
    case kDerSequence: return "SEQUENCE";
    case kDerIa5String: return "IA5String";
    case kDerOctetString: return "OCTET STRING";
    case kDerInteger: return "INTEGER";
    default: return "element";
  }
}

// One element at off whose content must end by `end` (the enclosing element's end).
struct Element {
  uint8_t tag;
  uint64_t content, length;
  uint64_t next() const { return content + length; }
};

Result<Element> element(const ByteReader& r, uint64_t off, uint64_t end, const char* what) {
  if (off >= end)
    return fail(ErrorCode::kTruncated, std::string("IM4P ") + what, "missing: the SEQUENCE ends before it",
                r.base() + off);
  auto h = read_der_header(r, off);
  if (!h) return fail(ErrorCode::kTruncated, std::string("IM4P ") + what, h.error().rule, r.base() + off);
  const uint64_t content = off + h->header_length;
  if (content > end || h->length > end - content)
    return fail(ErrorCode::kTruncated, std::string("IM4P ") + what,
                fmt::format("{} length {:#x} extends past the end of the IM4P SEQUENCE ({:#x} bytes remain)",
                            tag_name(h->tag), h->length, content > end ? 0 : end - content),
                r.base() + off);
  return Element{h->tag, content, h->length};
}

Result<Element> expect(const ByteReader& r, uint64_t off, uint64_t end, uint8_t tag, const char* what) {
  UPSCOPE_TRY(Element e, element(r, off, end, what));
  if (e.tag != tag)
    return fail(ErrorCode::kMalformed, std::string("IM4P ") + what,
                fmt::format("expected {} (tag {:#04x}), found tag {:#04x}", tag_name(tag), tag, e.tag), r.base() + off);
  return e;
}

Result<uint64_t> integer(const ByteReader& r, const Element& e, const char* what) {
  if (e.length == 0 || e.length > 9)
    return fail(ErrorCode::kMalformed, std::string("IM4P ") + what,
                fmt::format("INTEGER of {} bytes is not 1..8", e.length), r.base() + e.content);
  uint64_t v = 0;
  for (uint64_t i = 0; i < e.length; ++i) {
    uint8_t b = *r.u8(e.content + i);
    if (i == 0 && e.length == 9 && b != 0)
      return fail(ErrorCode::kMalformed, std::string("IM4P ") + what, "INTEGER does not fit in 64 bits", r.base() + e.content);
    v = (v << 8) | b;
  }
  return v;
}

}  // namespace

std::string Im4p::payload_kind() const {
  if (compression) return compression->algorithm == 0 ? "lzss" : compression->algorithm == 1 ? "lzfse" : "unknown";
  if (payload.starts_with("complzss")) return "lzss";
  if (payload.starts_with("bvx")) return "lzfse";
  return "raw";
}

Result<Im4p> parse_im4p(const ByteReader& r) {
  auto h = read_der_header(r, 0);
  if (!h) return fail(ErrorCode::kTruncated, "IM4P", h.error().rule, r.base());
  if (h->tag != kDerSequence)
    return fail(ErrorCode::kMalformed, "IM4P", fmt::format("expected a DER SEQUENCE (tag 0x30), found tag {:#04x}", h->tag),
                r.base());
  if (h->length > r.size() - std::min(r.size(), h->header_length))
    return fail(ErrorCode::kTruncated, "IM4P",
                fmt::format("the SEQUENCE declares {:#x} content bytes but only {:#x} follow its header", h->length,
                            r.size() - std::min(r.size(), h->header_length)),
                r.base());
  const uint64_t end = h->header_length + h->length;
  Im4p p;
  UPSCOPE_TRY(Element magic, expect(r, h->header_length, end, kDerIa5String, "magic"));
  if (magic.length != 4 || *r.fixed_string(magic.content, 4) != "IM4P")
    return fail(ErrorCode::kMalformed, "IM4P magic", "the first element is not the IA5String \"IM4P\"",
                r.base() + h->header_length);
  UPSCOPE_TRY(Element type, expect(r, magic.next(), end, kDerIa5String, "type"));
  p.type = std::string(*r.fixed_string(type.content, type.length));
  UPSCOPE_TRY(Element desc, expect(r, type.next(), end, kDerIa5String, "description"));
  p.description = std::string(*r.fixed_string(desc.content, desc.length));
  UPSCOPE_TRY(Element data, expect(r, desc.next(), end, kDerOctetString, "payload"));
  p.payload = *r.sub(data.content, data.length, "IM4P payload");
  // Optional trailing elements: the keybag (OCTET STRING) and the compression info (SEQUENCE of
  // two INTEGERs). Others (PAYP properties, hashes) are skipped.
  uint64_t off = data.next();
  for (int n = 0; off < end && n < 16; ++n) {
    UPSCOPE_TRY(Element e, element(r, off, end, "trailing element"));
    if (e.tag == kDerOctetString) {
      p.has_keybag = true;
    } else if (e.tag == kDerSequence && !p.compression) {
      const uint64_t cend = e.next();
      UPSCOPE_TRY(Element a, expect(r, e.content, cend, kDerInteger, "compression algorithm"));
      UPSCOPE_TRY(Element s, expect(r, a.next(), cend, kDerInteger, "uncompressed size"));
      UPSCOPE_TRY(uint64_t alg, integer(r, a, "compression algorithm"));
      UPSCOPE_TRY(uint64_t size, integer(r, s, "uncompressed size"));
      p.compression = Im4pCompression{alg, size};
    }
    off = e.next();
  }
  return p;
}

}  // namespace upscope::img4
