// Fixups of one image (docs/formats/macho-fixups.md): chained fixups walked page by page, the
// dyld-info opcode streams, or classic relocations. Every location is checked against its segment's
// file bytes; loops are bounded by what the segment can hold, so hostile streams cannot spin.
#include "macho/fixups.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "inspect/checked.hpp"
#include "macho/structs.hpp"

namespace upscope::macho {

const Fixup* Fixups::at(uint64_t address) const {
  auto it = lower_bound(address);
  return it != items.end() && it->address == address ? &*it : nullptr;
}

std::vector<Fixup>::const_iterator Fixups::lower_bound(uint64_t address) const {
  return std::lower_bound(items.begin(), items.end(), address,
                          [](const Fixup& f, uint64_t a) { return f.address < a; });
}

namespace {

constexpr uint16_t kPageStartNone = 0xFFFF;

// DYLD_CHAINED_PTR_* formats.
enum : uint16_t {
  kArm64e = 1, kPtr64 = 2, kPtr32 = 3, kPtr32Cache = 4, kPtr32Firmware = 5, kPtr64Offset = 6, kArm64eKernel = 7,
  kPtr64KernelCache = 8, kArm64eUserland = 9, kArm64eFirmware = 10, kX86_64KernelCache = 11, kArm64eUserland24 = 12,
};

int64_t sign_extend(uint64_t v, unsigned bits) {
  const uint64_t m = uint64_t{1} << (bits - 1);
  v &= (uint64_t{1} << bits) - 1;
  return static_cast<int64_t>((v ^ m) - m);
}

class Reader {
 public:
  Reader(const MachO& m, const ByteReader& file, uint64_t base, Diagnostics& d, uint64_t max)
      : m_(m), file_(file), base_(base), d_(d), max_(max) {}

  Fixups run() {
    if (m_.chained_fixups) chained();
    else if (m_.dyld_info) opcodes();
    else if (m_.dysymtab && (m_.dysymtab->nextrel || m_.dysymtab->nlocrel)) relocations();
    // A lazy pointer is rebased to its stub helper and lazily bound: the bind is what it will hold.
    std::sort(out_.items.begin(), out_.items.end(), [](const Fixup& a, const Fixup& b) {
      if (a.address != b.address) return a.address < b.address;
      return (a.import != Fixup::kRebase) > (b.import != Fixup::kRebase);
    });
    out_.items.erase(std::unique(out_.items.begin(), out_.items.end(),
                                 [](const Fixup& a, const Fixup& b) { return a.address == b.address; }),
                     out_.items.end());
    return std::move(out_);
  }

 private:
  const MachO& m_;
  const ByteReader& file_;
  const uint64_t base_;
  Diagnostics& d_;
  const uint64_t max_;
  Fixups out_;
  bool capped_ = false;

  bool add(Fixup f) {
    if (out_.items.size() >= max_) {
      if (!capped_) d_.warning(std::nullopt, "fixups", fmt::format("more than {} fixups: the rest are not read", max_));
      capped_ = true;
      return false;
    }
    out_.items.push_back(f);
    return true;
  }

  const LinkeditData* blob_of(uint32_t cmd) const {
    for (const auto& ld : m_.linkedit)
      if (ld.cmd == cmd) return &ld;
    return nullptr;
  }

  // ---- chained fixups ------------------------------------------------------------------------
  void chained() {
    const ChainedFixups& cf = *m_.chained_fixups;
    const LinkeditData* ld = blob_of(LC_DYLD_CHAINED_FIXUPS);
    if (!ld) return;
    auto blob = file_.sub(ld->dataoff, ld->datasize);
    if (!blob) return;  // the parser reported the range
    const std::string where = "LC_DYLD_CHAINED_FIXUPS";
    read_imports(cf, *blob);
    for (const auto& st : cf.segments) {
      if (st.segment_index >= m_.segments.size()) {
        d_.error(blob->base(), where, fmt::format("starts for segment {} name no segment (the image has {})",
                                                  st.segment_index, m_.segments.size()));
        continue;
      }
      const Segment& seg = m_.segments[st.segment_index];
      auto info = blob->u32le(uint64_t(cf.starts_offset) + 4 + uint64_t(st.segment_index) * 4);
      if (!info) continue;
      const uint64_t starts = uint64_t(cf.starts_offset) + *info;
      walk_segment(st, seg, *blob, starts + kChainedStartsInSegmentFixedSize, where);
      if (capped_) return;
    }
    out_.source = fmt::format("chained fixups (pointer format {})",
                              cf.segments.empty() ? 0 : cf.segments.front().pointer_format);
  }

