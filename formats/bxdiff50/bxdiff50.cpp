// BXDIFF50 / BXDIFF4x reader: header, sections, control triples and their invariants (docs/formats/ota.md §5).
#include "bxdiff50/bxdiff50.hpp"

#include <cstring>

#include <fmt/format.h>

#include "bxdiff50/structs.hpp"
#include "inspect/byte_reader.hpp"
#include "inspect/text.hpp"

namespace upscope::bxdiff50 {
namespace {

Result<Header> read_header(ByteReader r, uint64_t file_size) {
  Header h;
  auto magic = r.fixed_string(0, 8);
  if (!magic) return fail(ErrorCode::kTruncated, "BXDIFF header", fmt::format("needs 8 bytes of magic, the file has {}", file_size), 0);
  h.magic = std::string(*magic);
  if (h.magic == "BXDIFF50") {
    if (file_size < kHeader50Size)
      return fail(ErrorCode::kTruncated, "BXDIFF50 header", fmt::format("needs 88 bytes, the file has {}", file_size), 0);
    UPSCOPE_TRY(auto raw, r.read<RawHeader50>(0));
    h.header_size = kHeader50Size;
    h.version = raw.version;
    h.patched_size = raw.patched_size;
    h.control_size = raw.control_size;
    h.diff_size = raw.diff_size;
    h.extra_size = raw.extra_size;
    std::array<uint8_t, 20> a{};
    std::memcpy(a.data(), raw.result_sha1, 20);
    h.output_sha1 = a;
    std::memcpy(a.data(), raw.target_sha1, 20);
    h.input_sha1 = a;
    return h;
  }
  if (h.magic == "BXDIFF40" || h.magic == "BXDIFF41") {
    uint64_t need = h.magic == "BXDIFF41" ? kHeader4xSize + kSha1Size : kHeader4xSize;
    if (file_size < need)
      return fail(ErrorCode::kTruncated, h.magic + " header", fmt::format("needs {} bytes, the file has {}", need, file_size), 0);
    UPSCOPE_TRY(auto raw, r.read<RawHeader4x>(0));
    h.header_size = need;
    h.patched_size = raw.patched_size;
    h.control_size = raw.control_size;
    h.diff_size = raw.diff_size;
    if (h.magic == "BXDIFF41") {
      std::array<uint8_t, 20> a{};
      UPSCOPE_TRY(Bytes sha, r.bytes(kHeader4xSize, 20));
      std::memcpy(a.data(), sha.data(), 20);
      h.input_sha1 = a;
    }
    return h;
  }
  return fail(ErrorCode::kMalformed, "BXDIFF header", fmt::format("magic {} is not BXDIFF50, BXDIFF41 or BXDIFF40", printable(r.data().first(8))), 0);
}

// Merges adjacent output ranges; stops listing (not counting) past kMaxRanges.
void add_touched(Patch& p, uint64_t b, uint64_t e) {
  if (b == e) return;
  p.touched_bytes += e - b;
  if (!p.touched.empty() && p.touched.back().end == b) {
    p.touched.back().end = e;
    return;
  }
  if (p.touched.size() >= kMaxRanges) { p.touched_truncated = true; return; }
  p.touched.push_back({b, e});
}

std::string section_structure(const Section& s) { return s.name + " section"; }

// Walks the triples: records each one's output and old-file range and checks the rules of docs/formats/ota.md §5.1.
void check_triples(Patch& p, const ParseOptions& opt) {
  auto& d = p.diagnostics;
  uint64_t out = 0;
  int64_t old = 0;
  const uint64_t ctrl_off = p.sections[0].offset;
  for (size_t i = 0; i < p.triples.size(); ++i) {
    Triple& t = p.triples[i];
    t.out_offset = out;
    t.old_offset = old;
    std::string where = fmt::format("control triple {}", i);
    if (t.mix < 0) { d.error(ctrl_off, where, fmt::format("negative mix length {}", t.mix)); return; }
    if (t.copy < 0) { d.error(ctrl_off, where, fmt::format("negative copy length {}", t.copy)); return; }
    auto end = checked_add(out, uint64_t(t.mix));
    if (end) end = checked_add(*end, uint64_t(t.copy));
    if (!end || *end > p.header.patched_size) {
      d.error(ctrl_off, where, fmt::format("output range [{}, {}) runs past patched_size {}", out,
                                           end ? std::to_string(*end) : std::string("overflow"), p.header.patched_size));
      return;
    }
    if (t.mix > 0) {
      if (old < 0) {
        d.error(ctrl_off, where, fmt::format("mix run reads the old file at negative offset {}", old));
        return;
      }
      if (opt.old_size && (uint64_t(old) > *opt.old_size || uint64_t(t.mix) > *opt.old_size - uint64_t(old))) {
        d.error(ctrl_off, where, fmt::format("mix run reads old-file range [{}, {}), past the old size {}", old,
                                             uint64_t(old) + uint64_t(t.mix), *opt.old_size));
        return;
      }
    }
    int64_t next;
    if (__builtin_add_overflow(old, t.mix, &next) || __builtin_add_overflow(next, t.seek, &next)) {
      d.error(ctrl_off, where, "old-file cursor overflows");
      return;
    }
    if (opt.old_size && (next < 0 || uint64_t(next) > *opt.old_size)) {
      d.error(ctrl_off, where, fmt::format("seek {} moves the old-file cursor to {}, outside the old file ({} bytes)",
                                           t.seek, next, *opt.old_size));
      return;
    }
    old = next;
    out = *end;
    p.mix_total += uint64_t(t.mix);
    p.copy_total += uint64_t(t.copy);
  }
  if (out != p.header.patched_size)
    d.error(ctrl_off, "control section",
            fmt::format("triples produce {} bytes, but patched_size is {}", out, p.header.patched_size));
}

bool nonzero_word(const uint8_t* b) {
  uint64_t w;
  std::memcpy(&w, b, 8);
  return w != 0;
}

// Streams the diff section along the mix runs (touched ranges, decoded length) and counts the
// extra section; both are checked against the triples' totals.
void decode_data(Patch& p, Bytes file, const ParseOptions& opt, bool triples_ok) {
  auto& d = p.diagnostics;
  Section& diff = p.sections[1];
  Section& extra = p.sections[2];
  pbzx::StreamLimits lim;
  lim.max_output = p.header.patched_size;
  std::vector<uint8_t> buf(1 << 20);

  auto open = [&](Section& s) -> std::unique_ptr<pbzx::DecodedStream> {
    auto st = pbzx::open(file.subspan(s.offset, s.size), s.layout, opt.pool, lim);
    if (!st) { d.add(st.error().shifted(s.offset)); return nullptr; }
    return std::move(st).value();
  };
  auto report = [&](const Error& e, Section& s) {
    Error x = e.shifted(s.offset);
    x.structure = section_structure(s) + (x.structure.empty() ? "" : ": " + x.structure);
    d.add(x);
  };

  if (auto ds = open(diff)) {
    bool ok = true;
    if (triples_ok) {
      p.touched_known = true;
      for (const Triple& t : p.triples) {
        uint64_t left = uint64_t(t.mix), pos = t.out_offset;
        while (ok && left) {
          auto n = ds->read({buf.data(), size_t(std::min<uint64_t>(left, buf.size()))});
          if (!n) { report(n.error(), diff); ok = false; break; }
          if (*n == 0) break;
          size_t k = 0;
          while (k < *n) {
            if (k + 8 <= *n && !nonzero_word(&buf[k])) { k += 8; continue; }
            if (buf[k] == 0) { ++k; continue; }
            size_t b = k;
            while (k < *n && buf[k] != 0) ++k;
            add_touched(p, pos + b, pos + k);
          }
          pos += *n;
          left -= *n;
        }
        add_touched(p, t.out_offset + uint64_t(t.mix), t.out_offset + uint64_t(t.mix) + uint64_t(t.copy));
        if (!ok) break;
      }
    }
    while (ok) {  // the rest (or all, when the triples were unusable): count only
      auto n = ds->read(buf);
      if (!n) { report(n.error(), diff); ok = false; break; }
      if (*n == 0) break;
    }
    if (ok) {
      diff.decoded_size = ds->produced();
      if (triples_ok && ds->produced() != p.mix_total)
        d.error(diff.offset, "diff section",
                fmt::format("decodes to {} bytes, but the mix lengths add up to {}", ds->produced(), p.mix_total));
    } else {
      p.touched_known = false;
    }
  }
  if (auto es = open(extra)) {
    bool ok = true;
    for (;;) {
      auto n = es->read(buf);
      if (!n) { report(n.error(), extra); ok = false; break; }
      if (*n == 0) break;
    }
    if (ok) {
      extra.decoded_size = es->produced();
      if (triples_ok && es->produced() != p.copy_total)
        d.error(extra.offset, "extra section",
                fmt::format("decodes to {} bytes, but the copy lengths add up to {}", es->produced(), p.copy_total));
    }
  }
}

}  // namespace

Result<Patch> parse(const Source& src, const ParseOptions& opt) {
  auto whole = src.contiguous();
  std::vector<uint8_t> scratch;
  if (!whole) {  // not mapped: read it (patches are small next to their outputs)
    UPSCOPE_TRY(scratch, src.read_vector(0, src.size()));
    whole = Bytes(scratch);
  }
  Bytes file = *whole;
  ByteReader r(file, 0, "BXDIFF header");
  Patch p;
  UPSCOPE_TRY(p.header, read_header(r, file.size()));
  const Header& h = p.header;
  auto& d = p.diagnostics;

  // Section extents: BXDIFF50 states all three sizes; BXDIFF4x's extra section is the rest.
  uint64_t ctrl = h.header_size;
  auto diff_off = checked_add(ctrl, h.control_size);
  auto extra_off = diff_off ? checked_add(*diff_off, h.diff_size) : std::nullopt;
  std::optional<uint64_t> end = extra_off && h.extra_size ? checked_add(*extra_off, *h.extra_size) : extra_off;
  if (!end || *end > file.size() || (h.extra_size && *end != file.size())) {
    std::string sum = h.extra_size
        ? fmt::format("header ({}) + control ({}) + diff ({}) + extra ({}) = {} bytes", h.header_size, h.control_size,
                      h.diff_size, *h.extra_size, end ? std::to_string(*end) : std::string("overflow"))
        : fmt::format("header ({}) + control ({}) + diff ({}) = {} bytes", h.header_size, h.control_size, h.diff_size,
                      end ? std::to_string(*end) : std::string("overflow"));
    std::string msg = fmt::format("{}, but the file has {}", sum, file.size());
    if (!end || *end > file.size()) return fail(ErrorCode::kTruncated, "sections", msg, h.header_size);
    d.error(*end, "sections", msg + fmt::format(" ({} trailing bytes)", file.size() - *end));
  }
  uint64_t extra_size = h.extra_size ? *h.extra_size : file.size() - *extra_off;
  p.sections = {{"control", ctrl, h.control_size, {}, {}},
                {"diff", *diff_off, h.diff_size, {}, {}},
                {"extra", *extra_off, extra_size, {}, {}}};

  bool layouts_ok = true;
  for (auto& s : p.sections) {
    auto l = pbzx::describe(file.subspan(s.offset, s.size));
    if (!l) {
      Error e = l.error().shifted(s.offset);
      e.structure = section_structure(s) + ": " + e.structure;
      d.add(e);
      layouts_ok = false;
      s.layout.container = "invalid";
      continue;
    }
    s.layout = std::move(l).value();
    s.decoded_size = s.layout.decoded_size;
    if (h.magic == "BXDIFF50" && s.layout.container != "pbzx" && s.layout.container != "xz" &&
        s.layout.container != "empty")
      d.warning(s.offset, section_structure(s), fmt::format("is a {} stream; BXDIFF50 sections are pbzx or xz", s.layout.container));
  }
  if (!layouts_ok) return p;

  // Control: small; decoded whole (capped) and split into triples.
  Section& cs = p.sections[0];
  pbzx::StreamLimits lim;
  lim.max_output = opt.max_control;
  auto control = pbzx::decode_all(file.subspan(cs.offset, cs.size), cs.layout, opt.pool, lim);
  if (!control) {
    Error e = control.error().shifted(cs.offset);
    e.structure = "control section" + (e.structure.empty() ? "" : ": " + e.structure);
    d.add(e);
    return p;
  }
  cs.decoded_size = control->size();
  if (control->size() % kTripleSize)
    d.error(cs.offset, "control section",
            fmt::format("decodes to {} bytes, not a multiple of 24 ({} trailing bytes ignored)", control->size(),
                        control->size() % kTripleSize));
  size_t count = control->size() / kTripleSize;
  p.triples.reserve(count);
  Cursor c(ByteReader(*control, cs.offset, "control section"));  // count whole triples: in range
  for (size_t i = 0; i < count && c.ok(); ++i) {
    Triple t;
    t.mix = decode_offtin(c.u64le());
    t.copy = decode_offtin(c.u64le());
    t.seek = decode_offtin(c.u64le());
    p.triples.push_back(t);
  }
  size_t errors_before = d.count(Severity::kError);
  check_triples(p, opt);
  bool triples_ok = d.count(Severity::kError) == errors_before;
  if (opt.decode_data) decode_data(p, file, opt, triples_ok);
  return p;
}

}  // namespace upscope::bxdiff50
