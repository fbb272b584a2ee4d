#include "build/kc_components.hpp"

#include <array>
#include <memory>

#include <fmt/format.h>

#include "build/functions.hpp"
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
  ko.content_hash.reset();  // diffs compare code hashes, UUIDs and versions; `upscope ls --hash` gives content
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
  // Shared with deferred function hashes (opt.lazy_functions); it keeps the collection's bytes alive.
  const auto coll = std::make_shared<const kc::KernelCollection>(std::move(*kc));
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
    c.code_hash = e.code_sha256;
    if (e.error) r.not_analysed.push_back({c.path, e.error->message()});
    const macho::MachO* m = e.image ? &*e.image : (e.is_kernel && !e.codeless ? &coll->top : nullptr);
    if (m) {
      if (opt.lazy_functions) c.functions_loader = [coll, m] { return function_hashes(*m, coll->macho); };
      else c.functions = function_hashes(*m, coll->macho);
      if (opt.symbols)
        for (const auto& x : m->exports) c.symbols.push_back(x.name);
    }
    r.components.push_back(std::move(c));
  }
  if (coll->entries.empty()) r.not_analysed.push_back({rel, "kernel collection has no entries"});
  return r;
}

}  // namespace upscope::build
