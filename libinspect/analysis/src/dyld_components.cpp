// dyld shared cache images as build components (see dyld_components.hpp). Each image carries the hash
// of its own bytes and the facts of image_facts.hpp: its code normalised symbolically (stubs and GOT
// slots followed through the cache to the export they reach in another image), its data with slid
// pointers replaced by their targets, functions named by exports and the .symbols file's locals.
#include "dyld_components.hpp"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "analysis/image_facts.hpp"
#include "disasm/normalize.hpp"
#include "dyld_cache/cache.hpp"
#include "inspect/hash.hpp"
#include "inspect/lazy_map.hpp"
#include "inspect/text.hpp"
#include "inspect/thread_pool.hpp"
#include "macho/macho.hpp"

namespace fs = std::filesystem;

namespace upscope::build {
namespace {

using namespace dyld_cache;

// Names of addresses in other images of the cache: a stub or GOT slot of one image points into
// another, and the call is known by the export it reaches there. Each image's exports are read the
// first time an address falls in it, then kept (shared by every image of the cache; thread-safe).
// key() hashes the export's name (and the offset past it when the address is not an export) without
// building a string: it runs for every cross-image call of every image.
class ExportIndex : public disasm::ExternalNames {
 public:
  explicit ExportIndex(std::shared_ptr<const Cache> cache) : cache_(std::move(cache)) {}

  std::optional<uint64_t> key(uint64_t addr) override {
    const Image* img = cache_->image_at(addr);
    if (!img) return std::nullopt;
    const Table& t = table(*img);
    auto it = std::upper_bound(t.addrs.begin(), t.addrs.end(), addr);
    if (it == t.addrs.begin()) return mix(t.path_hash, addr - img->address);
    const size_t k = static_cast<size_t>(it - t.addrs.begin()) - 1;
    return mix(t.hashes[k], addr - t.addrs[k]);
  }

  std::string describe(uint64_t addr) override {
    const Image* img = cache_->image_at(addr);
    if (!img) return "[unmapped]";
    const Table& t = table(*img);
    auto it = std::upper_bound(t.addrs.begin(), t.addrs.end(), addr);
    if (it == t.addrs.begin()) return fmt::format("{}+{:#x}", img->path, addr - img->address);
    const size_t k = static_cast<size_t>(it - t.addrs.begin()) - 1;
    return addr == t.addrs[k] ? t.names[k] : fmt::format("{}+{:#x}", t.names[k], addr - t.addrs[k]);
  }

 private:
  struct Table {
    std::vector<uint64_t> addrs, hashes;
    std::vector<std::string> names;
    uint64_t path_hash = 0;
  };
  static uint64_t mix(uint64_t h, uint64_t offset) { return h ^ (offset * 0x9E3779B97F4A7C15ull); }
  static uint64_t hash_of(const std::string& s) {
    return xxh3_64(bytes_of(s));
  }

  // Built once per image, outside the index's lock: another thread drilling into another changed
  // image waits only for a table it needs too.
  const Table& table(const Image& img) {
    std::shared_ptr<Entry> e;
    {
      std::lock_guard<std::mutex> lk(mu_);
      auto& slot = tables_[img.index];
      if (!slot) slot = std::make_shared<Entry>();
      e = slot;
    }
    std::call_once(e->once, [&] { build(img, e->table); });
    return e->table;
  }

  void build(const Image& img, Table& t) const {
    t.path_hash = hash_of(img.path);
    Diagnostics d;
    ImageOptions o;
    o.exports = true;
    o.function_starts = false;
    o.code_hash = false;
    o.const_hash = false;
    if (auto det = cache_->image_detail(img, d, o)) {
      const uint64_t text = det->macho.text_vmaddr();
      std::vector<std::pair<uint64_t, std::string>> v;
      for (const auto& e : det->exports)
        if (!e.is_reexport()) v.emplace_back(text + e.address, e.name);
      std::sort(v.begin(), v.end());
      for (auto& [a, n] : v) {
        t.addrs.push_back(a);
        t.hashes.push_back(hash_of(n));
        t.names.push_back(std::move(n));
      }
    }
  }

