#include "kc_components.hpp"

#include <array>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "analysis/image_facts.hpp"
#include "compress/packed_source.hpp"
#include "inspect/lazy_map.hpp"
#include "macho/fixups.hpp"
#include "kc/kc.hpp"

namespace upscope::build {

namespace {

Location location_of(kc::Kind k, Location where) {
  if (where != Location::kUnknown) return where;
  switch (k) {
    case kc::Kind::kBootKc: return Location::kBootKc;
    case kc::Kind::kSystemKc: return Location::kSystemKc;
    case kc::Kind::kAuxKc: return Location::kAuxKc;
    case kc::Kind::kKernelcache: return Location::kKernelcache;
    default: return Location::kUnknown;
  }
}

// One fixup table for the whole collection: the top-level image's chains cover every entry's data,
// their targets counted from the collection's base.
std::shared_ptr<const macho::Fixups> collection_fixups(const kc::KernelCollection& coll, Diagnostics& diags) {
  return std::make_shared<const macho::Fixups>(macho::read_fixups(coll.top, coll.macho, coll.top.text_vmaddr(), diags));
}

// The collection read again for a drill-down (Component::detail_loader), once, when a diff first
// asks. Its decoded bytes (~300 MB for a macOS Boot KC) are not held through the inventory and the
// diff, where they were two builds' worth of a verdict's peak memory: a decoded payload is kept
// LZ4-packed and read back through a lazy span, so a drill-down decodes only the pages it touches
// (docs/reading.md). Without a lazy span (no userfaultfd), the collection is opened again.
class Reread {
 public:
  struct Loaded {
    SourcePtr span;  // the lazy span the collection's bytes lie in, when read from the packed copy
    kc::KernelCollection coll;
    std::shared_ptr<const macho::Fixups> fixups;
  };
  Reread(SourcePtr src, kc::OpenOptions opt, SourcePtr packed)
      : src_(std::move(src)), opt_(opt), packed_(std::move(packed)) {}

  // Null when the collection cannot be read again. Kept once read: a full update changes every kext.
  std::shared_ptr<const Loaded> get() {
    std::lock_guard<std::mutex> lk(mu_);
    if (tried_) return loaded_;
    tried_ = true;
    auto l = std::make_shared<Loaded>();
    Diagnostics d;
    Result<kc::KernelCollection> kc = fail(ErrorCode::kUnsupported, "kernel collection", "not read again");
    if (packed_) {
      l->span = lazy_contiguous(packed_, 0);
      if (auto bytes = l->span->contiguous()) kc = kc::read(ByteReader(*bytes, 0, "kernel collection"), src_->name(), d, opt_);
    }
    if (!kc) {
      l->span.reset();
      kc = kc::open(src_, d, opt_);
    }
    if (!kc) return nullptr;
    l->coll = std::move(*kc);
    Diagnostics fd;
    l->fixups = collection_fixups(l->coll, fd);
    if (l->span) l->span->release(0, l->span->size());
    loaded_ = std::move(l);
    return loaded_;
  }

