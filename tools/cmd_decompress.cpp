// upscope decompress FILE -o OUT: decodes a compressed stream of any kind `identify` names (pbz*
// chunked streams in parallel, LZFSE, complzss LZSS kernelcaches, LZBITMAP, xz, gzip, bzip2, zstd,
// LZ4 frames, and the compressed payload of an IM4P), streaming to OUT with a progress bar.
//
// Decompression-bomb guard: --max-size (default 64 GiB) caps the bytes written. Formats whose
// header states the decoded size (pbz*, LZSS, LZFSE, LZBITMAP) are refused before anything is written;
// streams (xz, gzip, ...) stop when they reach it. There is deliberately no ratio cap: sparse disk
// images legitimately decode at over 1000:1.
#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <CLI/CLI.hpp>

#include "aea_input.hpp"
#include "cli.hpp"
#include "compress/codec.hpp"
#include "compress/complzss.hpp"
#include "compress/lzbitmap.hpp"
#include "compress/lzfse_blocks.hpp"
#include "compress/stream_decode.hpp"
#include "identify/identify.hpp"
#include "img4/im4p.hpp"
#include "inspect/limits.hpp"
#include "inspect/progress.hpp"
#include "inspect/source.hpp"
#include "inspect/text.hpp"
#include "pbzx/pbzx.hpp"

namespace upscope::cli {
namespace {


struct DecompressOptions {
  std::string input;
  std::string max_size = "64G";
  bool keep_partial = false;
};

// The output file: a large stdio buffer, removed on failure unless --keep-partial.
class OutFile {
 public:
  static Result<std::unique_ptr<OutFile>> open(const std::string& path) {
    std::unique_ptr<OutFile> f(new OutFile(path));
    f->fp_ = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
    if (!f->fp_) return fail(ErrorCode::kIo, path, "cannot open for writing");
    std::setvbuf(f->fp_, nullptr, _IOFBF, size_t{1} << 20);
    return f;
  }
  ~OutFile() {
    if (fp_ && fp_ != stdout) std::fclose(fp_);
  }
  Status write(Bytes b) {
    if (!b.empty() && std::fwrite(b.data(), 1, b.size(), fp_) != b.size())
      return fail(ErrorCode::kIo, path_, "write failed (disk full?)");
    return {};
  }
  Status close() {
    FILE* fp = fp_;
    fp_ = nullptr;
    if (fp == stdout) return std::fflush(fp) == 0 ? Status{} : Status(fail(ErrorCode::kIo, path_, "write failed"));
    if (std::fclose(fp) != 0) return fail(ErrorCode::kIo, path_, "write failed (disk full?)");
    return {};
  }
  void discard() {
    if (fp_ && fp_ != stdout) std::fclose(fp_);
    if (fp_ != stdout && path_ != "-") std::filesystem::remove(path_);
    fp_ = nullptr;
  }

