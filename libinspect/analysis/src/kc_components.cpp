#include "kc_components.hpp"

#include <array>
#include <memory>

#include <fmt/format.h>

#include "analysis/image_facts.hpp"
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
  // Shared with deferred drill-downs (opt.lazy_functions); it keeps the collection's bytes alive.
  const auto coll = std::make_shared<const kc::KernelCollection>(std::move(*kc));
  // One fixup table for the whole collection: the top-level image's chains cover every entry's data,
  // their targets counted from the collection's base.
  Diagnostics fd;
  const auto fixups = std::make_shared<const macho::Fixups>(
      macho::read_fixups(coll->top, coll->macho, coll->top.text_vmaddr(), fd));
  // The collection file itself: any byte of it that changed (PRELINK_INFO, shared LINKEDIT, padding)
  // is a change in kernel space, even where no entry changed.
  base.kind = ComponentKind::kFile;
  base.space = Space::kKernel;
  base.location = loc;
  r.components.push_back(base);
  for (const auto& e : coll->entries) {
    Component c;
    c.id = e.bundle_id.empty() ? e.id : e.bundle_id;  // the kernel keeps its entry id, com.apple.kernel
    c.path = rel + ":" + e.id;
    c.kind = e.is_kernel ? ComponentKind::kKernel : ComponentKind::kKext;
    c.space = Space::kKernel;
    c.location = loc;
    c.version = e.is_kernel ? coll->kernel_version : e.version;
    c.uuid = e.uuid;
    c.size = e.size;
    if (!e.content_hash.empty()) c.hashes["sha256"] = e.content_hash;
    if (e.error) r.not_analysed.push_back({c.path, e.error->message()});
    const macho::MachO* m = e.image ? &*e.image : (e.is_kernel && !e.codeless ? &coll->top : nullptr);
    if (m) {
      if (opt.lazy_functions) {
        c.facts_loader = [coll, m, fixups] {
          auto f = image_facts(file_image(*m, coll->macho, m->arch, fixups), false);
          return ComponentFacts{std::move(f.code_hash), std::move(f.facts)};
        };
        c.detail_loader = [coll, m, fixups] { return image_detail(file_image(*m, coll->macho, m->arch, fixups)); };
      } else {
        auto facts = image_facts(file_image(*m, coll->macho, m->arch, fixups), true);
        c.code_hash = facts.code_hash;
        c.facts = std::move(facts.facts);
        c.functions = std::move(facts.functions);
      }
      if (opt.symbols)
        for (const auto& x : m->exports) c.symbols.push_back(x.name);
    }
    r.components.push_back(std::move(c));
  }
  if (coll->entries.empty()) r.not_analysed.push_back({rel, "kernel collection has no entries"});
  for (const auto& x : fd.items())
    if (x.severity == Severity::kError) r.not_analysed.push_back({rel, "fixups: " + x.text()});
  return r;
}

}  // namespace upscope::build
