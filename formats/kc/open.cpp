// Opening a kernel collection: remove the wrappers, read the container header, read every fileset
// entry (or legacy kext) in place in parallel, join them with __PRELINK_INFO, name the kind.
#include <algorithm>
#include <cstring>
#include <future>
#include <unordered_map>

#include <fmt/format.h>

#include "compress/codec.hpp"
#include "compress/complzss.hpp"
#include "disasm/normalize.hpp"
#include "img4/im4p.hpp"
#include "inspect/hash.hpp"
#include "inspect/text.hpp"
#include "inspect/thread_pool.hpp"
#include "kc/kc.hpp"
#include "macho/names.hpp"
#include "macho/structs.hpp"

namespace upscope::kc {

const char* to_string(Kind k) {
  switch (k) {
    case Kind::kBootKc: return "boot-kc";
    case Kind::kSystemKc: return "system-kc";
    case Kind::kAuxKc: return "aux-kc";
    case Kind::kFileset: return "fileset";
    case Kind::kKernelcache: return "kernelcache";
    case Kind::kMachO: return "macho";
  }
  return "macho";
}

size_t KernelCollection::kext_count() const {
  return static_cast<size_t>(std::count_if(entries.begin(), entries.end(), [](const Entry& e) { return !e.is_kernel; }));
}

namespace {

constexpr std::string_view kKernelId = "com.apple.kernel";
constexpr int kMaxLayers = 6;

std::string uuid_text(const std::optional<Uuid>& u) { return u ? uuid_string(Bytes(u->data(), 16)) : std::string(); }

// ---- wrappers ----------------------------------------------------------------------------------

struct Unwrapped {
  ByteReader bytes;
  std::shared_ptr<const std::vector<uint8_t>> owned;
  std::vector<std::string> layers;
};

Status adopt(Unwrapped& u, Result<std::vector<uint8_t>> decoded, const char* layer, uint64_t at) {
  if (!decoded) return fail(std::move(decoded).error().shifted(at));
  auto owned = std::make_shared<const std::vector<uint8_t>>(std::move(*decoded));
  u.bytes = ByteReader(Bytes(*owned), 0, "decoded kernelcache");
  u.owned = std::move(owned);  // after re-pointing: the previous buffer is no longer referenced
  u.layers.emplace_back(layer);
  return {};
}

Result<Unwrapped> unwrap(ByteReader in, const OpenOptions& opt, Diagnostics& diags) {
  Unwrapped u{in, nullptr, {}};
  for (int depth = 0; depth < kMaxLayers; ++depth) {
    const ByteReader b = u.bytes;
    if (b.size() >= 2 && b.data()[0] == 0x30) {  // DER SEQUENCE: only IM4P is expected here
      UPSCOPE_TRY(img4::Im4p p, img4::parse_im4p(b));
      if (p.has_keybag)
        return fail(ErrorCode::kUnsupported, "IM4P", fmt::format("the '{}' payload is encrypted (it carries a keybag)", p.type),
                    b.base());
      u.layers.push_back("im4p " + p.type);
      u.bytes = p.payload;
      continue;
    }
    if (b.starts_with("complzss")) {
      UPSCOPE_TRY(compress::ComplzssPayload p, compress::decode_complzss(b, opt.max_decoded));
      if (!p.adler_ok())
        diags.error(b.base() + 8, "complzss header",
                    fmt::format("Adler-32 of the decoded data is {:#010x}, header says {:#010x}", p.computed_adler32,
                                p.header.adler32));
      UPSCOPE_CHECK(adopt(u, std::move(p.data), "lzss", b.base()));
      continue;
    }
    if (b.starts_with("bvx")) {
      UPSCOPE_CHECK(adopt(u, compress::decode_to_vector(compress::Codec::kLzfse, b.data(), opt.max_decoded), "lzfse",
                          b.base()));
      continue;
    }
    auto magic = b.u32be(0);
    if (magic && (*magic == macho::FAT_MAGIC || *magic == macho::FAT_MAGIC_64)) {
      const bool fat64 = *magic == macho::FAT_MAGIC_64;
      Cursor c(b, 4);
      const uint32_t nfat = c.u32be();
      const uint32_t cputype = c.u32be(), cpusubtype = c.u32be();
      const uint64_t off = fat64 ? c.u64be() : c.u32be();
      const uint64_t size = fat64 ? c.u64be() : c.u32be();
      if (!c.ok() || nfat == 0)
        return fail(ErrorCode::kTruncated, "fat_header", "no complete fat_arch entry", b.base());
      auto slice = b.sub(off, size, "fat slice");
      if (!slice)
        return fail(ErrorCode::kTruncated, "fat slice 0",
                    fmt::format("offset+size {:#x}+{:#x} extends past the end of the data ({:#x} bytes)", off, size, b.size()),
                    b.base() + 8);
      if (nfat > 1) diags.note(b.base(), "fat_header", fmt::format("{} slices: reading the first", nfat));
      u.layers.push_back("fat " + macho::cpu_name(cputype, cpusubtype));
      u.bytes = *slice;
      continue;
    }
    break;
  }
  return u;
}

// ---- entries -----------------------------------------------------------------------------------

macho::ParseOptions entry_options(const OpenOptions& opt) {
  macho::ParseOptions po;
  po.symbols = po.exports = po.function_starts = opt.symbols;
  po.code_hash = false;  // read_entries hashes a batch of entries' code side by side (code_hashes)
  return po;
}

bool outside_content(const std::string& seg, bool legacy_kernel) {
  if (seg == "__LINKEDIT") return true;
  return legacy_kernel && (seg.rfind("__PRELINK", 0) == 0 || seg.rfind("__PLK", 0) == 0);
}

void fill(Entry& e, const macho::MachO& m, const ByteReader& file, const OpenOptions& opt, bool legacy_kernel) {
  e.uuid = m.uuid ? uuid_string(Bytes(m.uuid->data(), 16)) : std::string();
  e.code_sha256 = m.code_sha256;
  e.code_bytes = m.code_bytes;
  std::optional<Hasher> h;
  if (opt.content_hash) h.emplace(*opt.content_hash);
  uint64_t size = 0;
  for (const auto& s : m.segments) {
    if (s.filesize == 0 || outside_content(s.segname, legacy_kernel)) continue;
    auto bytes = file.bytes(s.fileoff, s.filesize);
    if (!bytes) continue;  // reported by the Mach-O reader
    size += s.filesize;
    if (h) h->update(*bytes);
  }
  e.size = size;
  if (h) e.content_hash = h->hex_digest();
}

// What reading one entry leaves besides the entry itself.
struct EntryJob {
  Diagnostics d;
  disasm::CodeImage code;  // what the code hash covers (when OpenOptions::code_hash)
};

void prefix(Diagnostics& out, const Diagnostics& in, const std::string& where) {
  for (Diagnostic d : in.items()) {
    d.structure = d.structure.empty() ? where : where + ": " + d.structure;
    out.add(std::move(d));
  }
}

// Reads the Mach-O whose header sits at e.fileoff of `mach`. Its offsets count from `mach`, except
// in old prelinked kernels where a kext's offsets count from its own header (allow_relative).
EntryJob read_entry(const ByteReader& mach, Entry& x, const std::string& where, const OpenOptions& opt,
                    bool allow_relative) {
  EntryJob j;
  if (x.fileoff >= mach.size()) {
    x.error = make_error(ErrorCode::kTruncated, where,
                         fmt::format("header offset {:#x} is past the end of the collection ({:#x} bytes)", x.fileoff,
                                     mach.size()));
    return j;
  }
  ByteReader view = *mach.sub(x.fileoff, mach.size() - x.fileoff, "fileset entry");
  macho::ParseOptions po = entry_options(opt);
  po.offsets_base = mach;
  Diagnostics local;
  auto m = macho::parse(view, local, po);
  ByteReader file = mach;
  if (m && allow_relative && x.fileoff != 0) {
    auto first = std::find_if(m->segments.begin(), m->segments.end(), [](const auto& s) { return s.filesize != 0; });
    if (first != m->segments.end() && first->fileoff == 0) {
      local = Diagnostics();
      po.offsets_base.reset();
      m = macho::parse(view, local, po);
      file = view;
    }
  }
  prefix(j.d, local, where);
  if (!m) {
    Error err = m.error();
    err.structure = where + ": " + err.structure;
    x.error = std::move(err);
    return j;
  }
  fill(x, *m, file, opt, false);
  if (opt.code_hash) {
    j.code.arch = macho::code_arch(m->cputype);
    j.code.sections = macho::code_sections(*m, file);
    for (Bytes b : j.code.sections) x.code_bytes += b.size();
  }
  x.image = std::move(*m);
  return j;
}

// Reads kc.entries[first...] in place (an Entry is 1.5 KB: moving 600 of them through a pending
// list and per-task results cost more page faults than reading their headers).
void read_entries(KernelCollection& kc, ThreadPool& pool, size_t first, const char* what, const OpenOptions& opt,
                  bool allow_relative, Diagnostics& diags) {
  // 32 entries per task: a task per entry cost a thread wake-up each (1,300 futex calls for 600 kexts),
  // and a batch's code hashes run sixteen side by side (disasm::code_hashes).
  const auto batches = batch_ranges(kc.entries.size() - first, 32, UINT64_MAX, [](size_t) { return uint64_t{0}; });
  // Tasks write only their own entries, and nothing is added to kc.entries until they are done.
  ordered_parallel_map(
      pool, batches.size(), size_t(pool.size()) * 4,
      [&](size_t b) {
        Entry* batch = &kc.entries[first + batches[b].first];
        const size_t n = batches[b].second - batches[b].first;
        std::vector<EntryJob> jobs;
        jobs.reserve(n);
        for (size_t k = 0; k < n; ++k)
          jobs.push_back(read_entry(kc.macho, batch[k], fmt::format("{} {}", what, batch[k].id), opt, allow_relative));
        if (opt.code_hash) {
          std::vector<disasm::CodeImage> code;
          std::vector<Entry*> read;
          for (size_t k = 0; k < jobs.size(); ++k) {
            if (!batch[k].image) continue;
            code.push_back(std::move(jobs[k].code));
            read.push_back(&batch[k]);
          }
          auto hashes = disasm::code_hashes(code);
          for (size_t k = 0; k < read.size(); ++k) read[k]->code_sha256 = std::move(hashes[k].sha256);
        }
        return jobs;
      },
      [&](size_t b, std::vector<EntryJob> jobs) {
        const Entry* batch = &kc.entries[first + batches[b].first];
        for (size_t k = 0; k < jobs.size(); ++k) {
          diags.append(jobs[k].d);
          if (batch[k].error) diags.add(*batch[k].error);
        }
        // Hashed entries are not read again: drop their pages so RSS stays well below the file size.
        // (Without hashes only headers were touched: nothing worth a madvise over the whole file.)
        if (kc.source && (opt.code_hash || opt.content_hash) && b % 4 == 3) kc.source->release(0, kc.source->size());
        return true;
      });
}

// ---- __PRELINK_INFO ----------------------------------------------------------------------------

std::optional<ByteReader> prelink_bytes(const KernelCollection& kc) {
  const macho::Segment* seg = kc.top.segment("__PRELINK_INFO");
  if (!seg) return std::nullopt;
  for (const auto& s : seg->sections)
    if (s.sectname == "__info" && !s.zerofill())
      if (auto v = kc.macho.sub(s.offset, s.size, "__PRELINK_INFO,__info")) return *v;
  if (auto v = kc.macho.sub(seg->fileoff, seg->filesize, "__PRELINK_INFO")) return *v;
  return std::nullopt;  // out of range: reported by the Mach-O reader
}

// What an entry takes from its PRELINK_INFO dictionary (the plist's kext at `index`).
void take_prelink_fields(Entry& e, const PrelinkKext& k, size_t index) {
  e.prelink_index = static_cast<int>(index);
  e.bundle_id = k.bundle_id;
  e.version = k.version;
  e.short_version = k.short_version;
  e.bundle_path = k.bundle_path;
  e.executable_path = k.executable_path;
}

void join_prelink(KernelCollection& kc, bool fileset, Diagnostics& diags) {
  if (!kc.prelink) return;
  const auto& kexts = kc.prelink->kexts;
  std::unordered_map<std::string, size_t> by_id;
  std::unordered_map<uint64_t, size_t> by_addr;
  for (size_t i = 0; i < kexts.size(); ++i) {
    by_id.emplace(kexts[i].bundle_id, i);
    if (kexts[i].load_addr) by_addr.emplace(*kexts[i].load_addr, i);
  }
  std::vector<bool> used(kexts.size());
  for (Entry& e : kc.entries) {
    auto it = by_id.find(e.id);
    size_t idx;
    if (it != by_id.end()) idx = it->second;
    else if (auto a = by_addr.find(e.vmaddr); a != by_addr.end() && !e.is_kernel) idx = a->second;
    else continue;
    used[idx] = true;
    const PrelinkKext& k = kexts[idx];
    take_prelink_fields(e, k, idx);
    e.load_addr = k.load_addr;
    if (fileset && k.load_addr && *k.load_addr != e.vmaddr)
      diags.warning(std::nullopt, "fileset entry " + e.id,
                    fmt::format("_PrelinkExecutableLoadAddr {:#x} differs from LC_FILESET_ENTRY vmaddr {:#x}",
                                *k.load_addr, e.vmaddr));
  }
  for (size_t i = 0; i < kexts.size(); ++i) {
    if (used[i]) continue;
    const PrelinkKext& k = kexts[i];
    if (k.load_addr && *k.load_addr != 0) {
      diags.warning(std::nullopt, "PRELINK_INFO plist kext " + k.bundle_id,
                    fmt::format("_PrelinkExecutableLoadAddr {:#x} matches no {}", *k.load_addr,
                                fileset ? "fileset entry" : "Mach-O in the kernelcache"));
      continue;
    }
    Entry e;  // codeless kext (an Info.plist only: a kpi pseudo-kext, a personality-only bundle)
    e.id = k.bundle_id;
    e.codeless = true;
    take_prelink_fields(e, k, i);
    kc.entries.push_back(std::move(e));
  }
}

// ---- kinds -------------------------------------------------------------------------------------

void classify(KernelCollection& kc) {
  const bool has_kernel = std::any_of(kc.entries.begin(), kc.entries.end(), [](const Entry& e) { return e.is_kernel; });
  if (has_kernel) {
    kc.kind = Kind::kBootKc;
    kc.kind_reason = "holds the kernel (fileset entry com.apple.kernel)";
  } else if (!kc.pageable_kc_id.empty()) {
    kc.kind = Kind::kAuxKc;
    kc.kind_reason = "_PageableKCID links it to a System KC";
  } else if (!kc.boot_kc_id.empty()) {
    const bool apple_only = std::all_of(kc.entries.begin(), kc.entries.end(), [](const Entry& e) {
      return e.id.rfind("com.apple.", 0) == 0;
    });
    kc.kind = apple_only ? Kind::kSystemKc : Kind::kAuxKc;
    kc.kind_reason = apple_only ? "_BootKCID and only com.apple.* kexts" : "_BootKCID and kexts from outside Apple";
  } else {
    kc.kind = Kind::kFileset;
    kc.kind_reason = "no kernel entry and no _BootKCID";
  }
}

Status read_collection(KernelCollection& kc, Diagnostics& diags, const OpenOptions& opt) {
  auto filetype = kc.macho.u32le(12);
  macho::ParseOptions top;
  top.symbols = top.exports = top.function_starts = opt.symbols;
  top.code_hash = opt.code_hash && (!filetype || *filetype != macho::MH_FILESET);
  UPSCOPE_TRY(kc.top, macho::parse(kc.macho, diags, top));
  kc.uuid = kc.top.uuid ? uuid_string(Bytes(kc.top.uuid->data(), 16)) : std::string();
  ThreadPool pool(opt.jobs);
  const bool fileset = kc.top.filetype == macho::MH_FILESET;
  // A fileset's entries do not need the plist until they are joined: it is parsed on a worker while
  // the others read entries. Its diagnostics still come first.
  Diagnostics prelink_diags;
  auto parse_prelink = [&] {
    if (auto xml = prelink_bytes(kc)) {
      auto info = parse_prelink_info(*xml, prelink_diags);
      if (info) kc.prelink = std::move(*info);
      else prelink_diags.add(info.error());
    }
    if (kc.prelink) {
      kc.kc_id = uuid_text(kc.prelink->kc_id);
      kc.boot_kc_id = uuid_text(kc.prelink->boot_kc_id);
      kc.pageable_kc_id = uuid_text(kc.prelink->pageable_kc_id);
    }
  };
  std::future<void> prelink_done;
  if (fileset) {
    prelink_done = pool.submit(parse_prelink);
  } else {
    parse_prelink();
    diags.append(prelink_diags);
  }

  if (fileset) {
    const size_t first = kc.entries.size();
    kc.entries.reserve(first + kc.top.fileset_entries.size());
    std::unordered_map<uint64_t, std::string> headers;
    Diagnostics entry_diags;
    for (const auto& fe : kc.top.fileset_entries) {
      Entry e;
      e.id = fe.entry_id;
      e.vmaddr = fe.vmaddr;
      e.fileoff = fe.fileoff;
      e.is_kernel = fe.entry_id == kKernelId;
      auto [it, fresh] = headers.emplace(fe.fileoff, fe.entry_id);
      if (!fresh)
        entry_diags.error(std::nullopt, "fileset entry " + fe.entry_id,
                    fmt::format("fileoff {:#x} is also the header of fileset entry {}", fe.fileoff, it->second));
      kc.entries.push_back(std::move(e));
    }
    read_entries(kc, pool, first, "fileset entry", opt, false, entry_diags);
    prelink_done.get();
    diags.append(prelink_diags);
    diags.append(entry_diags);
    for (const Entry& e : kc.entries)
      if (e.image && e.image->text_vmaddr() != e.vmaddr)
        diags.warning(std::nullopt, "fileset entry " + e.id,
                      fmt::format("LC_FILESET_ENTRY vmaddr {:#x} differs from its __TEXT vmaddr {:#x}", e.vmaddr,
                                  e.image->text_vmaddr()));
    join_prelink(kc, true, diags);
    classify(kc);
  } else {
    // The top image is the kernel (legacy prelinked kernelcache, or a bare kernel / other Mach-O).
    const bool legacy = kc.top.segment("__PRELINK_INFO") != nullptr;
    Entry k;
    k.vmaddr = kc.top.text_vmaddr();
    k.fileoff = 0;
    fill(k, kc.top, kc.macho, opt, legacy);
    kc.kind = legacy ? Kind::kKernelcache : Kind::kMachO;
    kc.kind_reason = legacy ? "MH_EXECUTE with a __PRELINK_INFO segment" : "a Mach-O without kexts";
    kc.kernel_version = find_kernel_version(kc.top, kc.macho);
    k.is_kernel = legacy || !kc.kernel_version.empty();
    k.id = k.is_kernel ? std::string(kKernelId) : kc.name;
    kc.entries.push_back(std::move(k));
    if (legacy && kc.prelink) {
      const size_t first = kc.entries.size();
      kc.entries.reserve(first + kc.prelink->kexts.size());
      for (const auto& x : kc.prelink->kexts) {
        if (!x.load_addr || *x.load_addr == 0) continue;  // codeless: joined below
        Entry e;
        e.id = x.bundle_id;
        e.vmaddr = *x.load_addr;
        const macho::Segment* in = nullptr;
        for (const auto& s : kc.top.segments)
          if (s.filesize && e.vmaddr >= s.vmaddr && e.vmaddr - s.vmaddr < s.filesize) in = &s;
        if (!in) {
          diags.error(std::nullopt, "PRELINK_INFO plist kext " + x.bundle_id,
                      fmt::format("_PrelinkExecutableLoadAddr {:#x} lies in no file-backed segment", e.vmaddr));
          continue;
        }
        e.fileoff = in->fileoff + (e.vmaddr - in->vmaddr);
        kc.entries.push_back(std::move(e));
      }
      read_entries(kc, pool, first, "kext", opt, true, diags);
      join_prelink(kc, false, diags);
    }
  }
  // Kernel first, then the file's order (usually already so: skip stable_partition's 600-entry buffer).
  const auto kernel_first = [](const Entry& e) { return e.is_kernel; };
  if (!std::is_partitioned(kc.entries.begin(), kc.entries.end(), kernel_first))
    std::stable_partition(kc.entries.begin(), kc.entries.end(), kernel_first);
  if (kc.top.filetype == macho::MH_FILESET && !kc.entries.empty() && kc.entries.front().is_kernel &&
      kc.entries.front().image)
    kc.kernel_version = find_kernel_version(*kc.entries.front().image, kc.macho);
  for (Entry& e : kc.entries)
    if (e.is_kernel && e.version.empty()) e.version = kc.kernel_version;
  return {};
}

}  // namespace

std::string find_kernel_version(const macho::MachO& m, const ByteReader& file) {
  static constexpr std::string_view kPrefix = "Darwin Kernel Version ";
  auto scan = [&](uint64_t off, uint64_t size) -> std::string {
    auto b = file.bytes(off, size);
    if (!b) return {};
    std::string_view s(reinterpret_cast<const char*>(b->data()), b->size());
    size_t p = s.find(kPrefix);
    if (p == std::string_view::npos) return {};
    size_t e = std::min({s.find('\0', p), s.size(), p + 512});
    return std::string(s.substr(p, e - p));
  };
  for (const char* sect : {"__const", "__cstring"})
    for (const auto& seg : m.segments)
      if (seg.segname == "__TEXT")
        for (const auto& s : seg.sections)
          if (s.sectname == sect && !s.zerofill())
            if (auto v = scan(s.offset, s.size); !v.empty()) return v;
  if (const macho::Segment* t = m.segment("__TEXT")) return scan(t->fileoff, t->filesize);
  return {};
}

std::string check_boot_link(const KernelCollection& child, const KernelCollection& boot) {
  if (boot.kind != Kind::kBootKc) return fmt::format("{} is a {}, not a Boot KC", boot.name, to_string(boot.kind));
  if (child.boot_kc_id.empty()) return fmt::format("{} has no _BootKCID", child.name);
  if (child.boot_kc_id == boot.uuid || (!boot.kc_id.empty() && child.boot_kc_id == boot.kc_id)) return {};
  return fmt::format("_BootKCID {} is not the Boot KC's UUID {}", child.boot_kc_id, boot.uuid);
}

namespace {

// `mapped`: the source whose mapping `bytes` views (its pages can be released while entries are read).
Result<KernelCollection> read_from(ByteReader bytes, std::string name, Diagnostics& diags, const OpenOptions& opt,
                                   SourcePtr mapped) {
  KernelCollection kc;
  kc.name = std::move(name);
  kc.source = std::move(mapped);
  kc.content_hash_kind = opt.content_hash;
  auto u = unwrap(bytes, opt, diags);
  if (!u) return fail(u.error().in_file(kc.name));
  kc.macho = u->bytes;
  kc.decoded = std::move(u->owned);
  kc.layers = std::move(u->layers);
  auto st = read_collection(kc, diags, opt);
  if (!st) {
    Error e = st.error();
    if (!kc.layers.empty()) e.structure = fmt::format("{} (inside {})", e.structure, kc.layers.back());
    return fail(e.in_file(kc.name));
  }
  return kc;
}

}  // namespace

Result<KernelCollection> read(ByteReader bytes, std::string name, Diagnostics& diags, const OpenOptions& opt) {
  return read_from(bytes, std::move(name), diags, opt, nullptr);
}

Result<KernelCollection> open(const SourcePtr& src, Diagnostics& diags, const OpenOptions& opt) {
  std::shared_ptr<const std::vector<uint8_t>> copy;
  std::optional<Bytes> bytes = src->contiguous();
  if (!bytes) {
    UPSCOPE_TRY(std::vector<uint8_t> v, src->read_vector(0, src->size()));
    copy = std::make_shared<const std::vector<uint8_t>>(std::move(v));
    bytes = Bytes(*copy);
  }
  UPSCOPE_TRY(KernelCollection kc,
              read_from(ByteReader(*bytes, 0, "kernel collection"), src->name(), diags, opt, copy ? nullptr : src));
  kc.source = src;
  if (!kc.decoded) kc.decoded = std::move(copy);
  return kc;
}

}  // namespace upscope::kc
