// Thin Mach-O image reader: header, load commands, claimed-range validation, LINKEDIT decoding.
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "disasm/normalize.hpp"
#include "inspect/hash.hpp"
#include "macho/linkedit.hpp"
#include "macho/names.hpp"
#include "macho/structs.hpp"

namespace upscope::macho {

bool Section::zerofill() const {
  const uint32_t t = flags & SECTION_TYPE;
  return t == S_ZEROFILL || t == S_GB_ZEROFILL || t == S_THREAD_LOCAL_ZEROFILL;
}
bool Section::has_instructions() const {
  return (flags & (S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS)) != 0;
}
uint32_t Section::type() const { return flags & SECTION_TYPE; }
bool Segment::executable() const { return (initprot & VM_PROT_EXECUTE) != 0; }
bool Dylib::is_id() const { return cmd == LC_ID_DYLIB; }
bool Symbol::defined_in_section() const { return (type & N_STAB) == 0 && (type & N_TYPE) == N_SECT; }
bool Symbol::undefined_external() const { return (type & N_STAB) == 0 && (type & N_TYPE) == N_UNDF && (type & N_EXT); }
bool Export::is_reexport() const { return (flags & EXPORT_SYMBOL_FLAGS_REEXPORT) != 0; }
bool Export::is_absolute() const { return (flags & EXPORT_SYMBOL_FLAGS_KIND_MASK) == 2; }
bool CodeSignature::Blob::is_entitlements() const {
  return type == CSSLOT_ENTITLEMENTS && magic == CSMAGIC_EMBEDDED_ENTITLEMENTS;
}
bool CodeSignature::Blob::is_der_entitlements() const {
  return type == CSSLOT_DER_ENTITLEMENTS && magic == CSMAGIC_EMBEDDED_DER_ENTITLEMENTS;
}
bool CodeSignature::Blob::is_requirements() const { return type == CSSLOT_REQUIREMENTS; }
bool MachO::is_object() const { return filetype == MH_OBJECT; }

const Segment* MachO::segment(std::string_view name) const {
  for (const auto& s : segments)
    if (s.segname == name) return &s;
  return nullptr;
}

uint64_t MachO::text_vmaddr() const {
  for (const auto& s : segments)
    if (s.fileoff == header_offset && s.filesize != 0) return s.vmaddr;
  if (const Segment* t = segment("__TEXT")) return t->vmaddr;
  return 0;
}

std::string version_string(uint32_t v) {
  return fmt::format("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff);
}

std::string source_version_string(uint64_t v) {
  return fmt::format("{}.{}.{}.{}.{}", v >> 40, (v >> 30) & 0x3ff, (v >> 20) & 0x3ff, (v >> 10) & 0x3ff, v & 0x3ff);
}

namespace {

// The names in messages ("load command 3 (LC_SEGMENT_64 __TEXT) section 0 (__TEXT,__text)", "segment
// __TEXT (load command 3)") are built only when a message is written: formatting one for every
// command, section and claimed range cost more than reading them (600 kext headers in a KC).

// A fixed 16-byte name field (segname, sectname, LC_NOTE data_owner) kept by value.
struct Name16 {
  std::array<char, 16> c{};
  uint8_t n = 0;
  Name16() = default;
  explicit Name16(std::string_view s) : n(static_cast<uint8_t>(std::min<size_t>(s.size(), 16))) {
    std::copy_n(s.data(), n, c.data());
  }
  std::string_view view() const { return std::string_view(c.data(), n); }
};

// Where a message points: a load command (with a name it carries), one of its sections, or a plain
// structure name such as "mach_header".
class Where {
 public:
  Where(const char* text) : text_(text) {}  // NOLINT: a literal structure name
  Where(uint32_t index, uint32_t cmd, std::string_view extra = {}) : index_(index), cmd_(cmd), extra_(extra) {}
  Where section(uint64_t k, std::string_view seg, std::string_view sect) const {
    Where w = *this;
    w.section_ = k;
    w.seg_ = seg;
    w.sect_ = sect;
    return w;
  }
  std::string str() const {
    if (text_) return text_;
    std::string s = extra_.empty() ? fmt::format("load command {} ({})", index_, load_command_name(cmd_))
                                   : fmt::format("load command {} ({} {})", index_, load_command_name(cmd_),
                                                 printable_name(extra_));
    if (section_ != kNoSection)
      s += fmt::format(" section {} ({},{})", section_, printable_name(seg_), printable_name(sect_));
    return s;
  }
  operator std::string() const { return str(); }  // NOLINT: Diagnostics take the structure as a string

 private:
  static constexpr uint64_t kNoSection = UINT64_MAX;
  // Views of names that outlive the Where (it lives within one command's reading).
  const char* text_ = nullptr;
  uint32_t index_ = 0, cmd_ = 0;
  std::string_view extra_;
  uint64_t section_ = kNoSection;
  std::string_view seg_, sect_;
};

// What a claimed range is, for an overlap message naming both sides.
struct Label {
  enum Kind : uint8_t { kText, kSegment, kSection, kRelocations, kTable, kNote } kind = kText;
  const char* text = nullptr;  // kText: the whole label; kTable: what the table is
  uint32_t index = 0, cmd = 0;
  Name16 a, b;
  std::string str() const {
    switch (kind) {
      case kText: return text;
      case kSegment: return fmt::format("segment {} (load command {})", printable_name(a.view()), index);
      case kSection:
        return fmt::format("section {},{} (load command {})", printable_name(a.view()), printable_name(b.view()), index);
      case kRelocations: return fmt::format("relocations of {},{} (load command {})", a.view(), b.view(), index);
      case kTable: return fmt::format("{} {} (load command {})", load_command_name(cmd), text, index);
      case kNote: return fmt::format("LC_NOTE {} data (load command {})", a.view(), index);
    }
    return {};
  }
};

// A byte range of the offsets base that a structure claims. Leaf ranges (header, section contents,
// LINKEDIT tables) must not overlap one another; segments must not overlap other segments.
struct Claim {
  uint64_t begin, end;
  Label label;
};

class ImageReader {
 public:
  ImageReader(ByteReader image, ByteReader file, uint64_t header_off, Diagnostics& d, const ParseOptions& opt)
      : image_(image), file_(file), header_off_(header_off), d_(d), opt_(opt) {}

  Result<MachO> run();

 private:
  uint64_t abs(uint64_t image_off) const { return image_.base() + image_off; }
  void walk_commands(uint64_t cmds_end);
  void parse_command(uint32_t i, uint32_t cmd, ByteReader c);
  template <typename T>
  std::optional<T> fixed(uint32_t i, uint32_t cmd, const ByteReader& c);
  std::string lc_str(const ByteReader& c, uint32_t off, uint64_t fixed_size, const Where& where, const char* what);
  void read_segment(uint32_t i, uint32_t cmd, const ByteReader& c);

  // Range checks in offsets-base coordinates; false when the range does not fit in the file.
  bool claim(std::vector<Claim>& set, uint64_t cmd_abs, const Where& structure, const char* what, const Label& label,
             uint64_t off, uint64_t size);
  bool claim_leaf(uint64_t cmd_abs, const Where& structure, const char* what, const Label& label, uint64_t off,
                  uint64_t size) {
    return claim(leaves_, cmd_abs, structure, what, label, off, size);
  }
  bool claim_table(uint64_t cmd_abs, const Where& structure, const char* what, uint32_t cmd, uint32_t index,
                   uint64_t off, uint64_t count, uint64_t entry_size);
  std::optional<ByteReader> file_view(uint64_t off, uint64_t size) const {
    auto v = file_.sub(off, size);
    if (!v) return std::nullopt;
    return *v;
  }

  void read_symbols();
  void check_dysymtab();
  void decode_linkedit();
  void hash_code();

  ByteReader image_, file_;
  uint64_t header_off_;
  Diagnostics& d_;
  const ParseOptions& opt_;
  MachO m_;
  std::vector<Claim> leaves_, segments_;
  uint32_t symtab_index_ = 0, dysymtab_index_ = 0;
  uint64_t symtab_abs_ = 0;
  bool symtab_fits_ = false, strtab_fits_ = false;
  std::vector<std::pair<LinkeditData, bool>> blobs_;  // (command, fits in file)
};

bool ImageReader::claim(std::vector<Claim>& set, uint64_t cmd_abs, const Where& structure, const char* what,
                        const Label& label, uint64_t off, uint64_t size) {
  if (!range_fits(off, size, file_.size())) {
    d_.error(cmd_abs, structure,
             fmt::format("{} {:#x}+{:#x} extends past the end of the file ({:#x} bytes)", what, off, size, file_.size()));
    return false;
  }
  if (size == 0 || !opt_.check_ranges) return true;
  const uint64_t end = off + size;
  for (const Claim& c : set) {
    if (off < c.end && c.begin < end)
      d_.error(cmd_abs, structure,
               fmt::format("{} {:#x}..{:#x} overlaps {} {:#x}..{:#x}", what, off, end, c.label.str(), c.begin, c.end));
  }
  set.push_back({off, end, label});
  return true;
}

bool ImageReader::claim_table(uint64_t cmd_abs, const Where& structure, const char* what, uint32_t cmd,
                              uint32_t index, uint64_t off, uint64_t count, uint64_t entry_size) {
  auto size = checked_mul(count, entry_size);
  if (!size) {
    d_.error(cmd_abs, structure, fmt::format("{}: {} entries of {} bytes overflow", what, count, entry_size));
    return false;
  }
  Label label{Label::kTable, what, index, cmd, {}, {}};
  return claim_leaf(cmd_abs, structure, what, label, off, *size);
}

template <typename T>
std::optional<T> ImageReader::fixed(uint32_t i, uint32_t cmd, const ByteReader& c) {
  if (c.size() < sizeof(T)) {
    d_.error(c.base(), Where(i, cmd),
             fmt::format("cmdsize {} is smaller than the {}-byte command", c.size(), sizeof(T)));
    return std::nullopt;
  }
  return *c.read<T>(0);
}

std::string ImageReader::lc_str(const ByteReader& c, uint32_t off, uint64_t fixed_size, const Where& where,
                                const char* what) {
  if (off < fixed_size || off >= c.size()) {
    d_.error(c.base(), where, fmt::format("{} offset {} is outside the command (fixed part {}, cmdsize {})", what, off,
                                          fixed_size, c.size()));
    return {};
  }
  auto s = c.cstring(off);
  if (s) return std::string(*s);
  d_.warning(c.base(), where, fmt::format("{} is not NUL-terminated within the command", what));
  return std::string(*c.fixed_string(off, c.size() - off));
}

Result<MachO> ImageReader::run() {
  auto magic = image_.u32le(0);
  if (!magic)
    return fail(ErrorCode::kTruncated, "mach_header", fmt::format("the image is {} bytes: no magic", image_.size()), image_.base());
  if (*magic == MH_CIGAM || *magic == MH_CIGAM_64)
    return fail(ErrorCode::kUnsupported, "mach_header",
                "big-endian Mach-O images (PowerPC era) are not supported", image_.base());
  if (*magic != MH_MAGIC && *magic != MH_MAGIC_64)
    return fail(ErrorCode::kMalformed, "mach_header", fmt::format("bad magic {:#010x}: not a Mach-O image", *magic),
                image_.base());
  m_.is64 = *magic == MH_MAGIC_64;
  const uint64_t hsize = m_.is64 ? sizeof(mach_header_64) : sizeof(mach_header);
  if (!image_.has(0, hsize))
    return fail(ErrorCode::kTruncated, "mach_header",
                fmt::format("the image is {} bytes, shorter than the {}-byte header", image_.size(), hsize), image_.base());
  auto h = *image_.read<mach_header>(0);
  m_.magic = h.magic;
  m_.cputype = h.cputype;
  m_.cpusubtype = h.cpusubtype;
  m_.filetype = h.filetype;
  m_.ncmds = h.ncmds;
  m_.sizeofcmds = h.sizeofcmds;
  m_.flags = h.flags;
  m_.header_offset = header_off_;
  m_.arch = cpu_name(h.cputype, h.cpusubtype);
  if (h.cputype == CPU_TYPE_ARM64 && (h.cpusubtype & ~CPU_SUBTYPE_MASK) == CPU_SUBTYPE_ARM64E) {
    m_.ptrauth_abi = (h.cpusubtype & CPU_SUBTYPE_PTRAUTH_ABI) != 0;
    m_.ptrauth_abi_version = (h.cpusubtype >> 24) & 0xf;
  }

  uint64_t cmds_end = hsize + uint64_t(h.sizeofcmds);
  if (!image_.has(hsize, h.sizeofcmds)) {
    d_.error(abs(0), "mach_header",
             fmt::format("sizeofcmds {} extends past the end of the file ({} bytes after the header)", h.sizeofcmds,
                         image_.size() - hsize));
    cmds_end = image_.size();
  }
  claim_leaf(abs(0), "mach_header", "header and load commands", Label{Label::kText, "the Mach-O header and load commands", 0, 0, {}, {}},
             header_off_, cmds_end);
  walk_commands(cmds_end);
  read_symbols();
  check_dysymtab();
  decode_linkedit();
  if (opt_.code_hash) hash_code();
  return std::move(m_);
}

void ImageReader::walk_commands(uint64_t cmds_end) {
  uint64_t off = m_.is64 ? sizeof(mach_header_64) : sizeof(mach_header);
  const uint32_t align = m_.is64 ? 8 : 4;
  m_.commands.reserve(std::min<uint64_t>(m_.ncmds, cmds_end / 8));  // each takes at least 8 bytes
  for (uint32_t i = 0; i < m_.ncmds; ++i) {
    if (off + 8 > cmds_end) {
      d_.error(abs(off), fmt::format("load command {}", i),
               fmt::format("starts past the end of the load commands (ncmds {}, sizeofcmds {})", m_.ncmds, m_.sizeofcmds));
      return;
    }
    const uint32_t cmd = *image_.u32le(off), cmdsize = *image_.u32le(off + 4);
    const Where where(i, cmd);
    if (cmdsize < 8) {
      d_.error(abs(off), where, fmt::format("cmdsize {} is smaller than 8: the remaining commands cannot be located", cmdsize));
      return;
    }
    if (cmdsize > cmds_end - off) {
      d_.error(abs(off), where, fmt::format("cmdsize {} extends past the end of the load commands", cmdsize));
      return;
    }
    if (cmdsize % align != 0)
      d_.warning(abs(off), where, fmt::format("cmdsize {} is not a multiple of {}", cmdsize, align));
    LoadCommand lc;
    lc.index = i;
    lc.cmd = cmd;
    lc.cmdsize = cmdsize;
    lc.offset = off;
    m_.commands.push_back(std::move(lc));
    parse_command(i, cmd, *image_.sub(off, cmdsize));
    off += cmdsize;
  }
}

void ImageReader::read_segment(uint32_t i, uint32_t cmd, const ByteReader& c) {
  Segment seg;
  seg.command_index = i;
  uint64_t sect_off, sect_size;
  if (cmd == LC_SEGMENT_64) {
    auto s = fixed<segment_command_64>(i, cmd, c);
    if (!s) return;
    seg.segname = std::string(*c.fixed_string(8, 16));
    seg.vmaddr = s->vmaddr; seg.vmsize = s->vmsize; seg.fileoff = s->fileoff; seg.filesize = s->filesize;
    seg.maxprot = s->maxprot; seg.initprot = s->initprot; seg.nsects = s->nsects; seg.flags = s->flags;
    sect_off = sizeof(segment_command_64);
    sect_size = sizeof(section_64);
  } else {
    auto s = fixed<segment_command>(i, cmd, c);
    if (!s) return;
    seg.segname = std::string(*c.fixed_string(8, 16));
    seg.vmaddr = s->vmaddr; seg.vmsize = s->vmsize; seg.fileoff = s->fileoff; seg.filesize = s->filesize;
    seg.maxprot = s->maxprot; seg.initprot = s->initprot; seg.nsects = s->nsects; seg.flags = s->flags;
    sect_off = sizeof(segment_command);
    sect_size = sizeof(section);
  }
  const Where where(i, cmd, seg.segname);
  uint64_t nsects = seg.nsects;
  if (uint64_t(nsects) * sect_size > c.size() - sect_off) {
    nsects = (c.size() - sect_off) / sect_size;
    d_.error(c.base(), where, fmt::format("nsects {} needs {} bytes but cmdsize is {}: reading {} sections", seg.nsects,
                                          sect_off + uint64_t(seg.nsects) * sect_size, c.size(), nsects));
  }
  if (seg.filesize > seg.vmsize && cmd == LC_SEGMENT_64 && m_.filetype != MH_OBJECT)
    d_.warning(c.base(), where, fmt::format("filesize {:#x} is larger than vmsize {:#x}", seg.filesize, seg.vmsize));
  bool seg_fits = claim(segments_, c.base(), where, "fileoff+filesize",
                        Label{Label::kSegment, nullptr, i, cmd, Name16(seg.segname), {}}, seg.fileoff, seg.filesize);
  seg.sections.reserve(nsects);  // bounded by cmdsize above
  for (uint64_t k = 0; k < nsects; ++k) {
    const uint64_t at = sect_off + k * sect_size;
    Section s;
    s.sectname = std::string(*c.fixed_string(at, 16));
    s.segname = std::string(*c.fixed_string(at + 16, 16));
    if (sect_size == sizeof(section_64)) {
      auto r = *c.read<section_64>(at);
      s.addr = r.addr; s.size = r.size; s.offset = r.offset; s.align = r.align; s.reloff = r.reloff;
      s.nreloc = r.nreloc; s.flags = r.flags; s.reserved1 = r.reserved1; s.reserved2 = r.reserved2; s.reserved3 = r.reserved3;
    } else {
      auto r = *c.read<section>(at);
      s.addr = r.addr; s.size = r.size; s.offset = r.offset; s.align = r.align; s.reloff = r.reloff;
      s.nreloc = r.nreloc; s.flags = r.flags; s.reserved1 = r.reserved1; s.reserved2 = r.reserved2;
    }
    const Where swhere = where.section(k, s.segname, s.sectname);
    if (!s.zerofill() && s.size != 0) {
      bool fits = claim_leaf(c.base() + at, swhere, "offset+size",
                             Label{Label::kSection, nullptr, i, cmd, Name16(s.segname), Name16(s.sectname)}, s.offset,
                             s.size);
      if (fits && seg_fits && m_.filetype != MH_OBJECT && seg.filesize != 0 &&
          (s.offset < seg.fileoff || s.offset + s.size > seg.fileoff + seg.filesize))
        d_.warning(c.base() + at, swhere,
                   fmt::format("offset+size {:#x}+{:#x} lies outside its segment's file range {:#x}+{:#x}", s.offset,
                               s.size, seg.fileoff, seg.filesize));
    }
    if (s.nreloc != 0)
      claim_leaf(c.base() + at, swhere, "relocation entries",
                 Label{Label::kRelocations, nullptr, i, cmd, Name16(s.segname), Name16(s.sectname)}, s.reloff,
                 uint64_t(s.nreloc) * 8);
    seg.sections.push_back(std::move(s));
  }
  m_.segments.push_back(std::move(seg));
}

void ImageReader::parse_command(uint32_t i, uint32_t cmd, ByteReader c) {
  const Where where(i, cmd);
  switch (cmd) {
    case LC_SEGMENT:
    case LC_SEGMENT_64:
      read_segment(i, cmd, c);
      return;
    case LC_UUID:
      if (auto u = fixed<uuid_command>(i, cmd, c)) {
        if (m_.uuid) d_.warning(c.base(), where, "a second LC_UUID: keeping the first");
        else { std::array<uint8_t, 16> a; std::copy(std::begin(u->uuid), std::end(u->uuid), a.begin()); m_.uuid = a; }
      }
      return;
    case LC_BUILD_VERSION:
      if (auto b = fixed<build_version_command>(i, cmd, c)) {
        BuildVersion bv{b->platform, b->minos, b->sdk, {}};
        uint64_t ntools = b->ntools;
        if (ntools * 8 > c.size() - sizeof(*b)) {
          ntools = (c.size() - sizeof(*b)) / 8;
          d_.error(c.base(), where, fmt::format("ntools {} does not fit in cmdsize {}", b->ntools, c.size()));
        }
        for (uint64_t t = 0; t < ntools; ++t) {
          auto tv = *c.read<build_tool_version>(sizeof(*b) + t * 8);
          bv.tools.push_back({tv.tool, tv.version});
        }
        if (!m_.build_version) m_.build_version = std::move(bv);
      }
      return;
    case LC_VERSION_MIN_MACOSX:
    case LC_VERSION_MIN_IPHONEOS:
    case LC_VERSION_MIN_TVOS:
    case LC_VERSION_MIN_WATCHOS:
      if (auto v = fixed<version_min_command>(i, cmd, c)) m_.version_mins.push_back({cmd, v->version, v->sdk});
      return;
    case LC_SOURCE_VERSION:
      if (auto v = fixed<source_version_command>(i, cmd, c)) m_.source_version = v->version;
      return;
    case LC_ID_DYLIB:
    case LC_LOAD_DYLIB:
    case LC_LOAD_WEAK_DYLIB:
    case LC_REEXPORT_DYLIB:
    case LC_LAZY_LOAD_DYLIB:
    case LC_LOAD_UPWARD_DYLIB:
      if (auto v = fixed<dylib_command>(i, cmd, c)) {
        Dylib dl{i, cmd, lc_str(c, v->dylib.name, sizeof(*v), where, "dylib name"), v->dylib.timestamp,
                 v->dylib.current_version, v->dylib.compatibility_version};
        if (cmd == LC_ID_DYLIB) m_.id_dylib = std::move(dl);
        else m_.dylibs.push_back(std::move(dl));
      }
      return;
    case LC_LOAD_DYLINKER:
    case LC_ID_DYLINKER:
    case LC_DYLD_ENVIRONMENT:
      if (auto v = fixed<dylinker_command>(i, cmd, c)) {
        std::string s = lc_str(c, v->name, sizeof(*v), where, "name");
        if (cmd != LC_DYLD_ENVIRONMENT) m_.dylinker = std::move(s);
      }
      return;
    case LC_RPATH:
      if (auto v = fixed<rpath_command>(i, cmd, c)) m_.rpaths.push_back(lc_str(c, v->path, sizeof(*v), where, "path"));
      return;
    case LC_SUB_FRAMEWORK:
    case LC_SUB_UMBRELLA:
    case LC_SUB_CLIENT:
    case LC_SUB_LIBRARY:
      if (auto v = fixed<dylinker_command>(i, cmd, c)) m_.sub_names.push_back(lc_str(c, v->name, sizeof(*v), where, "name"));
      return;
    case LC_SYMTAB:
      if (auto v = fixed<symtab_command>(i, cmd, c)) {
        if (m_.symtab) { d_.error(c.base(), where, "a second LC_SYMTAB: ignored"); return; }
        m_.symtab = Symtab{v->symoff, v->nsyms, v->stroff, v->strsize};
        symtab_index_ = i;
        symtab_abs_ = c.base();
        symtab_fits_ = claim_table(c.base(), where, "symbol table", cmd, i, v->symoff, v->nsyms,
                                   m_.is64 ? sizeof(nlist_64) : sizeof(nlist));
        strtab_fits_ = claim_table(c.base(), where, "string table", cmd, i, v->stroff, v->strsize, 1);
      }
      return;
    case LC_DYSYMTAB:
      if (auto v = fixed<dysymtab_command>(i, cmd, c)) {
        if (m_.dysymtab) { d_.error(c.base(), where, "a second LC_DYSYMTAB: ignored"); return; }
        m_.dysymtab = Dysymtab{v->ilocalsym, v->nlocalsym, v->iextdefsym, v->nextdefsym, v->iundefsym, v->nundefsym,
                               v->tocoff, v->ntoc, v->modtaboff, v->nmodtab, v->extrefsymoff, v->nextrefsyms,
                               v->indirectsymoff, v->nindirectsyms, v->extreloff, v->nextrel, v->locreloff, v->nlocrel};
        dysymtab_index_ = i;
        claim_table(c.base(), where, "table of contents", cmd, i, v->tocoff, v->ntoc, 8);
        claim_table(c.base(), where, "module table", cmd, i, v->modtaboff, v->nmodtab, m_.is64 ? 56 : 52);
        claim_table(c.base(), where, "referenced symbol table", cmd, i, v->extrefsymoff, v->nextrefsyms, 4);
        claim_table(c.base(), where, "indirect symbol table", cmd, i, v->indirectsymoff, v->nindirectsyms, 4);
        claim_table(c.base(), where, "external relocation entries", cmd, i, v->extreloff, v->nextrel, 8);
        claim_table(c.base(), where, "local relocation entries", cmd, i, v->locreloff, v->nlocrel, 8);
      }
      return;
    case LC_DYLD_INFO:
    case LC_DYLD_INFO_ONLY:
      if (auto v = fixed<dyld_info_command>(i, cmd, c)) {
        m_.dyld_info = DyldInfo{cmd, v->rebase_off, v->rebase_size, v->bind_off, v->bind_size, v->weak_bind_off,
                                v->weak_bind_size, v->lazy_bind_off, v->lazy_bind_size, v->export_off, v->export_size};
        claim_table(c.base(), where, "rebase info", cmd, i, v->rebase_off, v->rebase_size, 1);
        claim_table(c.base(), where, "bind info", cmd, i, v->bind_off, v->bind_size, 1);
        claim_table(c.base(), where, "weak bind info", cmd, i, v->weak_bind_off, v->weak_bind_size, 1);
        claim_table(c.base(), where, "lazy bind info", cmd, i, v->lazy_bind_off, v->lazy_bind_size, 1);
        bool fits = claim_table(c.base(), where, "export trie", cmd, i, v->export_off, v->export_size, 1);
        blobs_.push_back({LinkeditData{i, cmd, v->export_off, v->export_size}, fits});
      }
      return;
    case LC_CODE_SIGNATURE:
    case LC_SEGMENT_SPLIT_INFO:
    case LC_FUNCTION_STARTS:
    case LC_DATA_IN_CODE:
    case LC_DYLIB_CODE_SIGN_DRS:
    case LC_LINKER_OPTIMIZATION_HINT:
    case LC_DYLD_EXPORTS_TRIE:
    case LC_DYLD_CHAINED_FIXUPS:
    case LC_ATOM_INFO:
    case LC_FUNCTION_VARIANTS:
    case LC_FUNCTION_VARIANT_FIXUPS:
      if (auto v = fixed<linkedit_data_command>(i, cmd, c)) {
        LinkeditData ld{i, cmd, v->dataoff, v->datasize};
        m_.linkedit.push_back(ld);
        bool fits = claim_table(c.base(), where, "data", cmd, i, v->dataoff, v->datasize, 1);
        blobs_.push_back({ld, fits});
      }
      return;
    case LC_MAIN:
      if (auto v = fixed<entry_point_command>(i, cmd, c)) m_.entry_point = EntryPoint{v->entryoff, v->stacksize};
      return;
    case LC_ENCRYPTION_INFO:
    case LC_ENCRYPTION_INFO_64:
      if (auto v = fixed<encryption_info_command>(i, cmd, c)) {
        m_.encryption.push_back({cmd, v->cryptoff, v->cryptsize, v->cryptid});
        // cryptoff is relative to the image (it covers part of __TEXT, already claimed by sections).
        if (!range_fits(header_off_ + uint64_t(v->cryptoff), v->cryptsize, file_.size()))
          d_.error(c.base(), where, fmt::format("cryptoff+cryptsize {:#x}+{:#x} extends past the end of the file",
                                                v->cryptoff, v->cryptsize));
      }
      return;
    case LC_FILESET_ENTRY:
      if (auto v = fixed<fileset_entry_command>(i, cmd, c)) {
        FilesetEntry e{i, v->vmaddr, v->fileoff, lc_str(c, v->entry_id, sizeof(*v), where, "entry id")};
        if (!range_fits(e.fileoff, sizeof(mach_header_64), file_.size()))
          d_.error(c.base(), Where(i, cmd, e.entry_id),
                   fmt::format("fileoff {:#x} puts the entry's header past the end of the file", e.fileoff));
        m_.fileset_entries.push_back(std::move(e));
      }
      return;
    case LC_NOTE:
      if (auto v = fixed<note_command>(i, cmd, c)) {
        Note n{std::string(*c.fixed_string(8, 16)), v->offset, v->size};
        claim_leaf(c.base(), where, "note data", Label{Label::kNote, nullptr, i, cmd, Name16(n.data_owner), {}},
                   n.offset, n.size);
        m_.notes.push_back(std::move(n));
      }
      return;
    case LC_LINKER_OPTION:
      if (auto v = fixed<linker_option_command>(i, cmd, c)) {
        std::vector<std::string> opts;
        uint64_t off = sizeof(*v);
        for (uint32_t k = 0; k < v->count; ++k) {
          auto s = c.cstring(off);
          if (!s) {
            d_.error(c.base(), where, fmt::format("option {} of {} runs past the end of the command", k, v->count));
            break;
          }
          opts.emplace_back(*s);
          off += s->size() + 1;
        }
        m_.linker_options.push_back(std::move(opts));
      }
      return;
    default:
      break;
  }
  // Known commands without a decoder (threads, routines, prebinding ...) and unknown ones keep their bytes.
  auto raw = c.data();
  m_.commands.back().raw.assign(raw.begin(), raw.end());
  if (!is_known_load_command(cmd))
    d_.warning(c.base(), where, fmt::format("unknown load command {:#x} ({} bytes): kept as raw bytes", cmd, c.size()));
}

void ImageReader::read_symbols() {
  if (!m_.symtab || !symtab_fits_) return;
  const Symtab& st = *m_.symtab;
  const Where where(symtab_index_, LC_SYMTAB);
  m_.symbol_count = st.nsyms;
  if (!opt_.symbols) return;
  if (st.nsyms > opt_.max_symbols) {
    d_.error(symtab_abs_, where, fmt::format("nsyms {} exceeds the limit of {}: symbols not read", st.nsyms, opt_.max_symbols));
    return;
  }
  const uint64_t es = m_.is64 ? sizeof(nlist_64) : sizeof(nlist);
  ByteReader syms = *file_.sub(st.symoff, uint64_t(st.nsyms) * es);
  ByteReader strs = strtab_fits_ ? *file_.sub(st.stroff, st.strsize) : ByteReader();
  m_.symbols.reserve(st.nsyms);
  uint64_t bad_strx = 0, first_bad = 0;
  for (uint64_t k = 0; k < st.nsyms; ++k) {
    Symbol s;
    if (m_.is64) {
      auto n = *syms.read<nlist_64>(k * es);
      s.type = n.n_type; s.sect = n.n_sect; s.desc = n.n_desc; s.value = n.n_value;
      if (n.n_strx != 0) {
        auto name = strs.cstring(n.n_strx);
        if (name) s.name = std::string(*name);
        else if (bad_strx++ == 0) first_bad = k;
      }
    } else {
      auto n = *syms.read<nlist>(k * es);
      s.type = n.n_type; s.sect = n.n_sect; s.desc = static_cast<uint16_t>(n.n_desc); s.value = n.n_value;
      if (n.n_strx != 0) {
        auto name = strs.cstring(n.n_strx);
        if (name) s.name = std::string(*name);
        else if (bad_strx++ == 0) first_bad = k;
      }
    }
    m_.symbols.push_back(std::move(s));
  }
  if (bad_strx)
    d_.error(syms.base() + first_bad * es, where,
             fmt::format("{} symbols (first: symbol {}) have names outside the string table", bad_strx, first_bad));
}

void ImageReader::check_dysymtab() {
  if (!m_.dysymtab) return;
  const Dysymtab& d = *m_.dysymtab;
  const uint64_t nsyms = m_.symtab ? m_.symtab->nsyms : 0;
  const Where where(dysymtab_index_, LC_DYSYMTAB);
  struct Group { const char* name; uint32_t first, count; };
  for (const Group& g : {Group{"ilocalsym+nlocalsym", d.ilocalsym, d.nlocalsym},
                         Group{"iextdefsym+nextdefsym", d.iextdefsym, d.nextdefsym},
                         Group{"iundefsym+nundefsym", d.iundefsym, d.nundefsym}}) {
    if (uint64_t(g.first) + g.count > nsyms)
      d_.error(std::nullopt, where, fmt::format("{} ({}+{}) exceeds the {} symbols of LC_SYMTAB", g.name, g.first,
                                                g.count, nsyms));
  }
}

void ImageReader::decode_linkedit() {
  for (const auto& [ld, fits] : blobs_) {
    if (!fits) continue;
    ByteReader blob = *file_.sub(ld.dataoff, ld.datasize);
    const std::string where = Where(ld.command_index, ld.cmd).str();  // the decoders take a string
    switch (ld.cmd) {
      case LC_FUNCTION_STARTS:
        if (opt_.function_starts) m_.function_starts = read_function_starts(blob, m_.text_vmaddr(), d_, where);
        break;
      case LC_DATA_IN_CODE:
        m_.data_in_code_entries = ld.datasize / 8;
        if (ld.datasize % 8) d_.warning(blob.base(), where, fmt::format("datasize {} is not a multiple of 8", ld.datasize));
        break;
      case LC_DYLD_INFO:
      case LC_DYLD_INFO_ONLY:
      case LC_DYLD_EXPORTS_TRIE:
        if (opt_.exports && ld.datasize) {
          if (!m_.exports.empty()) {
            d_.warning(blob.base(), where, "a second export trie: ignored");
            break;
          }
          m_.exports = read_export_trie(blob, d_, where);
        }
        break;
      case LC_DYLD_CHAINED_FIXUPS:
        if (ld.datasize) m_.chained_fixups = read_chained_fixups(blob, d_, where);
        break;
      case LC_CODE_SIGNATURE:
        if (ld.datasize) {
          m_.code_signature = read_code_signature(blob, d_, where);
          if (m_.code_signature) {
            m_.code_signature->dataoff = ld.dataoff;
            m_.code_signature->datasize = ld.datasize;
          }
        }
        break;
      default:
        break;
    }
  }
}

void ImageReader::hash_code() {
  Hasher h(HashKind::kSha256);
  const disasm::Arch arch = code_arch(m_.cputype);
  const bool arm = arch == disasm::Arch::kArm64, x86 = arch == disasm::Arch::kX86_64;
  std::vector<uint8_t> buf;
  for (Bytes bytes : code_sections(m_, file_)) {
    if (x86) disasm::hash_code_x86_64(h, bytes);
    else disasm::hash_code(h, bytes, arm, buf);
    m_.code_bytes += bytes.size();
  }
  m_.code_sha256 = h.hex_digest();
}

}  // namespace

disasm::Arch code_arch(uint32_t cputype) {
  if (cputype == CPU_TYPE_ARM64 || cputype == CPU_TYPE_ARM64_32) return disasm::Arch::kArm64;
  return cputype == CPU_TYPE_X86_64 ? disasm::Arch::kX86_64 : disasm::Arch::kOther;
}

std::vector<Bytes> code_sections(const MachO& m, const ByteReader& file) {
  std::vector<Bytes> out;
  for (const Segment& seg : m.segments) {
    if (!(seg.initprot & VM_PROT_EXECUTE) && m.filetype != MH_OBJECT) continue;
    for (const Section& s : seg.sections) {
      if (!s.has_instructions() || s.zerofill() || s.size == 0) continue;
      if (auto bytes = file.bytes(s.offset, s.size)) out.push_back(*bytes);
    }
  }
  return out;
}

Result<MachO> parse(ByteReader image, Diagnostics& diags, const ParseOptions& opt) {
  ByteReader file = image;
  uint64_t header_off = 0;
  if (opt.offsets_base) {
    file = *opt.offsets_base;
    // The image must be a window of the base: same bytes at the same absolute position.
    const uint64_t rel = image.base() - file.base();
    if (image.base() < file.base() || !file.has(rel, 0) ||
        file.data().data() + rel != image.data().data() || image.size() > file.size() - rel)
      return fail(ErrorCode::kInvalidArgument, "mach_header",
                  "the image view does not lie inside ParseOptions::offsets_base", image.base());
    header_off = rel;
  }
  return ImageReader(image, file, header_off, diags, opt).run();
}

}  // namespace upscope::macho
