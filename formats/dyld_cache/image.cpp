// One cached dylib: its Mach-O header and load commands read in place (offsets relative to the file
// holding the header), every other range read through the cache's VM map, because __DATA*/__LINKEDIT
// may live in other subcache files. LINKEDIT blobs: VM = LINKEDIT.vmaddr + (dataoff - LINKEDIT.fileoff).
//
// Code hash (CodeHash::sha256) — what it covers, so that an unchanged image keeps its hash when the
// cache around it moves:
//  * the bytes of every section with instruction attributes (S_ATTR_PURE/SOME_INSTRUCTIONS) in a
//    segment mapped executable, in load-command order, read through the VM map;
//  * every 8-byte word that slide info marks as a rebased pointer is zeroed (text normally has none);
//  * on arm64/arm64e/arm64_32 the PC-relative immediates whose value depends on where things sit in
//    the cache are zeroed: ADR/ADRP immhi:immlo (keeping op and Rd) and B/BL imm26 (keeping the opcode).
//    Cached dylibs are page-aligned and move by whole pages, so the lo12 offsets of the ADD/LDR that
//    follow an ADRP stay put when an earlier image grows; they change only when the target itself
//    moves inside its page (then the hash changes: a limitation, not hidden).
//  * on x86_64 the section is decoded linearly by disasm's length decoder and every RIP-relative
//    displacement and relative branch/call immediate is zeroed, for the same reason;
//  * words that merely look like ADRP/B/BL inside data-in-code are masked too (deterministic, so
//    harmless); x86_64 data in code can desynchronise the decoder, also deterministically.
// CodeHash::const_sha256 covers __DATA_CONST/__AUTH_CONST with slid pointers zeroed (pointer values
// shift with the layout; the rest of the constant data does not).
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "dyld_cache/cache.hpp"
#include "dyld_cache/structs.hpp"
#include "disasm/normalize.hpp"
#include "inspect/checked.hpp"
#include "inspect/hash.hpp"
#include "inspect/thread_pool.hpp"
#include "macho/linkedit.hpp"
#include "macho/structs.hpp"

