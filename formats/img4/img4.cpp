// IMG4 / IM4P container walk: which of the two the input is, where the IM4P and the IM4M lie.
#include "img4/img4.hpp"

#include <fmt/format.h>

#include "img4/probe.hpp"

namespace upscope::img4 {

namespace {

constexpr uint8_t kManifestTag = 0xa0, kRestoreInfoTag = 0xa1;

// The element at off with its content inside [off, end), or the rule it breaks.
Result<DerHeader> element_in(const ByteReader& r, uint64_t off, uint64_t end, const std::string& what) {
  auto h = read_der_header(r, off);
  if (!h) return fail(ErrorCode::kTruncated, what, h.error().rule, r.base() + off);
  if (off + h->header_length > end || h->length > end - off - h->header_length)
    return fail(ErrorCode::kTruncated, what,
                fmt::format("element of {:#x} bytes extends past the end of the IMG4 SEQUENCE", h->length),
                r.base() + off);
  return *h;
}

// The 4-character magic (IA5String) that opens an Image4 SEQUENCE at off, or "".
std::string magic_at(const ByteReader& r, uint64_t off) {
  auto s = read_der_header(r, off);
  if (!s || s->tag != kDerIa5String || s->length != 4) return "";
  auto m = r.fixed_string(off + s->header_length, 4);
  return m ? std::string(*m) : "";
}

}  // namespace

Result<Image4> parse_image4(const ByteReader& r) {
  auto outer = read_der_header(r, 0);
  if (!outer) return fail(ErrorCode::kTruncated, "Image4", outer.error().rule, r.base());
  if (outer->tag != kDerSequence)
    return fail(ErrorCode::kMalformed, "Image4",
                fmt::format("expected a DER SEQUENCE (tag 0x30), found tag {:#04x}", outer->tag), r.base());
  const std::string magic = magic_at(r, outer->header_length);
  Image4 img;
  if (magic == "IM4P") {
    UPSCOPE_TRY(img.im4p, parse_im4p(r));
    img.container = "im4p";
    img.im4p_offset = r.base();
    img.im4p_length = outer->header_length + outer->length;
    return img;
  }
  if (magic != "IMG4")
    return fail(ErrorCode::kMalformed, "Image4 magic", "the first element is not the IA5String \"IMG4\" or \"IM4P\"",
                r.base() + outer->header_length);
  if (outer->length > r.size() - std::min(r.size(), outer->header_length))
    return fail(ErrorCode::kTruncated, "IMG4",
                fmt::format("the SEQUENCE declares {:#x} content bytes but only {:#x} follow its header", outer->length,
                            r.size() - std::min(r.size(), outer->header_length)),
                r.base());
  img.container = "img4";
  const uint64_t end = outer->header_length + outer->length;
  UPSCOPE_TRY(DerHeader m, read_der_header(r, outer->header_length));
  uint64_t off = outer->header_length + m.header_length + m.length;  // past the IA5String "IMG4"
  if (off >= end) return fail(ErrorCode::kTruncated, "IMG4 payload", "missing: the SEQUENCE ends before it", r.base() + off);
  UPSCOPE_TRY(DerHeader p, element_in(r, off, end, "IMG4 payload"));
  if (p.tag != kDerSequence || magic_at(r, off + p.header_length) != "IM4P")
    return fail(ErrorCode::kMalformed, "IMG4 payload", "the element after \"IMG4\" is not an IM4P SEQUENCE", r.base() + off);
  UPSCOPE_TRY(ByteReader im4p_bytes, r.sub(off, p.header_length + p.length, "IM4P"));
  UPSCOPE_TRY(img.im4p, parse_im4p(im4p_bytes));
  img.im4p_offset = r.base() + off;
  img.im4p_length = p.header_length + p.length;
  off += p.header_length + p.length;
  // Optional context-tagged members: [0] the manifest, [1] the restore info.
  for (int n = 0; off < end && n < 4; ++n) {
    UPSCOPE_TRY(DerHeader e, element_in(r, off, end, "IMG4 member"));
    const uint64_t content = off + e.header_length;
    if (e.tag == kManifestTag) {
      UPSCOPE_TRY(DerHeader im4m, element_in(r, content, content + e.length, "IMG4 manifest"));
      if (im4m.tag != kDerSequence || magic_at(r, content + im4m.header_length) != "IM4M")
        return fail(ErrorCode::kMalformed, "IMG4 manifest", "[0] does not hold an IM4M SEQUENCE", r.base() + content);
      img.manifest_offset = r.base() + content;
      img.manifest_length = im4m.header_length + im4m.length;
    } else if (e.tag == kRestoreInfoTag) {
      img.has_restore_info = true;
    }
    off = content + e.length;
  }
  return img;
}

}  // namespace upscope::img4