 private:
  SourcePtr src_;
  kc::OpenOptions opt_;
  SourcePtr packed_;
  std::mutex mu_;
  bool tried_ = false;
  std::shared_ptr<const Loaded> loaded_;
};

// Below one block a decoded collection is held as it is: a packed copy would save nothing.
constexpr uint64_t kPackAtLeast = compress::PackedSource::kBlock;

// The image of entry i (the kernel's is the collection's own header), as read_kernel_collection chose it.
const macho::MachO* entry_image(const kc::KernelCollection& coll, size_t i) {
  const kc::Entry& e = coll.entries[i];
  return e.image ? &*e.image : (e.is_kernel && !e.codeless ? &coll.top : nullptr);
}

}  // namespace

FileResult read_kernel_collection(const std::string& rel, const SourcePtr& src, const Placement& pl,
                                  const InventoryOptions& opt, Component base) {
  FileResult r;
  kc::OpenOptions ko;
  ko.jobs = 1;  // the inventory already reads files in parallel
  ko.symbols = opt.symbols;
  ko.content_hash = HashKind::kSha256;  // byte truth: every entry carries the hash of its own bytes
  Diagnostics d;
  auto kc = kc::open(src, d, ko);
  if (!kc || kc->kind == kc::Kind::kMachO) {
    // Not a kernel collection after all (an IM4P of firmware, a plain Mach-O payload): a file.
    // A Mach-O that fails is a fileset we could not read; a wrapped payload that fails stays a file.
    std::array<uint8_t, 4> magic{};
    const bool macho_file = src->read_at(0, magic) && load_u32le(magic.data()) == 0xfeedfacf;
    if (!kc && (macho_file || pl.space == Space::kKernel)) r.not_analysed.push_back({rel, kc.error().message()});
    r.components.push_back(std::move(base));
    return r;
  }
  const Location loc = location_of(kc->kind, pl.location);
  const kc::KernelCollection coll = std::move(*kc);
  Diagnostics fd;
  const auto fixups = collection_fixups(coll, fd);
  // The code hash and facts of every entry are computed now, while the bytes are here (a diff
  // compares them for every changed entry); only the drill-down reads the collection again.
  std::shared_ptr<Reread> again;
  if (opt.lazy_functions) {
    kc::OpenOptions ro = ko;
    ro.content_hash.reset();  // the inventory has the hashes; the drill-down needs the bytes
    ro.code_hash = false;
    // Only a payload decoded into memory is worth packing: a mapped file costs no heap.
    SourcePtr packed;
    if (coll.decoded && coll.decoded->size() >= kPackAtLeast)
      packed = std::make_shared<const compress::PackedSource>(Bytes(*coll.decoded), rel);
    again = std::make_shared<Reread>(src, ro, std::move(packed));
  }
  // The collection file itself: any byte of it that changed (PRELINK_INFO, shared LINKEDIT, padding)
  // is a change in kernel space, even where no entry changed.
  base.kind = ComponentKind::kFile;
  base.space = Space::kKernel;
  base.location = loc;
  r.components.push_back(base);
  for (size_t i = 0; i < coll.entries.size(); ++i) {
    const kc::Entry& e = coll.entries[i];
    Component c;
    c.id = e.bundle_id.empty() ? e.id : e.bundle_id;  // the kernel keeps its entry id, com.apple.kernel
    c.path = rel + ":" + e.id;
    c.kind = e.is_kernel ? ComponentKind::kKernel : ComponentKind::kKext;
    c.space = Space::kKernel;
    c.location = loc;
    c.version = e.is_kernel ? coll.kernel_version : e.version;
    c.uuid = e.uuid;
    c.size = e.size;
    if (!e.content_hash.empty()) c.hashes["sha256"] = e.content_hash;
    if (e.error) r.not_analysed.push_back({c.path, e.error->message()});
    if (const macho::MachO* m = entry_image(coll, i)) {
      // Function hashes only without a drill-down, which compares the functions itself.
      auto facts = image_facts(file_image(*m, coll.macho, m->arch, fixups), !again);
      c.code_hash = facts.code_hash;
      c.facts = std::move(facts.facts);
      c.functions = std::move(facts.functions);
      if (again)
        c.detail_loader = [again, i, id = e.id]() -> ComponentDetail {
          auto l = again->get();
          if (!l || i >= l->coll.entries.size()) return {};
          const macho::MachO* mm = entry_image(l->coll, i);
          if (!mm || l->coll.entries[i].id != id) return {};
          ComponentDetail out = image_detail(file_image(*mm, l->coll.macho, mm->arch, l->fixups));
          if (l->span) {
            // A page that could not be filled read as zeros: nothing read from the span is trusted.
            if (lazy_map_error(*l->span)) return {};
            l->span->release(0, l->span->size());
          }
          return out;
        };
      if (opt.symbols)
        for (const auto& x : m->exports) c.symbols.push_back(x.name);
    }
    r.components.push_back(std::move(c));
  }
  if (coll.entries.empty()) r.not_analysed.push_back({rel, "kernel collection has no entries"});
  for (const auto& x : fd.items())
    if (x.severity == Severity::kError) r.not_analysed.push_back({rel, "fixups: " + x.text()});
  return r;
}

}  // namespace upscope::build