  void read_imports(const ChainedFixups& cf, const ByteReader& blob) {
    out_.imports = cf.import_names;
    const uint64_t isize = cf.imports_format == DYLD_CHAINED_IMPORT_ADDEND ? 8
                           : cf.imports_format == DYLD_CHAINED_IMPORT_ADDEND64 ? 16 : 0;
    addends_.assign(out_.imports.size(), 0);
    if (!isize) return;
    for (size_t i = 0; i < out_.imports.size(); ++i) {
      const uint64_t at = cf.imports_offset + i * isize;
      if (isize == 8) {
        if (auto a = blob.u32le(at + 4)) addends_[i] = static_cast<int32_t>(*a);
      } else if (auto a = blob.u64le(at + 8)) {
        addends_[i] = static_cast<int64_t>(*a);
      }
    }
  }
  std::vector<int64_t> addends_;

  void walk_segment(const ChainedFixups::SegmentStarts& st, const Segment& seg, const ByteReader& blob,
                    uint64_t page_starts, const std::string& where) {
    const uint16_t fmt_id = st.pointer_format;
    const bool is32 = fmt_id == kPtr32 || fmt_id == kPtr32Cache || fmt_id == kPtr32Firmware;
    if (is32) {
      d_.note(blob.base() + page_starts, where, fmt::format("segment {}: 32-bit chained pointers (format {}) are not "
                                                             "decoded: its pointers are compared as bytes",
                                                             seg.segname, fmt_id));
      return;
    }
    const uint64_t stride = fmt_id == kX86_64KernelCache ? 1
                            : (fmt_id == kArm64e || fmt_id == kArm64eUserland || fmt_id == kArm64eUserland24) ? 8 : 4;
    if (fmt_id == 0 || fmt_id > kArm64eUserland24) {
      d_.error(blob.base(), where, fmt::format("segment {}: unknown pointer format {}", seg.segname, fmt_id));
      return;
    }
    if (st.page_size == 0) {
      d_.error(blob.base(), where, fmt::format("segment {}: page size 0", seg.segname));
      return;
    }
    for (uint32_t page = 0; page < st.page_count; ++page) {
      auto start = blob.u16le(page_starts + uint64_t(page) * 2);
      if (!start || *start == kPageStartNone) continue;
      const uint64_t page_off = uint64_t(page) * st.page_size;
      uint64_t off = page_off + *start;  // offset within the segment
      // A chain never leaves its page: at most page_size / stride links.
      for (uint64_t link = 0; link <= st.page_size / stride; ++link) {
        if (off > seg.filesize || seg.filesize - off < 8) {
          d_.error(file_.base() + seg.fileoff + off, where,
                   fmt::format("segment {}: chain reaches +{:#x}, past its {} file bytes", seg.segname, off, seg.filesize));
          break;
        }
        auto raw = file_.u64le(seg.fileoff + off);
        if (!raw) {
          d_.error(file_.base() + seg.fileoff + off, where,
                   fmt::format("segment {}: pointer at +{:#x} is outside the file", seg.segname, off));
          break;
        }
        uint64_t next = 0;
        if (!decode(fmt_id, *raw, seg.vmaddr + off, next)) return;
        if (next == 0) break;
        off += next * stride;
        if (off >= page_off + st.page_size + 8) {
          d_.error(file_.base() + seg.fileoff + off - next * stride, where,
                   fmt::format("segment {}: chain of page {} leaves the page", seg.segname, page));
          break;
        }
      }
    }
  }

