// Fat (universal) files: a big-endian arch table, then one thin image per slice.
#include <fmt/format.h>

#include "inspect/hash.hpp"
#include "macho/macho.hpp"
#include "macho/names.hpp"
#include "macho/structs.hpp"

namespace upscope::macho {

namespace {

constexpr uint32_t kMaxArches = 1024;

// Reads one slice into `slice`, reporting its diagnostics prefixed with the slice name.
void read_slice(const Source& src, FatSlice& slice, const std::string& prefix, Diagnostics& diags,
                const ParseOptions& opt, bool hash) {
  std::vector<uint8_t> scratch;
  auto view = src.view(slice.offset, slice.size, scratch, "Mach-O slice");
  if (!view) {
    slice.error = view.error();
    return;
  }
  if (hash) slice.sha256 = sha256_hex(view->data());
  ParseOptions o = opt;
  o.offsets_base.reset();
  Diagnostics local;
  auto image = parse(*view, local, o);
  for (Diagnostic d : local.items()) {
    if (!prefix.empty()) d.structure = d.structure.empty() ? prefix : prefix + ": " + d.structure;
    diags.add(std::move(d));
  }
  if (image) {
    slice.image = std::move(*image);
  } else {
    slice.error = image.error();
    if (!prefix.empty()) diags.add(image.error().structure.empty() ? image.error() : image.error());
  }
}

}  // namespace

Result<FatFile> parse_file(const Source& src, Diagnostics& diags, const ParseOptions& opt) {
  FatFile ff;
  ff.file_size = src.size();
  std::array<uint8_t, 8> head{};
  if (src.size() < 8) {
    // Too short for any header: let the thin reader give the precise message.
    std::vector<uint8_t> scratch;
    UPSCOPE_TRY(ByteReader v, src.view(0, src.size(), scratch));
    UPSCOPE_TRY(MachO m, parse(v, diags, opt));
    (void)m;
  }
  UPSCOPE_CHECK(src.read_at(0, head));
  const uint32_t magic = load_u32be(head.data());
  if (opt.file_hash)
    if (auto whole = hash_source(HashKind::kSha256, src)) ff.sha256 = *whole;
  if (magic != FAT_MAGIC && magic != FAT_MAGIC_64) {
    FatSlice s;
    s.offset = 0;
    s.size = src.size();
    s.sha256 = ff.sha256;
    read_slice(src, s, "", diags, opt, false);
    if (!s.image) return fail(s.error->in_file(src.name()));
    s.cputype = s.image->cputype;
    s.cpusubtype = s.image->cpusubtype;
    s.arch = s.image->arch;
    ff.slices.push_back(std::move(s));
    return ff;
  }
  ff.fat = true;
  ff.fat64 = magic == FAT_MAGIC_64;
  const uint32_t nfat = load_u32be(head.data() + 4);
  const uint64_t entry = ff.fat64 ? sizeof(fat_arch_64) : sizeof(fat_arch);
  if (nfat == 0 || nfat > kMaxArches)
    return fail(ErrorCode::kMalformed, "fat_header", fmt::format("nfat_arch {} is not between 1 and {}", nfat, kMaxArches), 0);
  const uint64_t table_end = 8 + uint64_t(nfat) * entry;
  if (table_end > src.size())
    return fail(ErrorCode::kTruncated, "fat_header",
                fmt::format("{} fat_arch entries end at {:#x}, past the end of the file ({:#x} bytes)", nfat, table_end,
                            src.size()),
                0);
  std::vector<uint8_t> scratch;
  UPSCOPE_TRY(ByteReader table, src.view(0, table_end, scratch, "fat_arch table"));
  for (uint32_t i = 0; i < nfat; ++i) {
    Cursor c(table, 8 + i * entry);
    FatSlice s;
    s.cputype = c.u32be();
    s.cpusubtype = c.u32be();
    s.offset = ff.fat64 ? c.u64be() : c.u32be();
    s.size = ff.fat64 ? c.u64be() : c.u32be();
    s.align = c.u32be();
    s.arch = cpu_name(s.cputype, s.cpusubtype);
    const std::string where = fmt::format("fat slice {} ({})", i, s.arch);
    const uint64_t at = 8 + i * entry;
    if (!range_fits(s.offset, s.size, src.size())) {
      s.error = make_error(ErrorCode::kTruncated, where,
                           fmt::format("offset+size {:#x}+{:#x} extends past the end of the file ({:#x} bytes)",
                                       s.offset, s.size, src.size()),
                           at);
      diags.error(at, where, s.error->rule);
      ff.slices.push_back(std::move(s));
      continue;
    }
    if (s.offset < table_end && s.size != 0)
      diags.error(at, where, fmt::format("offset {:#x} lies inside the fat header (which ends at {:#x})", s.offset, table_end));
    for (size_t k = 0; k < ff.slices.size(); ++k) {
      const FatSlice& o = ff.slices[k];
      if (!o.error && s.offset < o.offset + o.size && o.offset < s.offset + s.size)
        diags.error(at, where, fmt::format("offset+size {:#x}+{:#x} overlaps fat slice {} ({})", s.offset, s.size, k, o.arch));
    }
    if (s.align < 32 && s.offset % (uint64_t(1) << s.align) != 0)
      diags.warning(at, where, fmt::format("offset {:#x} is not aligned to 2^{}", s.offset, s.align));
    read_slice(src, s, where, diags, opt, opt.file_hash);
    if (s.image && (s.image->cputype != s.cputype || s.image->cpusubtype != s.cpusubtype))
      diags.warning(at, where, fmt::format("the slice's own header says {} ({:#x}/{:#x})", s.image->arch,
                                           s.image->cputype, s.image->cpusubtype));
    ff.slices.push_back(std::move(s));
  }
  return ff;
}

}  // namespace upscope::macho