  std::shared_ptr<const Cache> cache_;
  struct Entry {
    std::once_flag once;
    Table table;
  };
  std::mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<Entry>> tables_;
};

// One image as the diff reads it (image_facts.hpp): bytes through the cache's VM map, pointers from
// slide info, functions named by exports and the .symbols file's locals, other images through `index`.
ImageInput cache_image(const std::shared_ptr<const Cache>& cache, const Image& img, const ImageDetail& d,
                       const std::shared_ptr<ExportIndex>& index) {
  ImageInput in;
  in.macho = &d.macho;
  in.label = d.macho.arch;
  in.read = [cache](uint64_t addr, uint64_t max) -> Bytes {
    auto l = cache->locate(addr);
    if (!l) return Bytes();
    auto r = cache->read(addr, std::min(max, l->available));
    return r ? r->data() : Bytes();
  };
  in.add_pointers = [cache, &d](disasm::AddressMap& map) {
    Diagnostics diags;
    for (const auto& seg : d.macho.segments) {
      if (seg.segname == "__LINKEDIT" || seg.segname == "__TEXT" || !seg.vmsize) continue;
      for (const auto& p : cache->slid_pointers(seg.vmaddr, std::min(seg.vmsize, seg.filesize), diags))
        map.add_rebase(p.address, p.target);
    }
  };
  in.external = index;
  in.function_starts = d.function_starts;
  in.exports = d.exports;
  Diagnostics ld;
  if (auto locals = cache->local_symbols(img, ld))
    for (const auto& s : locals->symbols)
      if (s.defined_in_section() && !s.name.empty())
        in.extra_symbols.emplace_back(s.value, s.name);
  return in;
}

// A cache file's SHA-256 from its hashing span, or read again when the span could not hash.
std::optional<std::string> file_sha256(const SourcePtr& span, const SourcePtr& file) {
  if (const auto* l = dynamic_cast<const LazyMapSource*>(span.get())) {
    if (auto d = l->digest()) return *d;
  }
  if (auto d = hash_source(HashKind::kSha256, *file)) return *d;
  return std::nullopt;
}

}  // namespace

bool is_main_cache_name(const std::string& name) {
  const size_t dot = name.find('.');
  return dot == std::string::npos || name.substr(dot) == ".development";
}

FileResult read_dyld_cache(const std::string& rel, const SourcePtr& src, const Placement& pl,
                           const InventoryOptions& opt, Component base, const SiblingOpener& siblings,
                           CacheFileHashes* cache_hashes) {
  FileResult r;
  const std::string name = fs::path(rel).filename().string();
  // The cache files themselves are components too (their bytes outside any image count).
  base.space = Space::kUser;
  if (!is_main_cache_name(name)) {
    const std::string main = name.substr(0, name.find('.'));
    if (!siblings || !(siblings(main) || siblings(main + ".development")))
      r.not_analysed.push_back({rel, "dyld cache subcache or symbols file without its main cache file " + main});
    r.components.push_back(std::move(base));
    return r;
  }
  // Files hashed from the spans their images are read through (one decode each): this one when its
  // hash is not known yet, and the subcaches claimed below. The hashes are taken at the end, however
  // the cache reads.
  struct Hashed {
    std::string rel;  // "" for this file
    SourcePtr span, file;
  };
  std::vector<Hashed> hashed;
  const std::string dir = rel.substr(0, rel.rfind('/') + 1);
  auto open_span = [&](const SourcePtr& file, const std::string& file_rel, bool hash) -> SourcePtr {
    if (!hash) return lazy_contiguous(file, 0);
    SourcePtr span = lazy_hashed(file, HashKind::kSha256);
    if (!span) span = lazy_contiguous(file, 0);
    hashed.push_back({file_rel, span, file});
    return span;
  };
  const bool hash_main = !base.hashes.count("sha256");
  SourcePtr main_span = open_span(src, "", hash_main);
  auto take_hashes = [&] {
    std::vector<std::optional<std::string>> digests(hashed.size());
    if (!hashed.empty()) {  // none for a cache on disk, hashed before
      ThreadPool pool(opt.jobs);  // the files' unread blocks are decoded side by side
      ordered_parallel_map(
          pool, hashed.size(), pool.size(),
          [&](size_t k) { return file_sha256(hashed[k].span, hashed[k].file); },
          [&](size_t k, std::optional<std::string> d) {
            digests[k] = std::move(d);
            return true;
          });
    }
    for (size_t k = 0; k < hashed.size(); ++k) {
      if (!hashed[k].rel.empty()) {
        cache_hashes->give(hashed[k].rel, digests[k]);
      } else if (digests[k]) {
        base.hashes["sha256"] = *digests[k];
      } else {
        r.not_analysed.push_back({rel, "the cache file could not be read to its end: no content hash"});
      }
    }
    hashed.clear();
    r.components.insert(r.components.begin(), base);
  };
  Diagnostics diags;
  OpenSibling sibling = [&](const std::string& suffix) -> Result<SourcePtr> {
    if (!siblings)
      return fail(ErrorCode::kUnsupported, "dyld cache", "the files next to this cache cannot be opened: its subcaches are not read");
    const std::string sibling_name = name + suffix;  // the suffix comes from the cache header
    if (!is_plain_file_name(sibling_name))
      return fail(ErrorCode::kMalformed, "dyld cache", "subcache file name '" + sibling_name + "' is not a plain file name");
    auto s = siblings(sibling_name);
    if (!s) return s;
    const std::string sibling_rel = dir + sibling_name;
    return open_span(*s, sibling_rel, cache_hashes && !(*s)->contiguous() && cache_hashes->claim(sibling_rel));
  };
  // A cache inside a dmg is no mapped span: read it through a span filled on demand (inspect/lazy_map.hpp)
  // rather than a copy of each whole file, which was 3 GB per build for a macOS OS cryptex.
  auto c = open_cache(main_span, sibling, diags);
  if (!c) {
    r.not_analysed.push_back({rel, c.error().message()});
    take_hashes();
    return r;
  }
  for (const auto& d : diags.items())
    if (d.severity == Severity::kError) r.not_analysed.push_back({rel, d.text()});
  // Shared with deferred drill-downs (opt.lazy_functions), which read the cache after this returns.
  const auto cache = std::make_shared<const Cache>(std::move(*c));
  const auto index = std::make_shared<ExportIndex>(cache);
  ImageOptions io;
  io.exports = true;  // also names functions
  io.function_starts = true;
  io.code_hash = false;  // the symbolic code hash (image_facts) replaces the masked one
  io.const_hash = false;
  // One image's component, from its detail (or the error reading it).
  auto component = [&](size_t i, Result<ImageDetail>& d, const Diagnostics& id) {
    const Image& img = cache->images[i];
    FileResult one;
    Component comp;
    comp.id = img.path.empty() ? fmt::format("{}:image {}", rel, img.index) : img.path;
    comp.path = rel + ":" + comp.id;
    comp.kind = ComponentKind::kDyldCacheImage;
    comp.space = Space::kUser;
    comp.location = pl.location;
    comp.size = img.text_size;
    if (!d) {
      one.not_analysed.push_back({comp.path, d.error().message()});
      one.components.push_back(std::move(comp));
      return one;
    }
    for (const auto& x : id.items())
      if (x.severity == Severity::kError) one.not_analysed.push_back({comp.path, x.text()});
    std::optional<Uuid> u = img.uuid ? img.uuid : d->macho.uuid;
    if (u) comp.uuid = uuid_string(Bytes(u->data(), 16));
    if (d->current_version) comp.version = macho::version_string(*d->current_version);
    // XXH3-128, not SHA-256: the cache files' own SHA-256 already anchors every byte, and this one
    // only has to tell which image changed (docs/diff.md §1). A second SHA-256 pass over gigabytes of
    // images was a third of a full-build diff's CPU.
    if (auto h = image_content_hash(*cache, *d, HashKind::kXxh3_128)) comp.hashes["xxh128"] = *h;
    else one.not_analysed.push_back({comp.path, h.error().message()});
    if (!opt.lazy_functions) {
      auto facts = image_facts(cache_image(cache, img, *d, index), true);
      comp.code_hash = facts.code_hash;
      comp.facts = std::move(facts.facts);
      comp.functions = std::move(facts.functions);
    } else {
      comp.facts_loader = [cache, i, io, index]() -> ComponentFacts {
        const Image& image = cache->images[i];
        Diagnostics fd;
        auto detail = cache->image_detail(image, fd, io);
        if (!detail) return {};
        auto f = image_facts(cache_image(cache, image, *detail, index), false);
        return {std::move(f.code_hash), std::move(f.facts)};
      };
    }
    if (opt.symbols) {
      std::set<std::string> syms;
      for (const auto& e : d->exports) syms.insert(e.name);
      comp.symbols.assign(syms.begin(), syms.end());
    }
    if (opt.lazy_functions) {
      comp.detail_loader = [cache, i, io, index]() -> ComponentDetail {
        const Image& image = cache->images[i];
        Diagnostics fd;
        auto detail = cache->image_detail(image, fd, io);
        if (!detail) return {};
        return image_detail(cache_image(cache, image, *detail, index));
      };
    }
    one.components.push_back(std::move(comp));
    return one;
  };
  // Images in parallel, 32 per task (their code hashes run side by side, Cache::image_details; each
  // image's function hashes are independent), kept in order.
  ThreadPool pool(opt.jobs);
  const auto batches = batch_ranges(cache->images.size(), 32, UINT64_MAX, [](size_t) { return uint64_t{0}; });
  ordered_parallel_map(
      pool, batches.size(), size_t(pool.size()) * 2,
      [&](size_t b) {
        auto [first, last] = batches[b];
        std::vector<const Image*> imgs;
        for (size_t i = first; i < last; ++i) imgs.push_back(&cache->images[i]);
        std::vector<Diagnostics> image_diags(imgs.size());
        auto details = cache->image_details(imgs, image_diags, io);
        std::vector<FileResult> out;
        for (size_t k = 0; k < imgs.size(); ++k) out.push_back(component(first + k, details[k], image_diags[k]));
        return out;
      },
      [&](size_t, std::vector<FileResult> batch) {
        for (auto& one : batch) {
          for (auto& x : one.components) r.components.push_back(std::move(x));
          for (auto& x : one.not_analysed) r.not_analysed.push_back(std::move(x));
        }
        cache->release_pages();  // bounded RSS on multi-GB caches
        return true;
      });
  // A block of a lazily read file that could not be read was seen as zeros: nothing read from that
  // file can be trusted.
  for (const auto& f : cache->files)
    if (auto e = f.source ? lazy_map_error(*f.source) : std::nullopt)
      r.not_analysed.push_back({rel, fmt::format("{}: a block could not be read ({}): its images' facts are unreliable", f.name, *e)});
  take_hashes();
  return r;
}

}  // namespace upscope::build