  // One chained pointer; false when the fixup cap is reached.
  bool decode(uint16_t format, uint64_t v, uint64_t address, uint64_t& next) {
    Fixup f;
    f.address = address;
    switch (format) {
      case kArm64e:
      case kArm64eKernel:
      case kArm64eUserland:
      case kArm64eUserland24:
      case kArm64eFirmware: {
        const bool auth = v >> 63, bind = (v >> 62) & 1;
        next = (v >> 51) & 0x7FF;
        if (bind) {
          const uint64_t ordinal = format == kArm64eUserland24 ? (v & 0xFFFFFF) : (v & 0xFFFF);
          set_import(f, ordinal, auth ? 0 : sign_extend(v >> 32, 19));
        } else if (auth) {
          f.target = base_ + (v & 0xFFFFFFFF);
        } else {
          const uint64_t target = v & 0x7FFFFFFFFFFull;
          const bool vmaddr = format == kArm64e || format == kArm64eFirmware;
          f.target = vmaddr ? target : base_ + target;
        }
        break;
      }
      case kPtr64:
      case kPtr64Offset: {
        next = (v >> 51) & 0xFFF;
        if (v >> 63) {
          set_import(f, v & 0xFFFFFF, static_cast<int64_t>((v >> 24) & 0xFF));
        } else {
          const uint64_t target = v & 0xFFFFFFFFFull;
          f.target = format == kPtr64 ? target : base_ + target;
        }
        break;
      }
      case kPtr64KernelCache:
      case kX86_64KernelCache: {
        next = (v >> 51) & 0xFFF;
        const uint64_t level = (v >> 30) & 3;
        const uint64_t target = v & 0x3FFFFFFF;
        if (level == 0) {
          f.target = base_ + target;
        } else {  // a pointer into another kernel collection: named by level, kept with its offset
          set_named(f, fmt::format("[kernel collection level {}]", level), static_cast<int64_t>(target));
        }
        break;
      }
      default:
        return false;
    }
    return add(f);
  }

  void set_import(Fixup& f, uint64_t ordinal, int64_t addend) {
    if (ordinal < out_.imports.size()) {
      f.import = static_cast<uint32_t>(ordinal);
      f.addend = addend + (ordinal < addends_.size() ? addends_[ordinal] : 0);
    } else {
      set_named(f, fmt::format("[import {} of {}]", ordinal, out_.imports.size()), addend);
    }
  }

  void set_named(Fixup& f, std::string name, int64_t addend) {
    auto it = std::find(out_.imports.begin(), out_.imports.end(), name);
    f.import = static_cast<uint32_t>(it - out_.imports.begin());
    if (it == out_.imports.end()) out_.imports.push_back(std::move(name));
    f.addend = addend;
  }

  // ---- dyld info opcodes -----------------------------------------------------------------------
  // The segment's file view and VM address for an opcode's (segment, offset), or nullopt.
  const Segment* segment(uint64_t index) const { return index < m_.segments.size() ? &m_.segments[index] : nullptr; }

  uint64_t pointer_size() const { return m_.is64 ? 8 : 4; }

  // The pointer-sized value at a file offset (0 when it is outside the file: the caller checked it).
  uint64_t pointer_at(uint64_t file_off) const {
    if (m_.is64) return file_.u64le(file_off).value_or(0);
    return file_.u32le(file_off).value_or(0);
  }

  void opcodes() {
    const DyldInfo& di = *m_.dyld_info;
    if (di.rebase_size) rebase_stream(di.rebase_off, di.rebase_size);
    if (di.bind_size) bind_stream(di.bind_off, di.bind_size, "bind info", false);
    if (di.weak_bind_size) bind_stream(di.weak_bind_off, di.weak_bind_size, "weak bind info", false);
    if (di.lazy_bind_size) bind_stream(di.lazy_bind_off, di.lazy_bind_size, "lazy bind info", true);
    out_.source = "dyld info opcodes";
  }

  // A location an opcode names: inside the segment's file bytes, with room for a pointer.
  bool location(const Segment* seg, uint64_t off, const std::string& where, uint64_t at) {
    if (!seg || off > seg->filesize || seg->filesize - off < pointer_size()) {
      d_.error(at, where, fmt::format("location {}+{:#x} is outside its segment", seg ? seg->segname : "?", off));
      return false;
    }
    return true;
  }

