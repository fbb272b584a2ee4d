// Standalone Mach-O from a cached dylib (see extract.hpp). The load commands are patched in a copy of
// the header: segment/section file offsets, and every LINKEDIT offset to the piece's place in the new
// LINKEDIT. Offsets in a cached image's LINKEDIT commands are "cache file offsets" of the file that
// holds __LINKEDIT; they are resolved like the reader does: VM = LINKEDIT.vmaddr + (off - LINKEDIT.fileoff).
#include "dyld_cache/extract.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "inspect/checked.hpp"
#include "macho/structs.hpp"

namespace upscope::dyld_cache {
namespace {

using namespace macho;

constexpr uint64_t kAlign = 0x4000;  // arm64 page; a multiple of x86_64's
constexpr uint32_t MH_DYLIB_IN_CACHE = 0x80000000;
constexpr uint32_t INDIRECT_SYMBOL_LOCAL = 0x80000000, INDIRECT_SYMBOL_ABS = 0x40000000;

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

template <typename T>
T get(const std::vector<uint8_t>& b, size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof(T));
  return v;
}
template <typename T>
void put(std::vector<uint8_t>& b, size_t off, const T& v) {
  std::memcpy(b.data() + off, &v, sizeof(T));
}

struct SegCmd {
  size_t off;  // of the command in the header copy
  segment_command_64 cmd;
  uint64_t new_fileoff = 0;
  std::string name() const { return std::string(cmd.segname, strnlen(cmd.segname, 16)); }
};

class Builder {
 public:
  Builder(const Cache& c, const Image& img, Diagnostics& diags) : c_(c), img_(img), diags_(diags) {
    who_ = img.path.empty() ? fmt::format("image {}", img.index) : img.path;
  }

  Result<ExtractInfo> run(const ExtractSink& sink);

 private:
  Error err(std::string rule) const { return make_error(ErrorCode::kMalformed, who_, std::move(rule)); }
  // A LINKEDIT piece of the image as a view of the cache.
  Result<ByteReader> piece(uint64_t off, uint64_t size, const char* what) const;
  // Appends bytes to the new LINKEDIT (8-aligned) and returns their output file offset.
  uint32_t append(Bytes b) {
    linkedit_.resize(align_up(linkedit_.size(), 8), 0);
    const uint64_t at = le_fileoff_ + linkedit_.size();
    linkedit_.insert(linkedit_.end(), b.begin(), b.end());
    return static_cast<uint32_t>(at);
  }
  Status copy_blob(uint32_t& off, uint32_t size, const char* what);
  Status rebuild_symtab(size_t symtab_at, std::optional<size_t> dysymtab_at);

