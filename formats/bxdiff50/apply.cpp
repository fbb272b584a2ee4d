// Applying a BXDIFF50 (or BXDIFF4x) patch with bounded memory: the control triples in memory,
// the diff and extra sections decoded a chunk at a time (ahead on the pool), the old file mapped,
// the output written and hashed as it is produced (docs/formats/ota.md §5.1).
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "bxdiff50/bxdiff50.hpp"
#include "inspect/hash.hpp"
#include "inspect/progress.hpp"
#include "inspect/text.hpp"

namespace upscope::bxdiff50 {
namespace {

constexpr size_t kBuf = 1 << 20;

class OutFile {
 public:
  explicit OutFile(std::string path) : path_(std::move(path)), hasher_(HashKind::kSha1) {}
  ~OutFile() {
    if (f_) std::fclose(f_);
  }
  Status open() {
    f_ = std::fopen(path_.c_str(), "wb");
    if (!f_) return fail(make_error(ErrorCode::kIo, "output", "cannot open for writing").in_file(path_));
    return {};
  }
  Status write(Bytes b) {
    hasher_.update(b);
    if (std::fwrite(b.data(), 1, b.size(), f_) != b.size())
      return fail(make_error(ErrorCode::kIo, "output", "write failed (disk full?)").in_file(path_));
    written_ += b.size();
    return {};
  }
  Status close() {
    int rc = std::fclose(f_);
    f_ = nullptr;
    if (rc != 0) return fail(make_error(ErrorCode::kIo, "output", "close failed").in_file(path_));
    return {};
  }
  std::string digest() { return hasher_.hex_digest(); }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  Hasher hasher_;
  uint64_t written_ = 0;
};

Error section_error(const Error& e, const Section& s, const std::string& patch_name) {
  Error x = e.shifted(s.offset);
  x.structure = s.name + " section" + (x.structure.empty() ? "" : ": " + x.structure);
  return x.in_file(patch_name);
}

}  // namespace

Result<ApplyReport> apply(const Source& patch, const Source& old, const std::string& out_path, const ApplyOptions& opt) {
  ParseOptions po;
  po.old_size = old.size();
  po.decode_data = false;  // lengths are checked while applying
  po.pool = opt.pool;
  UPSCOPE_TRY(Patch p, parse(patch, po));
  ApplyReport rep;
  rep.triples = p.triples.size();
  if (p.header.input_sha1) {
    UPSCOPE_TRY(rep.input_sha1, hash_source(HashKind::kSha1, old));
    std::string want = to_hex(*p.header.input_sha1);
    if (opt.check_input && rep.input_sha1 != want)
      return fail(make_error(ErrorCode::kMalformed, "input check",
                             fmt::format("SHA-1 is {}, but the patch expects {}", rep.input_sha1, want))
                      .in_file(old.name()));
  }

  // After the input check, so a wrong base file is named as such rather than as bad ranges.
  for (const auto& dg : p.diagnostics.items())
    if (dg.severity == Severity::kError)
      return fail(make_error(ErrorCode::kMalformed, "patch", "not applied: " + dg.text()).in_file(patch.name()));

  auto mapped = patch.contiguous();
  std::vector<uint8_t> patch_copy;
  if (!mapped) {
    UPSCOPE_TRY(patch_copy, patch.read_vector(0, patch.size()));
    mapped = Bytes(patch_copy);
  }
  pbzx::StreamLimits lim;
  lim.max_output = p.header.patched_size;
  const Section& ds = p.sections[1];
  const Section& es = p.sections[2];
  auto diff_r = pbzx::open(mapped->subspan(ds.offset, ds.size), ds.layout, opt.pool, lim);
  if (!diff_r) return fail(section_error(diff_r.error(), ds, patch.name()));
  auto extra_r = pbzx::open(mapped->subspan(es.offset, es.size), es.layout, opt.pool, lim);
  if (!extra_r) return fail(section_error(extra_r.error(), es, patch.name()));
  auto& diff = **diff_r;
  auto& extra = **extra_r;

  auto old_bytes = old.contiguous();
  std::vector<uint8_t> old_buf;
  std::string partial = out_path + ".partial";
  OutFile out(partial);
  UPSCOPE_CHECK(out.open());
  auto cleanup = [&](Error e) {
    std::error_code ec;
    std::filesystem::remove(partial, ec);
    return fail(std::move(e));
  };

  std::vector<uint8_t> buf(kBuf);
  Progress progress("apply", p.header.patched_size);
  // The old file and the patch are mapped: every page read stays resident in this process until
  // dropped, so RSS would grow to the size of both. Every kReleaseEvery output bytes, drop the old
  // range the mix runs have read since the last time and the patch pages the decoders have read
  // (the page cache keeps them; a page still in use is simply faulted back in). Memory is then the
  // decode window of the two sections plus about kReleaseEvery of mapped pages, at any file size.
  constexpr uint64_t kReleaseEvery = uint64_t{32} << 20;
  uint64_t since_release = 0, old_lo = UINT64_MAX, old_hi = 0;
  auto release_behind = [&](uint64_t n) {
    since_release += n;
    if (since_release < kReleaseEvery) return;
    since_release = 0;
    if (old_lo < old_hi) old.release(old_lo, old_hi - old_lo);
    old_lo = UINT64_MAX;
    old_hi = 0;
    patch.release(0, patch.size());
  };
  for (const Triple& t : p.triples) {
    uint64_t left = uint64_t(t.mix), old_pos = uint64_t(t.old_offset);  // checked by parse
    while (left) {
      size_t n = size_t(std::min<uint64_t>(left, kBuf));
      auto got = diff.read({buf.data(), n});
      if (!got) return cleanup(section_error(got.error(), ds, patch.name()));
      if (*got != n)
        return cleanup(make_error(ErrorCode::kTruncated, "diff section",
                                  fmt::format("ends after {} bytes, but the mix lengths need {}", diff.produced(), p.mix_total),
                                  ds.offset).in_file(patch.name()));
      const uint8_t* o;
      if (old_bytes) {
        o = old_bytes->data() + old_pos;
      } else {
        old_buf.resize(n);
        UPSCOPE_CHECK(old.read_at(old_pos, old_buf));
        o = old_buf.data();
      }
      uint8_t* b = buf.data();
      for (size_t k = 0; k < n; ++k) b[k] = static_cast<uint8_t>(b[k] + o[k]);
      if (auto st = out.write({buf.data(), n}); !st) return cleanup(st.error());
      old_lo = std::min(old_lo, old_pos);
      old_hi = std::max(old_hi, old_pos + n);
      old_pos += n;
      left -= n;
      progress.advance(n);
      release_behind(n);
    }
    left = uint64_t(t.copy);
    while (left) {
      size_t n = size_t(std::min<uint64_t>(left, kBuf));
      auto got = extra.read({buf.data(), n});
      if (!got) return cleanup(section_error(got.error(), es, patch.name()));
      if (*got != n)
        return cleanup(make_error(ErrorCode::kTruncated, "extra section",
                                  fmt::format("ends after {} bytes, but the copy lengths need {}", extra.produced(), p.copy_total),
                                  es.offset).in_file(patch.name()));
      if (auto st = out.write({buf.data(), n}); !st) return cleanup(st.error());
      left -= n;
      progress.advance(n);
      release_behind(n);
    }
  }
  progress.finish();
  // Leftover decoded bytes mean the sections and the triples disagree.
  uint8_t probe_byte;
  auto more = diff.read({&probe_byte, 1});
  if (!more) return cleanup(section_error(more.error(), ds, patch.name()));
  if (*more)
    return cleanup(make_error(ErrorCode::kMalformed, "diff section",
                              fmt::format("has bytes beyond the {} the mix lengths use", p.mix_total), ds.offset)
                       .in_file(patch.name()));
  more = extra.read({&probe_byte, 1});
  if (!more) return cleanup(section_error(more.error(), es, patch.name()));
  if (*more)
    return cleanup(make_error(ErrorCode::kMalformed, "extra section",
                              fmt::format("has bytes beyond the {} the copy lengths use", p.copy_total), es.offset)
                       .in_file(patch.name()));
  if (auto st = out.close(); !st) return cleanup(st.error());
  rep.output_size = p.header.patched_size;
  rep.output_sha1 = out.digest();
  if (p.header.output_sha1) {
    std::string want = to_hex(*p.header.output_sha1);
    if (rep.output_sha1 != want)
      return cleanup(make_error(ErrorCode::kMalformed, "output check",
                                fmt::format("SHA-1 is {}, but the patch expects {}", rep.output_sha1, want))
                         .in_file(out_path));
  }
  std::error_code ec;
  std::filesystem::rename(partial, out_path, ec);
  if (ec) return cleanup(make_error(ErrorCode::kIo, "output", "cannot rename " + partial + ": " + ec.message()).in_file(out_path));
  return rep;
}

}  // namespace upscope::bxdiff50