  void rebase_stream(uint32_t off, uint32_t size) {
    auto blob = file_.sub(off, size);
    if (!blob) return;
    const std::string where = "rebase info";
    Cursor c(*blob);
    const Segment* seg = nullptr;
    uint64_t seg_off = 0;
    const uint64_t ps = pointer_size();
    // Each opcode rebases at most what the segment holds: a bound on the whole stream.
    uint64_t budget = 0;
    for (const auto& s : m_.segments) budget += s.filesize / ps + 1;
    auto rebase = [&](uint64_t at) -> bool {
      if (budget-- == 0) return false;
      if (!location(seg, seg_off, where, at)) return false;
      Fixup f;
      f.address = seg->vmaddr + seg_off;
      f.target = pointer_at(seg->fileoff + seg_off);
      f.size = static_cast<uint8_t>(ps);
      if (!add(f)) return false;
      seg_off += ps;
      return true;
    };
    while (c.ok() && c.remaining() > 0) {
      const uint64_t at = blob->base() + c.tell();
      const uint8_t b = c.u8();
      const uint8_t op = b & 0xF0, imm = b & 0x0F;
      bool ok = true;
      switch (op) {
        case 0x00: return;  // REBASE_OPCODE_DONE
        case 0x10: break;   // SET_TYPE_IMM
        case 0x20:          // SET_SEGMENT_AND_OFFSET_ULEB
          seg = segment(imm);
          seg_off = c.uleb128();
          break;
        case 0x30: seg_off += c.uleb128(); break;
        case 0x40: seg_off += uint64_t(imm) * ps; break;
        case 0x50:
          for (unsigned k = 0; k < imm && ok; ++k) ok = rebase(at);
          break;
        case 0x60: {
          const uint64_t n = c.uleb128();
          for (uint64_t k = 0; k < n && ok; ++k) ok = rebase(at);
          break;
        }
        case 0x70:
          ok = rebase(at);
          seg_off += c.uleb128();
          break;
        case 0x80: {
          const uint64_t n = c.uleb128(), skip = c.uleb128();
          for (uint64_t k = 0; k < n && ok; ++k) {
            ok = rebase(at);
            seg_off += skip;
          }
          break;
        }
        default:
          d_.error(at, where, fmt::format("unknown rebase opcode {:#04x}", b));
          return;
      }
      if (!ok) return;
    }
    if (!c.ok()) d_.error(blob->base() + blob->size(), where, "rebase opcodes run past the end of their stream");
  }

  void bind_stream(uint32_t off, uint32_t size, const std::string& where, bool lazy) {
    auto blob = file_.sub(off, size);
    if (!blob) return;
    Cursor c(*blob);
    const Segment* seg = nullptr;
    uint64_t seg_off = 0;
    int64_t addend = 0;
    uint32_t import = Fixup::kRebase;
    const uint64_t ps = pointer_size();
    uint64_t budget = 0;
    for (const auto& s : m_.segments) budget += s.filesize / ps + 1;
    auto bind = [&](uint64_t at) -> bool {
      if (budget-- == 0) return false;
      if (!location(seg, seg_off, where, at)) return false;
      if (import == Fixup::kRebase) {
        d_.error(at, where, "bind before any symbol was named");
        return false;
      }
      Fixup f;
      f.address = seg->vmaddr + seg_off;
      f.import = import;
      f.addend = addend;
      f.size = static_cast<uint8_t>(ps);
      if (!add(f)) return false;
      seg_off += ps;
      return true;
    };
    while (c.ok() && c.remaining() > 0) {
      const uint64_t at = blob->base() + c.tell();
      const uint8_t b = c.u8();
      const uint8_t op = b & 0xF0, imm = b & 0x0F;
      bool ok = true;
      switch (op) {
        case 0x00:  // BIND_OPCODE_DONE: ends the stream, or one lazy entry
          if (!lazy) return;
          break;
        case 0x10: case 0x30: break;             // dylib ordinal / special (the name identifies the import)
        case 0x20: c.uleb128(); break;           // SET_DYLIB_ORDINAL_ULEB
        case 0x40: {                             // SET_SYMBOL_TRAILING_FLAGS_IMM
          auto name = blob->cstring(c.tell());
          if (!name) {
            d_.error(at, where, "symbol name runs past the end of the stream");
            return;
          }
          c.skip(name->size() + 1);
          std::string s(*name);
          auto it = names_.find(s);
          if (it == names_.end()) {
            it = names_.emplace(s, static_cast<uint32_t>(out_.imports.size())).first;
            out_.imports.push_back(s);
          }
          import = it->second;
          break;
        }
        case 0x50: break;                        // SET_TYPE_IMM
        case 0x60: addend = c.sleb128(); break;  // SET_ADDEND_SLEB
        case 0x70:                               // SET_SEGMENT_AND_OFFSET_ULEB
          seg = segment(imm);
          seg_off = c.uleb128();
          break;
        case 0x80: seg_off += c.uleb128(); break;
        case 0x90: ok = bind(at); break;
        case 0xA0:
          ok = bind(at);
          seg_off += c.uleb128();
          break;
        case 0xB0:
          ok = bind(at);
          seg_off += uint64_t(imm) * ps;
          break;
        case 0xC0: {
          const uint64_t n = c.uleb128(), skip = c.uleb128();
          for (uint64_t k = 0; k < n && ok; ++k) {
            ok = bind(at);
            seg_off += skip;
          }
          break;
        }
        case 0xD0:  // BIND_OPCODE_THREADED: arm64e binaries before chained fixups
          d_.note(at, where, "threaded binds are not decoded: those pointers are compared as bytes");
          return;
        default:
          d_.error(at, where, fmt::format("unknown bind opcode {:#04x}", b));
          return;
      }
      if (!ok) return;
    }
    if (!c.ok()) d_.error(blob->base() + blob->size(), where, "bind opcodes run past the end of their stream");
  }
  std::map<std::string, uint32_t> names_;

