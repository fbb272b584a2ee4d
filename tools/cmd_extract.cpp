// upscope extract IMAGE -o OUT [--partition N]: writes the decoded disk of a disk image (UDIF,
// .sparseimage, raw) or one partition of it, streaming chunks (bounded memory) with a progress bar.
// A raw disk must look like one (partition map or file system); --raw copies any input as it is.
// IMAGE:/path copies a file or directory out of an APFS volume into -o DIR.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "apfs/extract.hpp"
#include "apfs/locate.hpp"
#include "hfs/extract.hpp"
#include "hfs/locate.hpp"
#include "cli.hpp"
#include "extract_dsc.hpp"
#include "identify/identify.hpp"
#include "inspect/progress.hpp"
#include "partition/partition_map.hpp"
#include "udif/chunk_stream.hpp"
#include "udif/disk_image.hpp"
#include "udif/image_source.hpp"

namespace upscope::cli {
namespace {

struct ExtractOptions {
  std::string input;
  bool raw = false;  // --raw: the input is a raw disk, whatever it looks like (a plain copy)
  std::optional<uint32_t> partition;
  std::string volume;
  std::string image;  // --image: a dyld shared cache image (tools/extract_dsc.cpp)
};

// IMAGE:/path: copy a file or directory tree out of an APFS (or else HFS+) volume into the directory -o DIR.
int run_volume_extract(Context& ctx, const ExtractOptions& opt, const std::string& image, const std::string& path) {
  const std::string& out_dir = ctx.global.output;
  if (out_dir.empty() || out_dir == "-") {
    std::cerr << "upscope extract: IMAGE:/path needs an output directory: -o DIR\n";
    return kExitError;
  }
  Diagnostics diags;
  auto vol = apfs::open_single_volume(image, opt.volume, &diags);
  Result<apfs::ExtractStats> stats = fail(ErrorCode::kNotFound, image, "no volume");
  if (!vol && read_as_hfs(vol.error(), opt.volume)) {
    // No APFS container: an HFS+ volume (same statistics, same guarantees about out_dir).
    auto hv = hfs::open_image(image, &diags);
    if (!hv) {
      print_error(hv.error().in_file(image));
      return kExitError;
    }
    auto hs = hfs::extract_tree(*hv->volume, path, out_dir, diags, ctx.global.overwrite);
    if (hs) stats = apfs::ExtractStats{hs->files, hs->directories, hs->symlinks, hs->bytes, hs->skipped};
    else stats = fail(hs.error());
  } else if (!vol) {
    print_error(vol.error());
    return kExitError;
  } else {
    stats = apfs::extract_tree(**vol, path, out_dir, diags, ctx.global.overwrite);
  }
  bool strict_fail = print_diagnostics(ctx, opt.input, diags);
  if (!stats) {
    print_error(stats.error().in_file(image));
    return kExitError;
  }
  if (!ctx.global.quiet)
    std::cerr << fmt::format("{}: extracted {} files, {} directories, {} symlinks ({} bytes) to {}{}\n", opt.input,
                             stats->files, stats->directories, stats->symlinks, stats->bytes, out_dir,
                             stats->skipped ? fmt::format(", {} skipped", stats->skipped) : "");
  return strict_fail || stats->skipped || diags.has_errors() ? kExitError : kExitOk;
}

// An input without a UDIF trailer or sparse header is only taken as a raw disk when it starts like
// one (a partition map or a file system) whose partitions lie inside it; anything else, a dmg cut
// short before its koly trailer above all, would be copied unchanged as if it were the decoded disk.
std::optional<Error> not_a_raw_disk(const SourcePtr& file) {
  auto refuse = [](std::string rule) { return make_error(ErrorCode::kMalformed, "disk image", std::move(rule)); };
  constexpr const char* kHint = " (--raw copies the input as it is)";
  auto id = identify(*file);
  if (!id) return id.error();
  std::string family;
  for (const auto& f : known_formats())
    if (id->format == f.id) family = f.family;
  if (family != "filesystem" && family != "partition-map") {
    if (id->format == "unknown")
      return refuse(std::string("no UDIF trailer (koly), sparse image header, partition map or file system: "
                                "truncated or not a disk image") + kHint);
    return refuse(fmt::format("no UDIF trailer (koly): the input is a {} ({}), not a disk image{}", id->format,
                              id->description, kHint));
  }
  if (family == "partition-map") {
    Diagnostics found;
    auto map = partition::read_partition_map(file, &found);
    if (!map) return map.error();
    for (const auto& p : map->partitions)
      if (p.offset > file->size() || p.length > file->size() - p.offset)
        return refuse(fmt::format("no UDIF trailer (koly), and partition {} (bytes {}+{}) runs past the end of the "
                                  "input ({} bytes): a truncated disk or disk image{}",
                                  p.index, p.offset, p.length, file->size(), kHint));
    // The map reader leaves out an entry that runs past the end, with an error saying so.
    for (const auto& d : found.items())
      if (d.severity == Severity::kError)
        return refuse(fmt::format("no UDIF trailer (koly), and the partition map does not fit the input ({} bytes): "
                                  "{}: a truncated disk or disk image{}",
                                  file->size(), d.text(), kHint));
  }
  return std::nullopt;
}

// Writes pieces to a file descriptor; runs of the shared zero block become holes (sparse output).
class Writer {
 public:
  explicit Writer(int fd, bool seekable) : fd_(fd), seekable_(seekable) {}
  bool put(Bytes piece) {
    if (seekable_ && piece.data() == udif::zero_block().data()) {
      pos_ += piece.size();
      hole_ = true;
      return true;
    }
    if (hole_ && lseek(fd_, static_cast<off_t>(pos_), SEEK_SET) < 0) return fail_errno();
    hole_ = false;
    for (size_t done = 0; done < piece.size();) {
      ssize_t n = ::write(fd_, piece.data() + done, piece.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail_errno();
      done += static_cast<size_t>(n);
    }
    pos_ += piece.size();
    return true;
  }
  bool finish() {
    if (seekable_ && ftruncate(fd_, static_cast<off_t>(pos_)) != 0) return fail_errno();
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  bool fail_errno() {
    error_ = std::strerror(errno);
    return false;
  }
  int fd_;
  bool seekable_;
  uint64_t pos_ = 0;
  bool hole_ = false;
  std::string error_;
};

int run(Context& ctx, const ExtractOptions& opt) {
  if (!opt.image.empty()) return run_dsc_extract(ctx, opt.input, opt.image);
  auto [image, inner] = apfs::split_image_path(opt.input);
  if (!inner.empty()) return run_volume_extract(ctx, opt, image, inner);
  const std::string& out_path = ctx.global.output;
  if (out_path.empty()) {
    std::cerr << "upscope extract: an output is required: -o OUT (or -o - for stdout)\n";
    return kExitError;
  }
  if (output_is_input("extract", out_path, opt.input)) return kExitError;
  auto src = FileSource::open(opt.input);
  if (!src) {
    print_error(src.error());
    return kExitError;
  }
  Diagnostics diags;
  Result<udif::DiskImage> img = udif::DiskImage{udif::ImageKind::kRaw, *src, nullptr, nullptr, *src};
  if (!opt.raw) img = udif::open_disk_image(*src, &diags);
  if (!img) {
    print_error(img.error().in_file(opt.input));
    return kExitError;
  }
  if (!opt.raw && img->kind == udif::ImageKind::kRaw) {
    if (auto refused = not_a_raw_disk(*src)) {
      print_error(refused->in_file(opt.input));
      return kExitError;
    }
  }
  uint64_t off = 0, len = img->disk->size();
  std::string what = "disk";
  if (opt.partition) {
    auto map = partition::read_partition_map(img->disk, &diags);
    if (!map) {
      print_error(map.error());
      return kExitError;
    }
    const partition::Partition* p = map->find(*opt.partition);
    if (!p) {
      std::cerr << fmt::format("upscope: error: {}: no partition {} ({} map with {} partitions)\n", opt.input,
                               *opt.partition, partition::to_string(map->scheme), map->partitions.size());
      return kExitError;
    }
    off = p->offset;
    len = p->length;
    what = fmt::format("partition {}", p->index);
  }
  if (print_diagnostics(ctx, opt.input, diags)) return kExitError;

  const bool to_stdout = out_path == "-";
  int fd = to_stdout ? STDOUT_FILENO : ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::cerr << fmt::format("upscope: error: {}: cannot open for writing: {}\n", out_path, std::strerror(errno));
    return kExitError;
  }
  struct stat sb {};
  const bool regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);  // holes only in regular files
  Writer w(fd, regular);
  Progress progress(fmt::format("extract {}", what), len);
  auto sink = [&](Bytes piece) {
    if (!w.put(piece)) return false;
    progress.advance(piece.size());
    return true;
  };
  Status st;
  if (auto* is = dynamic_cast<const udif::ImageSource*>(img->disk.get())) {
    st = is->stream(off, len, ctx.global.jobs, sink);
  } else {
    std::vector<uint8_t> buf(std::min<uint64_t>(len, 4u << 20));
    for (uint64_t done = 0; done < len && st;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(len - done, buf.size()));
      st = img->disk->read_at(off + done, std::span<uint8_t>(buf.data(), n));
      if (st && !sink(Bytes(buf.data(), n))) break;
      done += n;
    }
  }
  progress.finish();
  bool ok = st && w.error().empty() && w.finish();
  if (!to_stdout) ::close(fd);
  if (!st) {
    print_error(st.error());
    return kExitError;
  }
  if (!ok) {
    std::cerr << fmt::format("upscope: error: {}: write failed: {}\n", out_path, w.error());
    return kExitError;
  }
  if (!ctx.global.quiet && !to_stdout)
    std::cerr << fmt::format("{}: wrote {} ({} bytes) to {}\n", opt.input, what, len, out_path);
  return kExitOk;
}

const CommandRegistrar registered_cmd_extract("extract", 50, [](CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<ExtractOptions>();
  auto* sub = app.add_subcommand(
      "extract", "Write the decoded disk of an image (or one partition) to -o OUT, or files of a volume to -o DIR");
  sub->add_option("input", opt->input, "Disk image (.dmg, .sparseimage, raw disk); IMAGE:/path for a file in a volume")
      ->required();
  sub->add_option("--partition", opt->partition, "Only this partition (GPT/APM entry number, MBR slot)");
  sub->add_flag("--raw", opt->raw, "Take the input as a raw disk whatever it is: a plain copy (or its --partition)");
  sub->add_option("--volume", opt->volume, "With IMAGE:/path: the APFS volume (name or index) when there are several");
  sub->add_option("--image", opt->image, std::string("With a dyld shared cache as input: write this image (install path) "
                                                    "as a standalone Mach-O to -o OUT. ") + kDscExtractHelp);
  sub->footer("The output is the global -o OUT (- for stdout); for IMAGE:/path, -o DIR (never written outside DIR).\n"
              "An existing OUT, or a file already in DIR, is refused unless --overwrite is given; the input never is.\n"
              "An input that is no disk image (no UDIF trailer, sparse header, partition map or file system) is an\n"
              "error unless --raw asks for a plain copy.\n"
              "Exit codes: 0 written; 2 error.");
  sub->callback([&ctx, opt] { ctx.exit_code = run(ctx, *opt); });
});

}  // namespace
}  // namespace upscope::cli