 private:
  explicit OutFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
  FILE* fp_ = nullptr;
};

struct Job {
  const Context& ctx;
  std::string name;   // the input, for messages
  uint64_t max_output;
  OutFile& out;
  std::string summary;  // "pbzx: 12 chunks (xz), 200.0 MiB"
};

Result<uint64_t> run_pbz(Job& job, const ByteReader& r) {
  Diagnostics diags;
  UPSCOPE_TRY(pbzx::Stream s, pbzx::parse(r, diags));
  if (s.framing_error) return fail(*s.framing_error);
  Progress bar("decompress", s.decoded_size);
  UPSCOPE_TRY(uint64_t n, pbzx::decode(r, s, job.ctx.global.jobs, job.max_output, [&](Bytes b) -> Status {
                UPSCOPE_CHECK(job.out.write(b));
                bar.advance(b.size());
                return {};
              }));
  bar.finish();
  job.summary = fmt::format("{} stream, {} chunks ({}), block size {:#x}", s.magic, s.chunks.size(), s.codec_name, s.block_size);
  return n;
}

Result<uint64_t> run_lzss(Job& job, const ByteReader& r) {
  UPSCOPE_TRY(compress::ComplzssPayload p, compress::decode_complzss(r, job.max_output));
  if (!p.adler_ok())
    return fail(ErrorCode::kMalformed, "complzss header", fmt::format("Adler-32 of the decoded data is {:#010x}, header says {:#010x}",
                                                                      p.computed_adler32, p.header.adler32), r.base() + 8);
  UPSCOPE_CHECK(job.out.write(p.data));
  job.summary = fmt::format("complzss LZSS, Adler-32 {:#010x} verified", p.header.adler32);
  if (p.header.trailing_bytes)
    job.summary += fmt::format(", {} bytes after the LZSS body not decoded", p.header.trailing_bytes);
  return p.data.size();
}

Result<uint64_t> run_lzfse(Job& job, const ByteReader& r) {
  UPSCOPE_TRY(compress::LzfseLayout layout, compress::lzfse_block_layout(r));
  if (layout.decoded_size > job.max_output)
    return fail(ErrorCode::kLimit, "LZFSE stream",
                fmt::format("decoded size {} exceeds the limit of {} bytes (decompression bomb guard)", layout.decoded_size,
                            job.max_output),
                r.base());
  UPSCOPE_CHECK(check_memory(layout.decoded_size, "LZFSE stream", r.base()));
  auto size = to_size(layout.decoded_size);
  if (!size) return fail(ErrorCode::kLimit, "LZFSE stream", "decoded size does not fit in memory", r.base());
  std::vector<uint8_t> buf(*size);
  UPSCOPE_TRY(Bytes in, r.bytes(0, layout.end_offset));
  auto n = compress::lzfse_decode(in, buf);
  if (!n) return fail(n.error().shifted(r.base()));
  if (*n != layout.decoded_size)
    return fail(ErrorCode::kMalformed, "LZFSE stream",
                fmt::format("decoded to {} bytes, block headers say {}", *n, layout.decoded_size), r.base());
  UPSCOPE_CHECK(job.out.write(buf));
  job.summary = fmt::format("LZFSE stream, {} blocks", layout.blocks.size());
  if (layout.end_offset < r.size())
    job.summary += fmt::format(", {} bytes after bvx$ ignored", r.size() - layout.end_offset);
  return *n;
}

// A raw ZBM stream: the chunk headers give the exact decoded size, checked before anything is
// allocated or written (docs/formats/lzbitmap.md §2).
Result<uint64_t> run_lzbitmap(Job& job, const ByteReader& r) {
  UPSCOPE_TRY(compress::LzbitmapLayout layout, compress::lzbitmap_layout(r));
  if (layout.decoded_size > job.max_output)
    return fail(ErrorCode::kLimit, "LZBITMAP stream",
                fmt::format("decoded size {} exceeds the limit of {} bytes (decompression bomb guard)", layout.decoded_size,
                            job.max_output),
                r.base());
  UPSCOPE_CHECK(check_memory(layout.decoded_size, "LZBITMAP stream", r.base()));
  auto size = to_size(layout.decoded_size);
  if (!size) return fail(ErrorCode::kLimit, "LZBITMAP stream", "decoded size does not fit in memory", r.base());
  std::vector<uint8_t> buf(*size);
  UPSCOPE_TRY(Bytes in, r.bytes(0, layout.end_offset));
  auto n = compress::lzbitmap_decode(in, buf);
  if (!n) return fail(n.error().shifted(r.base()));
  UPSCOPE_CHECK(job.out.write(Bytes(buf.data(), *n)));
  job.summary = fmt::format("LZBITMAP stream, {} chunks", layout.chunks.size());
  if (layout.end_offset < r.size())
    job.summary += fmt::format(", {} bytes after the end-of-stream chunk ignored", r.size() - layout.end_offset);
  return *n;
}

Result<uint64_t> run_stream(Job& job, compress::StreamKind kind, const ByteReader& r) {
  Progress bar("decompress", r.size());
  UPSCOPE_TRY(uint64_t n, compress::stream_decode(
                              kind, r.data(), job.max_output, [&](Bytes b) { return job.out.write(b); },
                              [&](const compress::StreamProgress& p) { bar.set(p.consumed); }));
  bar.finish();
  job.summary = fmt::format("{} stream", compress::stream_kind_name(kind));
  return n;
}

Result<uint64_t> dispatch(Job& job, const std::string& format, const ByteReader& r, bool nested = false) {
  if (format.size() == 4 && format.rfind("pbz", 0) == 0) return run_pbz(job, r);
  if (format == "lzss") return run_lzss(job, r);
  if (format == "lzfse") return run_lzfse(job, r);
  if (format == "lzbitmap") return run_lzbitmap(job, r);
  if (auto kind = compress::stream_kind_from_format(format)) return run_stream(job, *kind, r);
  if (format == "im4p" && !nested) {
    UPSCOPE_TRY(img4::Im4p im4p, img4::parse_im4p(r));
    if (im4p.has_keybag)
      return fail(ErrorCode::kUnsupported, "IM4P payload",
                  "the payload is encrypted (the IM4P has a keybag); nothing to decompress", im4p.payload.base());
    const std::string inner = im4p.payload_kind();
    if (inner != "lzss" && inner != "lzfse")
      return fail(ErrorCode::kUnsupported, "IM4P payload",
                  "the payload is not LZSS or LZFSE compressed (stored as it is); nothing to decompress",
                  im4p.payload.base());
    UPSCOPE_TRY(uint64_t n, dispatch(job, inner, im4p.payload, true));
    job.summary = "IM4P payload: " + job.summary;
    return n;
  }
  return fail(ErrorCode::kUnsupported, "input",
              fmt::format("format '{}' is not a compressed stream upscope decompress handles "
                          "(pbzx, pbze, pbz4, pbzz, pbzb, lzfse, lzss, lzbitmap, xz, gzip, bzip2, zstd, lz4, im4p)",
                          format));
}

int run(Context& ctx, const DecompressOptions& opt) {
  auto fail_with = [&](const Error& e) {
    print_error(e.in_file(opt.input));
    return kExitError;
  };
  const std::string& out_path = ctx.global.output;
  if (out_path.empty()) {
    std::cerr << "upscope decompress: no output: give -o OUT (or -o - for stdout)\n";
    return kExitError;
  }
  // The same size syntax as --max-memory (inspect/limits.hpp).
  auto max = parse_byte_size(opt.max_size);
  if (!max || *max == 0) {
    std::cerr << fmt::format("upscope decompress: --max-size '{}' is not a size such as 64G, 512m, 1.5G or 1000\n",
                             opt.max_size);
    return kExitError;
  }
  if (output_is_input("decompress", out_path, opt.input)) return kExitError;
  auto src = FileSource::open(opt.input);
  if (!src) return fail_with(src.error());
  auto id = identify(**src);
  if (!id) return fail_with(id.error());
  auto bytes = (*src)->contiguous();
  if (!bytes) return fail_with(make_error(ErrorCode::kIo, "input", "cannot map the file"));
  if (auto* fs = dynamic_cast<const FileSource*>(src->get())) fs->file().advise_sequential();

  auto out = OutFile::open(out_path);
  if (!out) {
    print_error(out.error());
    return kExitError;
  }
  Job job{ctx, opt.input, *max, **out, {}};
  auto n = id->format == "aea"
               ? write_aea_plaintext(ctx, *src, opt.input, *max, [&](Bytes b) { return (*out)->write(b); }, job.summary)
               : dispatch(job, id->format, ByteReader(*bytes));
  Status closed = n ? (*out)->close() : Status{};
  if (!n || !closed) {
    if (!opt.keep_partial) (*out)->discard();
    return fail_with(n ? closed.error() : n.error());
  }
  if (!ctx.global.quiet)
    std::cerr << fmt::format("{}: {}: wrote {} bytes ({}) to {}\n", opt.input, job.summary, *n, human_size(*n), out_path);
  return kExitOk;
}

const CommandRegistrar registered_cmd_decompress("decompress", 60, [](CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<DecompressOptions>();
  auto* sub = app.add_subcommand("decompress", "Decompress a pbzx/pbz*, LZFSE, LZSS, LZBITMAP, xz, gzip, bzip2, zstd, LZ4 or IM4P stream, or an AEA's plaintext, to -o OUT");
  sub->add_option("input", opt->input, "Compressed file (its kind is detected from its content)")->required();
  sub->add_option("--max-size", opt->max_size,
                  "Refuse to write more than this (decompression-bomb guard; K/M/G/T suffixes, as --max-memory)")
      ->default_str("64G");
  sub->add_flag("--keep-partial", opt->keep_partial, "Keep the partly written output when decoding fails");
  sub->footer("pbz* chunks decode on -j threads. Exit codes: 0 written; 2 error (nothing kept unless --keep-partial).");
  sub->callback([&ctx, opt] { ctx.exit_code = run(ctx, *opt); });
});

}  // namespace
}  // namespace upscope::cli