namespace upscope::dyld_cache {
namespace {

uint64_t zero_pointers(std::vector<uint8_t>& buf, uint64_t vmaddr, const std::vector<SlidPointer>& ptrs) {
  uint64_t n = 0;
  // ptrs is sorted by address: start at the first that can reach this buffer.
  auto first = std::lower_bound(ptrs.begin(), ptrs.end(), vmaddr >= 7 ? vmaddr - 7 : 0,
                                [](const SlidPointer& p, uint64_t a) { return p.address < a; });
  for (auto it = first; it != ptrs.end() && it->address < vmaddr + buf.size(); ++it) {
    const auto& p = *it;
    for (uint64_t k = 0; k < 8; ++k) {
      const uint64_t a = p.address + k;
      if (a >= vmaddr && a - vmaddr < buf.size()) buf[a - vmaddr] = 0;
    }
    ++n;
  }
  return n;
}

}  // namespace

// The code a CodeHash covers, gathered by detail() and hashed by finish_code(), so that a batch of
// images is hashed side by side.
struct Cache::PendingCode {
  disasm::Arch arch = disasm::Arch::kOther;
  std::vector<Bytes> sections;  // read through the VM map: views of the mapped cache files
  std::vector<uint64_t> addrs;
  std::vector<std::vector<SlidPointer>> pointers;
};

void Cache::finish_code(std::span<ImageDetail* const> details, std::span<const PendingCode> pending) {
  std::vector<disasm::CodeImage> images(pending.size());
  for (size_t k = 0; k < pending.size(); ++k) {
    const PendingCode& p = pending[k];
    images[k].arch = p.arch;
    images[k].sections = p.sections;
    for (size_t j = 0; j < p.sections.size(); ++j) {
      if (p.pointers[j].empty()) {
        images[k].edits.emplace_back();
        continue;
      }
      images[k].edits.emplace_back([&p, j](std::vector<uint8_t>& piece, size_t at) {
        zero_pointers(piece, p.addrs[j] + at, p.pointers[j]);
      });
    }
  }
  auto hashes = disasm::code_hashes(images);
  for (size_t k = 0; k < details.size(); ++k) {
    details[k]->code.sha256 = std::move(hashes[k].sha256);
    details[k]->code.masked_instructions += hashes[k].masked;
  }
}

Result<ImageDetail> Cache::image_detail(const Image& img, Diagnostics& diags, const ImageOptions& opt) const {
  PendingCode code;
  auto d = detail(img, diags, opt, &code);
  if (d && opt.code_hash) {
    ImageDetail* one = &*d;
    finish_code(std::span(&one, 1), std::span(&code, 1));
  }
  return d;
}

std::vector<Result<ImageDetail>> Cache::image_details(std::span<const Image* const> imgs, std::span<Diagnostics> diags,
                                                      const ImageOptions& opt) const {
  std::vector<Result<ImageDetail>> out;
  std::vector<PendingCode> code(imgs.size());
  out.reserve(imgs.size());
  for (size_t k = 0; k < imgs.size(); ++k) out.push_back(detail(*imgs[k], diags[k], opt, &code[k]));
  if (!opt.code_hash) return out;
  std::vector<ImageDetail*> read;
  std::vector<PendingCode> pending;
  for (size_t k = 0; k < out.size(); ++k) {
    if (!out[k]) continue;
    read.push_back(&*out[k]);
    pending.push_back(std::move(code[k]));
  }
  finish_code(read, pending);
  return out;
}

Result<ImageDetail> Cache::detail(const Image& img, Diagnostics& diags, const ImageOptions& opt,
                                  PendingCode* pending) const {
  const std::string who = img.path.empty() ? fmt::format("image {}", img.index) : img.path;
  auto loc = locate(img.address);
  if (!loc) return fail(make_error(ErrorCode::kNotFound, who, loc.error().rule));
  const CacheFile& hf = files[loc->file];
  ImageDetail d;
  d.header_file = loc->file;
  // Only the header and load commands are read, copied with read_at into a small buffer (offsets stay
  // absolute: base = file offset). The kernel still maps a whole page-cache folio (up to 2 MiB)
  // around each header, so callers walking every image call Cache::release_pages() now and then.
  std::vector<uint8_t> hbuf(std::min<uint64_t>(sizeof(macho::mach_header_64), loc->available));
  if (auto st = hf.source->read_at(loc->offset, hbuf); !st) return fail(st.error().in_file(hf.name));
  if (hbuf.size() == sizeof(macho::mach_header_64)) {
    const uint64_t want = sizeof(macho::mach_header_64) + uint64_t(load_u32le(hbuf.data() + 20));
    hbuf.resize(std::min(want, loc->available));
    if (auto st = hf.source->read_at(loc->offset, hbuf); !st) return fail(st.error().in_file(hf.name));
  }
  macho::ParseOptions po;
  po.check_ranges = false;
  po.symbols = po.exports = po.function_starts = po.code_hash = false;
  Diagnostics local;
  auto m = macho::parse(ByteReader(Bytes(hbuf.data(), hbuf.size()), loc->offset, "dyld cache image"), local, po);
  // The Mach-O reader checks segment/LINKEDIT ranges against the header's file; in a split cache they
  // may sit in another file, so that check is replaced by the VM-map check below.
  for (Diagnostic x : local.items()) {
    if (x.message.find("extends past the end of the file") != std::string::npos) continue;
    x.structure = who + ": " + x.structure;
    diags.add(std::move(x));
  }
  if (!m) return fail(m.error().in_file(hf.name));
  d.macho = std::move(*m);
  const auto& mo = d.macho;
  if (mo.id_dylib) {
    d.current_version = mo.id_dylib->current_version;
    d.compat_version = mo.id_dylib->compatibility_version;
  }
  for (const auto& s : mo.segments) {
    if (!s.filesize) continue;
    if (auto r = read(s.vmaddr, std::min(s.filesize, s.vmsize)); !r)
      diags.error(std::nullopt, who + ": segment " + s.segname, r.error().rule);
  }

  // LINKEDIT blobs through the VM map.
  const macho::Segment* le = mo.segment("__LINKEDIT");
  auto linkedit = [&](uint32_t off, uint32_t size, const char* what) -> std::optional<ByteReader> {
    if (!le) {
      diags.error(std::nullopt, who + ": " + what, "the image has no __LINKEDIT segment");
      return std::nullopt;
    }
    if (off < le->fileoff || !checked_add(le->vmaddr, off - le->fileoff)) {
      diags.error(std::nullopt, who + ": " + what,
                  fmt::format("dataoff {:#x} is before __LINKEDIT's fileoff {:#x}", off, le->fileoff));
      return std::nullopt;
    }
    auto r = read(le->vmaddr + (off - le->fileoff), size);
    if (!r) {
      diags.error(std::nullopt, who + ": " + what, r.error().rule);
      return std::nullopt;
    }
    return *r;
  };
  for (const auto& ld : mo.linkedit) {
    if (ld.cmd == macho::LC_DYLD_EXPORTS_TRIE && opt.exports && ld.datasize) {
      if (auto b = linkedit(ld.dataoff, ld.datasize, "LC_DYLD_EXPORTS_TRIE"))
        d.exports = macho::read_export_trie(*b, diags, who + ": export trie");
    } else if (ld.cmd == macho::LC_FUNCTION_STARTS && opt.function_starts && ld.datasize) {
      if (auto b = linkedit(ld.dataoff, ld.datasize, "LC_FUNCTION_STARTS"))
        d.function_starts = macho::read_function_starts(*b, mo.text_vmaddr(), diags, who + ": function starts");
    }
  }
  if (opt.exports && d.exports.empty() && mo.dyld_info && mo.dyld_info->export_size) {
    if (auto b = linkedit(mo.dyld_info->export_off, mo.dyld_info->export_size, "LC_DYLD_INFO export trie"))
      d.exports = macho::read_export_trie(*b, diags, who + ": export trie");
  }

  if (opt.code_hash) {
    Hasher cst(HashKind::kSha256);
    std::vector<uint8_t> buf;
    pending->arch = macho::code_arch(mo.cputype);
    for (const auto& seg : mo.segments) {
      if (seg.initprot & macho::VM_PROT_EXECUTE) {
        for (const auto& s : seg.sections) {
          if (!s.has_instructions() || s.zerofill() || !s.size) continue;
          auto r = read(s.addr, s.size);
          if (!r) {
            diags.error(std::nullopt, who + fmt::format(": section {},{}", s.segname, s.sectname), r.error().rule);
            continue;
          }
          auto ptrs = slid_pointers(s.addr, s.size, diags);
          d.code.masked_pointers += ptrs.size();
          pending->sections.push_back(r->data());
          pending->addrs.push_back(s.addr);
          pending->pointers.push_back(std::move(ptrs));
          d.code.bytes += s.size;
        }
      } else if (opt.const_hash && (seg.segname == "__DATA_CONST" || seg.segname == "__AUTH_CONST")) {
        const uint64_t n = std::min(seg.filesize, seg.vmsize);
        if (!n) continue;
        auto r = read(seg.vmaddr, n);
        if (!r) continue;  // reported above
        buf.assign(r->data().begin(), r->data().end());
        zero_pointers(buf, seg.vmaddr, slid_pointers(seg.vmaddr, n, diags));
        cst.update(buf);
        d.code.const_bytes += n;
      }
    }
    if (d.code.const_bytes) d.code.const_sha256 = cst.hex_digest();
  }
  if (opt.local_symbols) d.local_symbols = local_symbols(img, diags);
  return d;
}

Result<std::string> image_content_hash(const Cache& c, const ImageDetail& d, HashKind kind) {
  Hasher h(kind);
  for (const auto& seg : d.macho.segments) {
    if (seg.segname == "__LINKEDIT" || !seg.filesize) continue;
    auto r = c.read(seg.vmaddr, std::min(seg.filesize, seg.vmsize));
    if (!r) return fail(r.error());
    h.update(r->data());
  }
  return h.hex_digest();
}

std::vector<std::optional<ImageDetail>> all_image_details(const Cache& c, unsigned jobs, const ImageOptions& opt,
                                                          Diagnostics& diags) {
  std::vector<std::optional<ImageDetail>> out(c.images.size());
  ThreadPool pool(resolve_jobs(jobs));
  struct Read {
    std::optional<ImageDetail> d;
    Diagnostics diags;
  };
  ordered_parallel_map(
      pool, c.images.size(), pool.size() * 8,
      [&](size_t i) {
        Read r;
        auto d = c.image_detail(c.images[i], r.diags, opt);
        if (d) r.d = std::move(*d);
        else r.diags.add(d.error());
        return r;
      },
      [&](size_t i, Read r) {
        out[i] = std::move(r.d);
        diags.append(r.diags);
        if (i % 32 == 31) c.release_pages();  // bounded RSS on multi-GB caches
        return true;
      });
  return out;
}

AddressOwner Cache::owner_at(uint64_t vmaddr) const {
  if (const Image* img = image_at(vmaddr)) return {img, ""};
  ImageOptions none;
  none.exports = none.function_starts = none.code_hash = false;
  for (const auto& cand : images) {
    Diagnostics ignored;
    auto d = image_detail(cand, ignored, none);
    if (!d) continue;
    AddressOwner o;
    for (const auto& s : d->macho.segments)
      if (s.segname != "__LINKEDIT" && vmaddr >= s.vmaddr && vmaddr - s.vmaddr < s.vmsize) o = {&cand, s.segname};
    if (o.image) return o;
  }
  return {};
}

std::optional<LocalSymbols> Cache::local_symbols(const Image& img, Diagnostics& diags) const {
  const CacheFile* f = symbols_file ? &files[*symbols_file] : &main();
  const auto& h = f->header;
  if (!h.local_symbols_size) return std::nullopt;
  const std::string where = f->name + ": local symbols";
  auto info_r = f->bytes.sub(h.local_symbols_offset, h.local_symbols_size);
  if (!info_r) {
    diags.error(h.local_symbols_offset, where,
                fmt::format("{:#x}+{:#x} runs past the end of the file ({:#x} bytes)", h.local_symbols_offset,
                            h.local_symbols_size, f->bytes.size()));
    return std::nullopt;
  }
  const ByteReader info = *info_r;
  auto hdr = info.read<dyld_cache_local_symbols_info>(0);
  if (!hdr) {
    diags.error(info.base(), where, "shorter than dyld_cache_local_symbols_info");
    return std::nullopt;
  }
  // 64-bit entries (VM offsets) from the iOS 15 / macOS 12 layout on, judged by the main header.
  const bool e64 = main().header_size() >= offsetof(dyld_cache_header, symbolFileUUID);
  const uint64_t es = e64 ? sizeof(dyld_cache_local_symbols_entry_64) : sizeof(dyld_cache_local_symbols_entry);
  auto entries = info.sub(hdr->entriesOffset, uint64_t(hdr->entriesCount) * es);
  auto nlists = info.sub(hdr->nlistOffset, uint64_t(hdr->nlistCount) * sizeof(macho::nlist_64));
  auto strings = info.sub(hdr->stringsOffset, hdr->stringsSize);
  if (!entries || !nlists || !strings) {
    diags.error(info.base(), where,
                fmt::format("entries, nlist or strings run past the local symbols info ({:#x} bytes)", info.size()));
    return std::nullopt;
  }
  uint64_t key = img.address - base_address;
  if (!e64) {
    auto l = locate(img.address);
    if (!l) return std::nullopt;
    key = l->offset;
  }
  for (uint64_t i = 0; i < hdr->entriesCount; ++i) {
    uint64_t dylib_off;
    uint32_t start, count;
    if (e64) {
      auto e = *entries->read<dyld_cache_local_symbols_entry_64>(i * es);
      dylib_off = e.dylibOffset; start = e.nlistStartIndex; count = e.nlistCount;
    } else {
      auto e = *entries->read<dyld_cache_local_symbols_entry>(i * es);
      dylib_off = e.dylibOffset; start = e.nlistStartIndex; count = e.nlistCount;
    }
    if (dylib_off != key) continue;
    if (uint64_t(start) + count > hdr->nlistCount) {
      diags.error(entries->base() + i * es, where,
                  fmt::format("entry {}: nlist {}+{} exceeds the {} entries", i, start, count, hdr->nlistCount));
      return std::nullopt;
    }
    LocalSymbols out;
    out.symbols.reserve(count);
    for (uint64_t k = start; k < uint64_t(start) + count; ++k) {
      auto n = *nlists->read<macho::nlist_64>(k * sizeof(macho::nlist_64));
      macho::Symbol s;
      s.type = n.n_type; s.sect = n.n_sect; s.desc = n.n_desc; s.value = n.n_value;
      if (auto name = strings->cstring(n.n_strx)) s.name = std::string(*name);
      else diags.warning(nlists->base() + k * 16, where, fmt::format("nlist {}: n_strx {:#x} is outside the strings", k, n.n_strx));
      out.symbols.push_back(std::move(s));
    }
    return out;
  }
  return LocalSymbols{};
}

}  // namespace upscope::dyld_cache
