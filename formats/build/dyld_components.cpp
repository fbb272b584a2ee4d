// dyld shared cache images as build components (see dyld_components.hpp). Per-function hashes come
// from the image's function starts, named by its exports and the .symbols file's locals, each
// function's bytes read through the cache's VM map and normalised by disasm (PC-relative operands
// masked), so an image that only moved keeps every hash.
#include "build/dyld_components.hpp"

#include <filesystem>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "disasm/normalize.hpp"
#include "dyld_cache/cache.hpp"
#include "inspect/text.hpp"
#include "inspect/thread_pool.hpp"
#include "macho/macho.hpp"
#include "macho/structs.hpp"

namespace fs = std::filesystem;

namespace upscope::build {
namespace {

using namespace dyld_cache;

// "dyld_shared_cache_arm64e" or "dyld_shared_cache_arm64e.development" (not ".01", ".symbols", ...).
bool is_main_name(const std::string& name) {
  const size_t dot = name.find('.');
  return dot == std::string::npos || name.substr(dot) == ".development";
}

std::map<std::string, std::string> cache_function_hashes(const Cache& c, const Image& img, const ImageDetail& d,
                                                   Diagnostics& diags) {
  const auto& m = d.macho;
  const disasm::Arch arch = macho::code_arch(m.cputype);
  std::unordered_map<uint64_t, std::string> names;
  const uint64_t text = m.text_vmaddr();
  for (const auto& e : d.exports)
    if (!(e.flags & 0x08)) names.emplace(text + e.address, e.name);
  if (auto locals = c.local_symbols(img, diags))
    for (const auto& s : locals->symbols)
      if ((s.type & macho::N_STAB) == 0 && (s.type & macho::N_TYPE) == macho::N_SECT && !s.name.empty())
        names.emplace(s.value, s.name);
  std::set<uint64_t> starts(d.function_starts.begin(), d.function_starts.end());
  if (starts.empty())
    for (const auto& [a, n] : names) starts.insert(a);
  std::vector<disasm::FunctionRange> ranges;
  size_t unnamed = 0;
  for (const auto& seg : m.segments) {
    if (!(seg.initprot & macho::VM_PROT_EXECUTE)) continue;
    for (const auto& sec : seg.sections) {
      if (!sec.has_instructions() || sec.zerofill() || !sec.size) continue;
      auto bytes = c.read(sec.addr, sec.size);
      if (!bytes) continue;  // reported with the code hash
      for (auto it = starts.lower_bound(sec.addr); it != starts.end() && *it < sec.addr + sec.size; ++it) {
        auto next = std::next(it);
        const uint64_t end = next != starts.end() && *next < sec.addr + sec.size ? *next : sec.addr + sec.size;
        disasm::FunctionRange f;
        auto n = names.find(*it);
        f.name = n != names.end() ? n->second : "sub_" + std::to_string(unnamed++);
        f.address = *it;
        f.code = bytes->data().subspan(static_cast<size_t>(*it - sec.addr), static_cast<size_t>(end - *it));
        ranges.push_back(std::move(f));
      }
    }
  }
  return disasm::hash_functions(arch, ranges);
}

}  // namespace

FileResult read_dyld_cache(const std::string& rel, const SourcePtr& src, const Placement& pl,
                           const InventoryOptions& opt, Component base, const SiblingOpener& siblings) {
  FileResult r;
  const std::string name = fs::path(rel).filename().string();
  if (!is_main_name(name)) {
    const std::string main = name.substr(0, name.find('.'));
    if (siblings && (siblings(main) || siblings(main + ".development"))) return r;  // read through its main file
    r.not_analysed.push_back({rel, "dyld cache subcache or symbols file without its main cache file " + main});
    add_content_hash(base, *src);
    r.components.push_back(std::move(base));
    return r;
  }
  Diagnostics diags;
  OpenSibling sibling = [&](const std::string& suffix) -> Result<SourcePtr> {
    if (!siblings)
      return fail(ErrorCode::kUnsupported, "dyld cache", "the files next to this cache cannot be opened: its subcaches are not read");
    const std::string sibling_name = name + suffix;  // the suffix comes from the cache header
    if (!is_plain_file_name(sibling_name))
      return fail(ErrorCode::kMalformed, "dyld cache", "subcache file name '" + sibling_name + "' is not a plain file name");
    return siblings(sibling_name);
  };
  auto c = open_cache(src, sibling, diags);
  if (!c) {
    r.not_analysed.push_back({rel, c.error().message()});
    add_content_hash(base, *src);
    r.components.push_back(std::move(base));
    return r;
  }
  for (const auto& d : diags.items())
    if (d.severity == Severity::kError) r.not_analysed.push_back({rel, d.text()});
  // Shared with deferred function hashes (opt.lazy_functions), which read the cache after this returns.
  const auto cache = std::make_shared<const Cache>(std::move(*c));
  ImageOptions io;
  io.exports = true;  // also names functions
  io.function_starts = true;
  io.const_hash = false;
  ImageOptions names = io;  // what deferred function hashes need again: names and starts
  names.code_hash = false;
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
    comp.code_hash = d->code.sha256;
    if (opt.symbols) {
      std::set<std::string> syms;
      for (const auto& e : d->exports) syms.insert(e.name);
      comp.symbols.assign(syms.begin(), syms.end());
    }
    if (!opt.lazy_functions) {
      Diagnostics fd;
      comp.functions = cache_function_hashes(*cache, img, *d, fd);
    } else {
      comp.functions_loader = [cache, i, names] {
        const Image& image = cache->images[i];
        Diagnostics fd;
        auto detail = cache->image_detail(image, fd, names);
        return detail ? cache_function_hashes(*cache, image, *detail, fd) : std::map<std::string, std::string>{};
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
  return r;
}

}  // namespace upscope::build