  // ---- classic relocations (kexts, old images) ---------------------------------------------------
  // r_address counts from the first segment's VM address; for other x86-64 images than kexts and
  // object files, from the first writable segment's (docs/formats/macho-fixups.md §3).
  void relocations() {
    const Dysymtab& d = *m_.dysymtab;
    if (m_.segments.empty()) return;
    uint64_t reloc_base = m_.segments.front().vmaddr;
    if (m_.is64 && m_.cputype == CPU_TYPE_X86_64 && m_.filetype != MH_OBJECT && m_.filetype != MH_KEXT_BUNDLE)
      for (const auto& s : m_.segments)
        if (s.initprot & VM_PROT_WRITE) {
          reloc_base = s.vmaddr;
          break;
        }
    auto table = [&](uint32_t off, uint32_t n, bool external) {
      auto r = file_.sub(off, uint64_t(n) * 8);
      if (!r) return;
      for (uint32_t i = 0; i < n; ++i) {
        const uint32_t address = *r->u32le(i * 8ull), info = *r->u32le(i * 8ull + 4);
        if (address & 0x80000000) continue;  // scattered (32-bit only)
        const uint32_t symbolnum = info & 0xFFFFFF;
        const bool pcrel = (info >> 24) & 1, is_extern = (info >> 27) & 1;
        const unsigned length = (info >> 25) & 3;
        Fixup f;
        f.address = reloc_base + address;
        f.size = static_cast<uint8_t>(1u << length);
        f.pcrel = pcrel;
        if (external && is_extern) {
          if (symbolnum >= m_.symbols.size()) continue;
          set_named(f, m_.symbols[symbolnum].name, 0);
        } else {
          if (f.size != pointer_size() || pcrel) continue;  // only absolute pointers are rebases we can read
          const uint64_t vm = f.address;
          for (const auto& s : m_.segments)
            if (vm >= s.vmaddr && vm - s.vmaddr <= s.filesize && s.filesize - (vm - s.vmaddr) >= f.size) {
              f.target = pointer_at(s.fileoff + (vm - s.vmaddr));
              break;
            }
        }
        if (!add(f)) return;
      }
    };
    table(d.extreloff, d.nextrel, true);
    table(d.locreloff, d.nlocrel, false);
    out_.source = "relocations";
  }
};

}  // namespace

Fixups read_fixups(const MachO& m, const ByteReader& file, uint64_t base_vmaddr, Diagnostics& diags,
                   uint64_t max_fixups) {
  return Reader(m, file, base_vmaddr, diags, max_fixups).run();
}

}  // namespace upscope::macho