  const Cache& c_;
  const Image& img_;
  Diagnostics& diags_;
  std::string who_;
  std::vector<uint8_t> hdr_;
  const SegCmd* le_ = nullptr;
  uint64_t le_fileoff_ = 0;
  std::vector<uint8_t> linkedit_;
  ExtractInfo info_;
};

Result<ByteReader> Builder::piece(uint64_t off, uint64_t size, const char* what) const {
  if (!le_) return fail(err(fmt::format("{} needs a __LINKEDIT segment and the image has none", what)));
  if (off < le_->cmd.fileoff)
    return fail(err(fmt::format("{} at {:#x} is before __LINKEDIT's fileoff {:#x}", what, off, le_->cmd.fileoff)));
  auto vm = checked_add(le_->cmd.vmaddr, off - le_->cmd.fileoff);
  if (!vm) return fail(err(fmt::format("{} at {:#x}: address overflows", what, off)));
  auto r = c_.read(*vm, size);
  if (!r) return fail(err(fmt::format("{}: {}", what, r.error().rule)));
  return *r;
}

Status Builder::copy_blob(uint32_t& off, uint32_t size, const char* what) {
  if (!size) {
    off = 0;
    return {};
  }
  UPSCOPE_TRY(ByteReader b, piece(off, size, what));
  off = append(b.data());
  ++info_.linkedit_blobs;
  return {};
}

Status Builder::rebuild_symtab(size_t at, std::optional<size_t> dyat) {
  auto st = get<symtab_command>(hdr_, at);
  UPSCOPE_TRY(ByteReader syms, piece(st.symoff, uint64_t(st.nsyms) * sizeof(nlist_64), "LC_SYMTAB symbols"));
  UPSCOPE_TRY(ByteReader strs, piece(st.stroff, st.strsize, "LC_SYMTAB strings"));
  std::vector<uint8_t> strings = {' ', 0};
  std::unordered_map<std::string, uint32_t> seen;
  auto intern = [&](std::string_view s) -> uint32_t {
    auto [it, fresh] = seen.emplace(std::string(s), uint32_t(strings.size()));
    if (fresh) {
      strings.insert(strings.end(), s.begin(), s.end());
      strings.push_back(0);
    }
    return it->second;
  };
  std::vector<nlist_64> out;
  // Locals the cache builder moved to the .symbols file go first (they are the local range).
  if (auto locals = c_.local_symbols(img_, diags_)) {
    for (const auto& s : locals->symbols) {
      nlist_64 n{};
      n.n_strx = intern(s.name);
      n.n_type = s.type;
      n.n_sect = s.sect;
      n.n_desc = s.desc;
      n.n_value = s.value;
      out.push_back(n);
    }
  }
  const uint32_t added = static_cast<uint32_t>(out.size());
  info_.local_symbols = added;
  for (uint32_t i = 0; i < st.nsyms; ++i) {
    auto n = *syms.read<nlist_64>(uint64_t(i) * sizeof(nlist_64));
    auto name = strs.cstring(n.n_strx);
    if (!name) {
      diags_.warning(std::nullopt, who_ + ": LC_SYMTAB",
                     fmt::format("symbol {}: n_strx {:#x} is outside the {:#x}-byte string table", i, n.n_strx, st.strsize));
      n.n_strx = 0;
    } else {
      n.n_strx = intern(*name);
    }
    out.push_back(n);
  }
  info_.symbols = out.size();
  st.symoff = out.empty() ? 0 : append(Bytes(reinterpret_cast<const uint8_t*>(out.data()), out.size() * sizeof(nlist_64)));
  st.nsyms = static_cast<uint32_t>(out.size());
  if (dyat) {
    auto dy = get<dysymtab_command>(hdr_, *dyat);
    if (dy.ilocalsym != 0 && dy.nlocalsym != 0)
      diags_.warning(std::nullopt, who_ + ": LC_DYSYMTAB", "local symbols do not start at index 0: indices kept as they are");
    dy.nlocalsym += added;
    if (dy.nextdefsym || dy.iextdefsym) dy.iextdefsym += added;
    if (dy.nundefsym || dy.iundefsym) dy.iundefsym += added;
    if (dy.nindirectsyms) {
      UPSCOPE_TRY(ByteReader ind, piece(dy.indirectsymoff, uint64_t(dy.nindirectsyms) * 4, "LC_DYSYMTAB indirect symbols"));
      std::vector<uint32_t> v(dy.nindirectsyms);
      for (uint32_t i = 0; i < dy.nindirectsyms; ++i) {
        uint32_t x = *ind.u32le(uint64_t(i) * 4);
        if (!(x & (INDIRECT_SYMBOL_LOCAL | INDIRECT_SYMBOL_ABS))) x += added;
        v[i] = x;
      }
      dy.indirectsymoff = append(Bytes(reinterpret_cast<const uint8_t*>(v.data()), v.size() * 4));
      info_.indirect_symbols = v.size();
    } else {
      dy.indirectsymoff = 0;
    }
    // Tables a cached dylib does not use (two-level hints / module tables / relocations): dropped.
    dy.tocoff = dy.ntoc = dy.modtaboff = dy.nmodtab = dy.extrefsymoff = dy.nextrefsyms = 0;
    dy.extreloff = dy.nextrel = dy.locreloff = dy.nlocrel = 0;
    put(hdr_, *dyat, dy);
  }
  st.stroff = append(strings);
  st.strsize = static_cast<uint32_t>(align_up(strings.size(), 8));
  linkedit_.resize(align_up(linkedit_.size(), 8), 0);
  put(hdr_, at, st);
  return {};
}

Result<ExtractInfo> Builder::run(const ExtractSink& sink) {
  UPSCOPE_TRY(ByteReader h, c_.read(img_.address, sizeof(mach_header_64)));
  auto mh = *h.read<mach_header_64>(0);
  if (mh.magic != MH_MAGIC_64)
    return fail(err(fmt::format("mach_header magic {:#x} at {:#x} is not MH_MAGIC_64", mh.magic, img_.address)));
  if (mh.ncmds > mh.sizeofcmds / 8)
    return fail(err(fmt::format("ncmds {} cannot fit in sizeofcmds {:#x}", mh.ncmds, mh.sizeofcmds)));
  auto whole = c_.read(img_.address, sizeof(mach_header_64) + uint64_t(mh.sizeofcmds));
  if (!whole) return fail(err(fmt::format("load commands: {}", whole.error().rule)));
  hdr_.assign(whole->data().begin(), whole->data().end());

  std::vector<SegCmd> segs;
  std::vector<std::pair<size_t, uint32_t>> cmds;  // (offset, cmd)
  size_t off = sizeof(mach_header_64);
  for (uint32_t i = 0; i < mh.ncmds; ++i) {
    if (off + 8 > hdr_.size()) return fail(err(fmt::format("load command {} runs past sizeofcmds", i)));
    auto lc = get<load_command>(hdr_, off);
    if (lc.cmdsize < 8 || lc.cmdsize % 8 || lc.cmdsize > hdr_.size() - off)
      return fail(err(fmt::format("load command {} at +{:#x}: cmdsize {:#x} is invalid", i, off, lc.cmdsize)));
    if (lc.cmd == LC_SEGMENT_64) {
      if (lc.cmdsize < sizeof(segment_command_64)) return fail(err(fmt::format("load command {}: short LC_SEGMENT_64", i)));
      SegCmd s{off, get<segment_command_64>(hdr_, off)};
      if (uint64_t(s.cmd.nsects) * sizeof(section_64) > lc.cmdsize - sizeof(segment_command_64))
        return fail(err(fmt::format("segment {}: {} sections do not fit in cmdsize {:#x}", s.name(), s.cmd.nsects, lc.cmdsize)));
      segs.push_back(s);
    }
    cmds.emplace_back(off, lc.cmd);
    off += lc.cmdsize;
  }

  // File layout: __TEXT (holds the header) first, the other mapped segments in command order, then
  // the new LINKEDIT.
  std::vector<SegCmd*> order;
  for (auto& s : segs)
    if (s.name() == "__TEXT") order.insert(order.begin(), &s);
    else if (s.name() == "__LINKEDIT") le_ = &s;
    else order.push_back(&s);
  if (order.empty() || order.front()->name() != "__TEXT" || order.front()->cmd.vmaddr != img_.address)
    return fail(err(fmt::format("no __TEXT segment starts at the image address {:#x}", img_.address)));
  uint64_t next = 0;
  for (SegCmd* s : order) {
    if (!s->cmd.filesize) continue;
    s->new_fileoff = align_up(next, kAlign);
    auto end = checked_add(s->new_fileoff, s->cmd.filesize);
    if (!end) return fail(err(fmt::format("segment {} filesize {:#x} overflows", s->name(), s->cmd.filesize)));
    next = *end;
  }
  le_fileoff_ = align_up(next, kAlign);
  if (le_fileoff_ > UINT32_MAX) return fail(err("the image's segments need more than 4 GiB of file offsets"));

  // LINKEDIT pieces, in the order ld64 writes them.
  std::optional<size_t> symtab_at, dysymtab_at;
  for (auto [at, cmd] : cmds) {
    switch (cmd) {
      case LC_DYLD_INFO:
      case LC_DYLD_INFO_ONLY: {
        auto d = get<dyld_info_command>(hdr_, at);
        UPSCOPE_CHECK(copy_blob(d.rebase_off, d.rebase_size, "rebase info"));
        UPSCOPE_CHECK(copy_blob(d.bind_off, d.bind_size, "bind info"));
        UPSCOPE_CHECK(copy_blob(d.weak_bind_off, d.weak_bind_size, "weak bind info"));
        UPSCOPE_CHECK(copy_blob(d.lazy_bind_off, d.lazy_bind_size, "lazy bind info"));
        UPSCOPE_CHECK(copy_blob(d.export_off, d.export_size, "export info"));
        put(hdr_, at, d);
        break;
      }
      case LC_CODE_SIGNATURE: {  // the cache's signature does not cover these bytes: emptied
        auto d = get<linkedit_data_command>(hdr_, at);
        d.dataoff = d.datasize = 0;
        put(hdr_, at, d);
        break;
      }
      case LC_SEGMENT_SPLIT_INFO: case LC_FUNCTION_STARTS: case LC_DATA_IN_CODE: case LC_DYLIB_CODE_SIGN_DRS:
      case LC_LINKER_OPTIMIZATION_HINT: case LC_DYLD_EXPORTS_TRIE: case LC_DYLD_CHAINED_FIXUPS: case LC_ATOM_INFO:
      case LC_FUNCTION_VARIANTS: case LC_FUNCTION_VARIANT_FIXUPS: {
        auto d = get<linkedit_data_command>(hdr_, at);
        UPSCOPE_CHECK(copy_blob(d.dataoff, d.datasize, "linkedit data"));
        put(hdr_, at, d);
        break;
      }
      case LC_SYMTAB: symtab_at = at; break;
      case LC_DYSYMTAB: dysymtab_at = at; break;
      default: break;
    }
  }
  if (symtab_at) UPSCOPE_CHECK(rebuild_symtab(*symtab_at, dysymtab_at));
  else if (dysymtab_at) {
    auto dy = get<dysymtab_command>(hdr_, *dysymtab_at);
    dy = dysymtab_command{dy.cmd, dy.cmdsize, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    put(hdr_, *dysymtab_at, dy);
  }
  linkedit_.resize(align_up(linkedit_.size(), 8), 0);

  // Patch segment and section offsets.
  for (auto& s : segs) {
    segment_command_64 sc = s.cmd;
    if (&s == le_) {
      sc.fileoff = le_fileoff_;
      sc.filesize = linkedit_.size();
      sc.vmsize = align_up(std::max<uint64_t>(linkedit_.size(), 1), kAlign);
    } else {
      sc.fileoff = sc.filesize ? s.new_fileoff : 0;
    }
    put(hdr_, s.off, sc);
    for (uint32_t k = 0; k < sc.nsects; ++k) {
      const size_t so = s.off + sizeof(segment_command_64) + k * sizeof(section_64);
      auto sec = get<section_64>(hdr_, so);
      const uint32_t type = sec.flags & SECTION_TYPE;
      const bool zerofill = type == S_ZEROFILL || type == S_GB_ZEROFILL || type == S_THREAD_LOCAL_ZEROFILL;
      if (zerofill || sec.offset == 0 || &s == le_) sec.offset = 0;
      else if (sec.addr >= s.cmd.vmaddr && sec.addr - s.cmd.vmaddr < s.cmd.filesize)
        sec.offset = static_cast<uint32_t>(s.new_fileoff + (sec.addr - s.cmd.vmaddr));
      else
        return fail(err(fmt::format("section {},{} at {:#x} is outside its segment's file bytes",
                                    std::string(sec.segname, strnlen(sec.segname, 16)),
                                    std::string(sec.sectname, strnlen(sec.sectname, 16)), sec.addr)));
      sec.reloff = sec.nreloc = 0;
      put(hdr_, so, sec);
    }
  }
  mh.flags &= ~MH_DYLIB_IN_CACHE;
  put(hdr_, 0, mh);

  // Write: segments in file order with zero padding between them, then LINKEDIT.
  uint64_t pos = 0;
  static const std::vector<uint8_t> zeros(kAlign, 0);
  auto pad_to = [&](uint64_t target) {
    while (pos < target) {
      const uint64_t n = std::min<uint64_t>(target - pos, zeros.size());
      if (!sink(Bytes(zeros.data(), n))) return false;
      pos += n;
    }
    return true;
  };
  auto write_fail = [&] { return fail(make_error(ErrorCode::kIo, who_, "the output refused the bytes (write failed)")); };
  for (SegCmd* s : order) {
    if (!s->cmd.filesize) continue;
    auto r = c_.read(s->cmd.vmaddr, s->cmd.filesize);
    if (!r) return fail(err(fmt::format("segment {}: {}", s->name(), r.error().rule)));
    if (!pad_to(s->new_fileoff)) return write_fail();
    Bytes b = r->data();
    if (s == order.front()) {  // the patched header replaces the cached one
      if (b.size() < hdr_.size()) return fail(err("__TEXT is smaller than the load commands"));
      if (!sink(Bytes(hdr_.data(), hdr_.size()))) return write_fail();
      b = b.subspan(hdr_.size());
      pos += hdr_.size();
    }
    if (!sink(b)) return write_fail();
    pos += b.size();
    ExtractedSegment es{s->name(), s->cmd.vmaddr, s->cmd.vmsize, s->new_fileoff, s->cmd.filesize, ""};
    if (auto l = c_.locate(s->cmd.vmaddr)) es.from = c_.files[l->file].name;
    info_.segments.push_back(std::move(es));
  }
  if (le_) {
    if (!pad_to(le_fileoff_) || !sink(Bytes(linkedit_.data(), linkedit_.size()))) return write_fail();
    pos += linkedit_.size();
    info_.segments.push_back({"__LINKEDIT", le_->cmd.vmaddr, align_up(std::max<uint64_t>(linkedit_.size(), 1), kAlign),
                              le_fileoff_, linkedit_.size(), ""});
  }
  info_.size = pos;
  return info_;
}

}  // namespace

Result<ExtractInfo> extract_image(const Cache& c, const Image& img, const ExtractSink& sink, Diagnostics& diags) {
  Builder b(c, img, diags);
  return b.run(sink);
}

}  // namespace upscope::dyld_cache
